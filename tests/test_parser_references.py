from cables.parser.references import parse_references, read_references
from cables.parser.types import Correction, Reference

# The head of 07LIMA3673's body, as published (../shared/data/seed.txt).
SEED_HEAD = """C O N F I D E N T I A L LIMA 003673
SIPDIS
SIPDIS
WHITE HOUSE FOR ONDCP; DEPT. FOR WHA/AND, INL, AND INR
E.O. 12958: DECL: 11/20/2017
TAGS: PGOV PREL PTER SNAR PE
SUBJECT: ONDCP DIRECTOR WALTERS SEES PROGRESS IN PERU'S WAR
ON DRUGS
REF: LIMA 3638
Classified By: DCM JAMES D. NEALON. REASONS 1.4 (B) AND (D)
1. (C) Summary: ONDCP Director Walters met with Interior
"""


def ids(content: str, year: int | None, reference_id: str | None = None) -> list[str]:
    return [r.refid for r in parse_references(content, year, reference_id) if r.refid]


def test_seed_reference_takes_the_year_of_the_citing_cable():
    assert parse_references(SEED_HEAD, 2007, "07LIMA3673") == [
        Reference(value="07LIMA3638", refid="07LIMA3638", text="LIMA 3638")
    ]


def test_content_without_ref_line_has_no_references():
    assert parse_references("SUBJECT: TEST\n\n1. (U) Nothing cited.", 2007) == []


def test_reftel_in_a_later_paragraph_is_not_a_ref_line():
    text = "SUBJECT: X\n\n1. (C) As reported in REFTEL LIMA 3638, the talks stalled."
    assert parse_references(text, 2007) == []


def test_two_digit_year_before_the_station_overrides_the_cable_year():
    assert ids("REF: A. TBILISI 1605  D. 06 TBILISI 2601", 2007) == [
        "07TBILISI1605",
        "06TBILISI2601",
    ]


def test_four_digit_year_and_leading_zeros():
    assert ids("REF: I. 2007 MANAGUA 2135\nK. MANAGUA 0964", 2008) == [
        "07MANAGUA2135",
        "08MANAGUA964",
    ]


def test_year_after_the_serial_in_parentheses_or_after_a_hyphen():
    assert ids("REF: A. ASUNCION 701 (08) B. QUITO 4525-91", 2009) == [
        "08ASUNCION701",
        "91QUITO4525",
    ]


def test_serials_joined_by_and_share_the_station():
    assert ids("REF: A. BRASILIA 2799 AND 2764 B. PORT AU PRINCE 2325", 2004) == [
        "04BRASILIA2799",
        "04BRASILIA2764",
        "04PORTAUPRINCE2325",
    ]


def test_station_abbreviations_and_secstate_are_canonicalised():
    assert ids("REF: A. SECSTATE 74879 B. RIO 0108 C. BA 1485", 2008) == [
        "08STATE74879",
        "08RIODEJANEIRO108",
        "08BUENOSAIRES1485",
    ]


def test_serial_written_before_the_station():
    assert ids("Ref: 870 Ulaanbaatar", 2006) == ["06ULAANBAATAR870"]


def test_year_glued_to_the_station():
    assert ids("REF: 09CAIRO0561; 08CAIRO2528", 2010) == ["09CAIRO561", "08CAIRO2528"]


def test_semicolons_separate_references_on_one_line():
    assert ids("REF: SECDEF 122723; CAIRO IIR 6 899 0149 10; 2009 CAIRO 2394", 2010) == [
        "10SECDEF122723",
        "09CAIRO2394",
    ]


def test_email_reference_keeps_its_text_and_kind():
    assert parse_references("REF: LAKHDHIR E-MAIL 12/01/09 ", 2009) == [
        Reference(
            value="LAKHDHIR E-MAIL 12/01/09",
            refid=None,
            kind="EMAIL",
            text="LAKHDHIR E-MAIL 12/01/09",
        )
    ]


def test_telcon_reference_has_the_tel_kind():
    refs = parse_references("REF: A. SANAA 71\n¶B. MITCHELL/SIMS TELCON 02/16/2010\n", 2010)
    assert [(r.kind, r.bullet) for r in refs] == [("CABLE", "A"), ("TEL", "B")]


def test_report_reference_is_not_read_as_a_cable():
    refs = parse_references("REF: A. SAO PAULO 228 (08)\n¶B. INCSR BRAZIL 2008\n", 2009)
    assert [r.refid for r in refs] == ["08SAOPAULO228", None]


def test_bullets_are_recorded_on_each_cable():
    refs = parse_references("REF: A) TALLINN 366 B) TALLINN 347", 2007)
    assert [r.bullet for r in refs] == ["A", "B"]


def test_letters_that_break_the_bullet_sequence_are_not_bullets():
    refs = parse_references("REF: E-mails J. Speaks-K. Allen", 2009)
    assert refs == [
        Reference(
            value="E-mails J. Speaks-K. Allen",
            refid=None,
            kind="EMAIL",
            text="E-mails J. Speaks-K. Allen",
        )
    ]


def test_repeated_bullet_and_inner_ref_are_absorbed():
    refs = parse_references("REF: A. REF A STATE 122214 B. REF B LONDON 2649", 2009)
    assert [(r.refid, r.bullet) for r in refs] == [("09STATE122214", "A"), ("09LONDON2649", "B")]


def test_reference_to_the_citing_cable_itself_is_dropped():
    text = "REF: A) TRIPOLI 199, B) TRIPOLI 402"
    assert ids(text, 2008, "08TRIPOLI402") == ["08TRIPOLI199"]


def test_page_header_inside_the_ref_block_is_skipped():
    text = "REF: A. STATE 40721 CONFIDENTIAL PAGE 02 ROME 01196 01 OF 02 082030Z B. ROME 1098"
    assert ids(text, 2002) == ["02STATE40721", "02ROME1098"]


def test_repeated_classification_line_ends_the_block():
    text = "REF: A. 08 STATE 81854\n\n\nS e c r e t nairobi 001938"
    assert ids(text, 2009) == ["08STATE81854"]


def test_dtg_of_a_message_is_not_a_serial():
    assert ids("REF: SECDEF R162245Z OCT 08\n\n1.Embassy London is pleased", 2008) == []


def test_letter_o_and_digit_zero_mixups_are_repaired():
    assert ids("REF: (A) LAGOS O1512, (B) 05 0TTAWA 3518", 2002) == [
        "02LAGOS1512",
        "05OTTAWA3518",
    ]


def test_duplicates_are_kept_in_order():
    text = "Ref: A) GUANGZHOU 13381 B) GUANGZHOU 14712 C) GUANGZHOU 13381"
    assert ids(text, 2006) == ["06GUANGZHOU13381", "06GUANGZHOU14712", "06GUANGZHOU13381"]


def test_reference_without_year_anywhere_has_no_id():
    assert ids("REF: LIMA 3638", None) == []


def test_page_marker_cut_short_by_a_preview_is_not_a_reference():
    # 09DUSHANBE575
    content = "REF: 09 DUSHANBE 406 \n \nDUSHANBE 00000575  001.2 OF 0...\n"
    assert ids(content, 2009, "09DUSHANBE575") == ["09DUSHANBE406"]


def test_each_reference_keeps_the_item_it_was_read_from():
    refs = parse_references("REF: A. 07 LIMA 3638\n     B. STATE 12345 AND 12346\n", 2007)
    assert [(r.refid, r.text) for r in refs] == [
        ("07LIMA3638", "A. 07 LIMA 3638"),
        ("07STATE12345", "B. STATE 12345 AND 12346"),
        ("07STATE12346", "B. STATE 12345 AND 12346"),
    ]


def test_a_station_read_as_a_typo_is_reported_as_a_correction():
    refs, corrections = read_references("REFS: (A) Colomobo 2304\n(B) State 240035\n", 2002)
    assert [r.refid for r in refs] == ["02COLOMBO2304", "02STATE240035"]
    assert corrections == [Correction("station", "COLOMOBO", "COLOMBO")]


def test_the_ref_block_ends_at_a_paragraph_not_numbered_one():
    text = "REF: STATE 12345\n3. (S) The Minister of Defense Paras Lima 2009 said\n"
    assert ids(text, 2009) == ["09STATE12345"]


def test_the_ref_block_ends_at_a_blank_line_before_unnumbered_prose():
    text = "REF: A. STATE 12345\n\nThe Minister told Paris 1234 officials on May 5\n"
    assert ids(text, 2009) == ["09STATE12345"]


def test_a_blank_line_before_the_next_lettered_item_does_not_end_the_block():
    text = "REFS :  (A) 03 Brasilia 3939\n\n        (B) 03 Brasilia 3867\n\n1. (C) Text"
    assert ids(text, 2004) == ["03BRASILIA3939", "03BRASILIA3867"]


def test_a_marked_paragraph_after_the_ref_lines_is_not_item_c():
    text = "REF: A. STATE 1\n(C) Paris 2345 is mentioned in prose here\n"
    assert ids(text, 2009) == ["09STATE1"]


def test_words_of_prose_without_a_serial_beside_them_are_never_guessed_as_stations():
    refs, corrections = read_references("REF: PARAS TELCON WITH BANGKOKK OFFICIALS", 2009)
    assert corrections == []
