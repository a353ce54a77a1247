"""The cable body: classification line, caveats, DECL, Classified By, summary, signer, paragraphs.

Every snippet is real cable text; the cable it comes from is named beside it.
"""

from datetime import date
from pathlib import Path

import pytest

from cables.parser import split_cable
from cables.parser.body import (
    caveats,
    classification_line,
    clean_content,
    decl_line,
    nondisclosure_deadline,
    paragraphs,
    parse_classified_by,
    parse_summary,
    signed_by,
)


@pytest.fixture
def seed_body(data_dir: Path) -> str:
    text = (data_dir / "seed.txt").read_text(encoding="utf-8")
    return text.split("header ends", 1)[1].split("\n", 1)[1].split("CABLE ENDS")[0]


# --- classification line --------------------------------------------------------------------


def test_spaced_classification_line_gives_classification_station_and_serial(seed_body):
    found = classification_line(seed_body)
    assert (found.classification, found.station, found.serial, found.line) == (
        "CONFIDENTIAL",
        "LIMA",
        "003673",
        1,
    )


def test_section_of_a_multi_part_cable_is_kept():
    found = classification_line("S E C R E T SECTION 01 OF 02 KUWAIT 000110 \n")  # 09KUWAIT110
    assert (found.station, found.section) == ("KUWAIT", "01 OF 02")


def test_station_names_with_spaces_are_joined():
    found = classification_line("C O N F I D E N T I A L SECTION 01 OF 02 RIO DE JANEIRO 000123\n")
    assert found.station == "RIODEJANEIRO"


def test_unspaced_old_classification_line_is_found():
    found = classification_line("CONFIDENTIAL KABUL 3619\r\n\r\nE.O. 11652: GDS\r\n")  # 78KABUL3619
    assert (found.classification, found.station, found.serial) == ("CONFIDENTIAL", "KABUL", "3619")


def test_unclas_reads_as_unclassified():
    assert classification_line("UNCLAS TEHRAN 7005 \n").classification == "UNCLASSIFIED"


def test_year_in_front_of_the_station_is_skipped():
    found = classification_line(
        "C O N F I D E N T I A L 75 LIBREVILLE 1895\n"
    )  # 7575LIBREVILLE1895
    assert (found.station, found.serial) == ("LIBREVILLE", "1895")


def test_noforn_caveat_after_the_line_is_published_with_the_classification():
    text = "S E C R E T SECTION 01 OF 04 BAKU 000749 \n\nSIPDIS \nNOFORN \n"  # 09BAKU749
    assert classification_line(text).classification == "SECRET//NOFORN"


def test_sensitive_unclassified_cable_is_for_official_use_only():
    text = "UNCLAS SECTION 01 OF 02 MADRID 000691 \n\nSENSITIVE \nSIPDIS \n"  # 08MADRID691
    assert classification_line(text).classification == "UNCLASSIFIED//FOR OFFICIAL USE ONLY"


def test_classification_line_is_found_after_a_transmission_header(data_dir):
    raw = (data_dir / "seed.txt").read_text(encoding="utf-8")
    bare = raw.split("header:\n", 1)[1].split("CABLE ENDS")[0]
    bare = bare.replace("----------------- header ends ----------------\n", "")
    header, body = split_cable(bare)
    assert header.startswith("VZCZCXYZ0012") and body.startswith("C O N F I D E N T I A L LIMA")


def test_page_break_lines_are_not_classification_lines():
    assert classification_line("\nKUWAIT 00000110  002 OF 002\n\n") is None


# --- caveats --------------------------------------------------------------------------------


def test_seed_caveats_are_sipdis_once(seed_body):
    assert caveats(seed_body) == ("SIPDIS",)


def test_caveats_keep_their_order_and_stop_at_the_eo_line():
    text = (  # 08LONDON929
        "C O N F I D E N T I A L SECTION 01 OF 02 LONDON 000929 \n\nSIPDIS \n\nNOFORN \nSIPDIS \n\n"
        "EO 12958 DECL: 03/28/2018 \nTAGS PREL\n\n1. (C/NF) NODIS talk\n"
    )
    assert caveats(text) == ("SIPDIS", "NOFORN")


def test_release_caveat_is_named_with_its_countries():
    text = (
        "S E C R E T STATE 128877 \n\nSIPDIS \nSECRET//REL SAU \n\nE.O. 12958: DECL: 12/08/2018\n"
    )
    assert caveats(text) == ("SIPDIS", "REL TO SAU")


# --- E.O. line and declassification date ----------------------------------------------------


def test_seed_decl_date(seed_body):
    assert nondisclosure_deadline(seed_body) == date(2017, 11, 20)


def test_decl_line_is_kept_as_written(seed_body):
    assert decl_line(seed_body) == "E.O. 12958: DECL: 11/20/2017"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("EO 12958 DECL: 2020/01/25", date(2020, 1, 25)),  # 10ABUDHABI33
        ("E.O. 12958: DECL: 2019-02-12", date(2019, 2, 12)),  # 09DJIBOUTI113
        ("EO 12958 DECL: 06/18/17", date(2017, 6, 18)),  # 07KAMPALA1848
        ("E.O. 12958: Declassify on 8/31/2034", date(2034, 8, 31)),  # 09OUAGADOUGOU1159
        ("E.O. 12065: GDS 8/12/85 (TOMSETH, VICTOR L.) OR-P", date(1985, 8, 12)),  # 79TEHRAN8980
    ],
)
def test_decl_dates_in_their_written_forms(line, expected):
    assert nondisclosure_deadline(line + "\nTAGS: PREL\n") == expected


@pytest.mark.parametrize(
    "line",
    [
        "E.O. 12958: DECL: DECLASSIFIED BY NARA 09/02/2009",  # 66BUENOSAIRES2481
        "E.O. 12958: AS AMENDED; DECLASSIFIED JUNE 21, 2006",  # 72TEHRAN1164
        "E.O. 11652: GDS",  # 78KABUL3619
        "E.O. 12356: DECL: OADR",  # 86MADRID5480
        "EO 12958 DECL: TEN YEARS AFTER KOREAN UNIFICATION",  # 10SHENYANG5
    ],
)
def test_lines_without_a_deadline_give_none(line):
    assert nondisclosure_deadline(line + "\n") is None


# --- Classified By --------------------------------------------------------------------------


def test_seed_classified_by_is_normalized(seed_body):
    found = parse_classified_by(seed_body, normalize=True)
    assert (found.names, found.title, found.reasons) == (
        ("James D. Nealon",),
        "DCM",
        "1.4 (B) AND (D)",
    )


def test_names_stay_as_written_without_normalize(seed_body):
    assert parse_classified_by(seed_body).names == ("JAMES D. NEALON",)


def test_name_before_its_title_and_reason_after_a_semicolon():
    text = (  # 10BRASILIA61
        "CLASSIFIED BY: Thomas A. Shannon, Ambassador, State, Embassy Brasilia; "
        "REASON: 1.4(B), (D)\n1. (C) Summary."
    )
    found = parse_classified_by(text)
    assert (found.names, found.title) == (
        ("Thomas A. Shannon",),
        "Ambassador, State, Embassy Brasilia",
    )


def test_statement_cut_at_column_71_is_joined_mid_word():
    text = (  # 09KABUL2261
        " \nClassified By: Interagency Provincial Affairs Deputy Coordinator Hoyt Y \n"
        "ee for reasons 1.4 (b) and (d) \n "
    )
    assert parse_classified_by(text).names == ("Hoyt Yee",)


def test_title_over_two_lines_is_not_part_of_the_name():
    text = (  # 07CAIRO622
        " \nClassified by:  Minister Counselor for Economic and \n"
        "Political Affairs William R. Stewart for reasons 1.4(b) and \n(d). \n "
    )
    assert parse_classified_by(text).names == ("William R. Stewart",)


def test_misspelt_title_is_recognised():
    text = " \nClassified By: Ambassaor Joseph LeBaron for reasons 1.4 (b and d). \n "  # 09DOHA404
    assert parse_classified_by(text).names == ("Joseph LeBaron",)


def test_two_names_joined_by_and_are_both_kept():
    text = (  # 09STATE38028
        " \nCLASSIFIED BY AF KARL WYCOFF, ACTING AND S/CT DAS SHARI \n"
        "VILLAROSA ; E.O. 12958 REASON: 1.4 (B) AND (D) \n "
    )
    assert parse_classified_by(text).names == ("KARL WYCOFF", "SHARI VILLAROSA")


def test_title_only_gives_no_names_but_keeps_the_title():
    text = "\nClassified By: Ambassador for reasons 1.4 (b) and (d)\n\n1. (S/NF) SUMMARY:"
    found = parse_classified_by(text)  # 09KUWAIT110
    assert (found.names, found.title) == ((), "Ambassador")


def test_classified_by_line_added_note_is_skipped():
    text = (  # 00TELAVIV4462
        "- - C O R R E C T E D  C O P Y - - CLASSIFIED BY LINE ADDED \n \n"
        "E.O. 12958: DECL: 08/24/05 \n \nCLASSIFIED BY DCM PSIMONS PER 1.5 (B) AND (D) \n \n "
    )
    assert parse_classified_by(text).names == ("PSIMONS",)


def test_normalize_title_cases_capitals_and_keeps_the_suffix():
    text = " \n1.  (U) CLASSIFIED BY THOMAS W. SIMONS, JR., AMBASSADOR.\nREASON:  1.5 (B).\n "
    assert parse_classified_by(text, normalize=True).names == ("Thomas W. Simons, Jr.",)


def test_lowercase_particle_belongs_to_the_name():
    text = "Classified By: Amb. Carol van Voorst for reasons 1.4 (b) and (d)\n"  # 08REYKJAVIK195
    assert parse_classified_by(text).names == ("Carol van Voorst",)


def test_cable_without_classified_by_gives_none():
    assert parse_classified_by("UNCLAS TEHRAN 7005\n\nE.O. 11652: N/A\n\n1. TEXT\n") is None


# --- summary --------------------------------------------------------------------------------


def test_seed_summary_starts_after_the_summary_label(seed_body):
    assert parse_summary(seed_body).startswith(
        "ONDCP Director Walters met with Interior\nMinister Luis Alva Castro"
    )


def test_summary_under_a_heading_drops_the_paragraph_marking():
    text = "SUMMARY\n-------\n\n1. (C/NF) This is not a change election. END SUMMARY. "
    assert parse_summary(text) == "This is not a change election."  # 09BERLIN1176


def test_summary_without_end_summary_stops_at_the_blank_line():
    text = "1. (C) SUMMARY: Fidel Castro's [...].\n \nWHAT WE KNOW"  # 09HAVANA35
    assert parse_summary(text) == "Fidel Castro's [...]."


def test_end_summary_without_a_start_takes_the_first_paragraph():
    text = (
        "Classified By: Political M-C George Glass for reasons 1.4\n(b,d).\n\n"
        "1. (C) Told. END SUMMARY."
    )
    assert parse_summary(text) == "Told."  # 10BERLIN164


def test_no_summary_gives_empty_text():
    assert parse_summary("1. PRESS REPORTS CONFIRM NEW LAW.\n\nSACCIO\n") == ""


# --- signer ---------------------------------------------------------------------------------


def test_seed_is_signed_by_mckinley(seed_body):
    assert signed_by(seed_body) == ("MCKINLEY",)


def test_classification_page_lines_and_nnnn_after_the_signer_are_skipped():
    text = (
        "END TEXT.\nEINIK\n   UNCLASSIFIED\n\nPAGE 04  ZAGREB  01569  04 OF 04  071629Z\n\nNNNN\n"
    )
    assert signed_by(text) == ("EINIK",)


def test_signer_after_the_last_sentence_on_the_same_line():
    assert signed_by("REPORT.  END OF TEXT. BAKER\n\n\nUNCLASSIFIED\n") == ("BAKER",)


def test_website_footer_after_the_signer_is_skipped():
    text = (  # 09TUNIS516
        "are growing.\n\nPlease visit Embassy Tunis' Classified Website at: "
        "http://www.state.sgov.gov/p/nea/tunis/index.cfm \n\nGodec"
    )
    assert signed_by(text) == ("GODEC",)


def test_signer_written_twice_counts_once():
    assert signed_by("END COMMENT. \n\nKUBISKE KUBISKE \n \n") == ("KUBISKE",)  # 09BRASILIA1460


def test_wrapped_last_word_of_a_sentence_is_not_a_signer():
    text = "3. PLEASE CABLE CONCURRENCE. BRIDGETOWN APPRECIATES TRINIDAD'S \nASSISTANCE."
    assert signed_by(text) == ()  # 06BRIDGETOWN2164


def test_signer_glued_to_the_last_sentence_is_found():
    text = (  # 10MOSCOW272, Dec 2010 release: the line breaks were lost
        "will continue to have a significant say in Russian affairs for the foreseeable "
        "future, regardless of his formal position. Beyrle"
    )
    assert signed_by(text) == ("BEYRLE",)


def test_signer_glued_after_a_closing_quote_is_found():
    text = "extensive information on Moazzam Begg and the film “Taxi to the Dark Side.” Stroum"
    assert signed_by(text) == ("STROUM",)  # 10LUXEMBOURG5


def test_signer_glued_to_a_wrapped_web_address_is_found():
    text = (  # 08LONDON929
        "CODEL McCain did not clear this cable.\nVisit London’s Classified Website: "
        "http://www.state.sgov.gov/p/eur/london/index. cfm Tuttle"
    )
    assert signed_by(text) == ("TUTTLE",)


def test_signer_after_a_row_of_asterisks_is_found():
    text = (  # 05TELAVIV1580
        "through the State Department’s Classified SIPRNET website. "
        "********************************************* ******************** KURTZER"
    )
    assert signed_by(text) == ("KURTZER",)


def test_mixed_case_signers_are_upper_cased():
    assert signed_by("in the hope of minimizing damage to Honduran democracy. Ford") == ("FORD",)


def test_signer_with_a_suffix_keeps_the_surname():
    text = "in responding to the questions posed in the German nonpaper.\nTimken jr"
    assert signed_by(text) == ("TIMKEN",)  # 08BERLIN643


def test_end_cable_text_trailer_is_skipped():
    text = "Interpreter, Russian Embassy \nCLINTON \n \n \nNNNN \n \n\n\n\nEnd Cable Text"
    assert signed_by(text) == ("CLINTON",)  # 10STATE17263


def test_signer_after_unquote_on_the_same_line_is_found():
    text = 'threats, wherever they may come from."\nCLINTON UNQUOTE CLINTON'
    assert signed_by(text) == ("CLINTON",)  # 09STATE127892


def test_lower_case_copy_of_the_signer_is_skipped():
    text = "28. (U) The Deputy Secretary cleared this message.\nHuntsman\nhuntsman"
    assert signed_by(text) == ("HUNTSMAN",)  # 09BEIJING2964


def test_systematic_review_stamp_after_the_signer_is_skipped():
    text = (  # 75TEHRAN2069
        "BOTH DOMESTICALLY AND INTERNATIONALLY. \n\n\nHELMS \n\n"
        "Declassified/Released US Department of State EO \nSystematic Review 05 JUL 2006"
    )
    assert signed_by(text) == ("HELMS",)


def test_backslash_line_ends_of_a_dump_are_ignored():
    text = "We will actively encourage such an approach. \\\nEnd \\\ncomment. \\\nTEFFT \\"
    assert signed_by(text) == ("TEFFT",)  # 07BERN881


def test_short_glued_word_is_a_signer_only_when_the_cable_names_him():
    text = "believes the militants are winning in both FATA and NWFP. VIA"  # 09PESHAWAR2
    assert signed_by(text) == ()
    assert signed_by(text, known=("Michael A. Via",)) == ("VIA",)


def test_word_opening_a_cut_off_sentence_is_not_a_glued_signer():
    assert signed_by("The monthly inflation rate for March was 5.6 percent. However") == ()


def test_cable_cut_off_mid_paragraph_has_no_signer():
    assert signed_by("57. (U) The monthly inflation rate for March was 5.6 percent. The") == ()


# --- clean content and paragraphs -----------------------------------------------------------


def test_clean_content_drops_markings_sipdis_and_redactions():
    text = "1. (C) DCM met XXXXXXXXXXXX.\n\nSIPDIS\n2. (SBU) End Comment. Done\n"
    assert clean_content(text) == "DCM met .\nDone\n"


def test_clean_content_drops_page_break_lines():
    text = "1. (C) Content\n\nLAGOS 00000097  005.2 OF 005\n\n2. (U) More\n"  # 07LAGOS97
    assert clean_content(text) == "Content\n\nMore\n"


def test_paragraphs_carry_number_marking_and_line(seed_body):
    found = paragraphs(seed_body)
    assert (found[0].number, found[0].marking, found[0].line) == ("1", "C", 11)


def test_pilcrow_and_slashed_markings_are_paragraphs():
    text = "SUBJECT: X\n\n¶1. (S/NF) First.\n\n¶2. (SBU) Second.\n(C) Unnumbered.\n"
    assert [(p.number, p.marking) for p in paragraphs(text)] == [
        ("1", "S/NF"),
        ("2", "SBU"),
        (None, "C"),
    ]


def test_reasons_in_the_classified_by_line_are_not_paragraphs(seed_body):
    assert all(p.line != 10 for p in paragraphs(seed_body))


# --- the real cables in ../shared -----------------------------------------------------------


def test_every_shared_csv_cable_has_a_classification_line(shared_dir):
    import csv

    found = []
    for path in sorted((shared_dir / "data" / "csv").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, escapechar="\\", doublequote=False))
        found += [classification_line(row[7]) is not None for row in rows]
    assert found and all(found)


def test_a_100_kb_body_is_parsed(seed_body):
    big = seed_body * 30 + "\nClassified By: " + "Aa " * 5000 + "\n" + "X " * 20000
    assert signed_by(big) == () and parse_summary(big) and paragraphs(big)
