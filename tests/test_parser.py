"""parse_cable end to end, on the seed: the document this project started from."""

import html
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cables.parser import Correction, Metadata, ParseError, parse_cable, split_cable

SEED = Path(__file__).parent / "data" / "seed.txt"


def seed_parts() -> tuple[str, str]:
    text = SEED.read_text(encoding="utf-8")
    header = text.split("header:\n", 1)[1].split("----------------- header ends", 1)[0]
    body = text.split("header ends ----------------\n", 1)[1].split("=====", 1)[0]
    return header, body


@pytest.fixture(scope="module")
def seed():
    header, body = seed_parts()
    return parse_cable(header, body)


def test_seed_reference_id_is_derived_from_post_serial_and_year(seed):
    assert seed.refid == "07LIMA3673"


def test_seed_date_comes_from_the_date_time_group_in_utc(seed):
    assert seed.created == datetime(2007, 11, 20, 13, 37, tzinfo=UTC)


def test_seed_origin_uses_the_published_naming(seed):
    assert seed.origin == "Embassy Lima"


def test_seed_classification_and_precedence(seed):
    assert (seed.classification, seed.precedence) == ("CONFIDENTIAL", "PRIORITY")


def test_seed_subject_is_joined_across_lines(seed):
    assert seed.subject == "ONDCP DIRECTOR WALTERS SEES PROGRESS IN PERU'S WAR ON DRUGS"


def test_seed_tags_in_order(seed):
    assert seed.tags == ("PGOV", "PREL", "PTER", "SNAR", "PE")


def test_seed_reference_is_canonical(seed):
    assert seed.reference_ids == ("07LIMA3638",)


def test_seed_has_one_action_and_ten_info_recipients(seed):
    roles = [r.role for r in seed.recipients]
    assert roles == ["to"] + ["info"] * 10
    first, last = seed.recipients[0], seed.recipients[-1]
    assert (first.route, first.name, first.precedence, first.serial) == (
        "RUEHC",
        "SECSTATE WASHDC",
        "PRIORITY",
        "7349",
    )
    assert seed.recipients[1].name == "AMEMBASSY BOGOTA"
    assert last.name == "USSOUTHCOM MIAMI FL"


def test_seed_signer_classifier_and_declassification(seed):
    assert seed.signed_by == ("MCKINLEY",)
    assert seed.classified_by is not None
    assert seed.classified_by.names == ("James D. Nealon",)
    assert seed.classified_by.title == "DCM"
    assert "1.4 (B) AND (D)" in seed.classified_by.reasons.upper()
    assert seed.decl_date == date(2017, 11, 20)


def test_seed_summary(seed):
    assert seed.summary.startswith("ONDCP Director Walters met with Interior Minister")


def test_metadata_wins_and_disagreements_become_warnings():
    header, body = seed_parts()
    parsed = parse_cable(
        header,
        body,
        Metadata(refid="07LIMA3673", origin="Embassy Quito", classification="SECRET"),
    )
    assert parsed.origin == "Embassy Quito"
    assert parsed.classification == "SECRET"
    assert any(w.startswith("origin:") for w in parsed.warnings)
    assert any(w.startswith("classification:") for w in parsed.warnings)


def test_metadata_references_missing_from_ref_lines_are_kept():
    header, body = seed_parts()
    parsed = parse_cable(header, body, Metadata(references=("07LIMA3638", "07STATE1")))
    assert parsed.reference_ids == ("07LIMA3638", "07STATE1")


def test_a_bare_cable_is_split_at_its_classification_line():
    header, body = seed_parts()
    head, rest = split_cable(header + body)
    assert head == header
    assert rest.startswith("C O N F I D E N T I A L LIMA 003673")


def test_a_header_without_text_is_a_truncated_cable():
    header, _ = seed_parts()
    with pytest.raises(ParseError, match="truncated"):
        parse_cable(header, "")


def test_a_cable_without_any_way_to_name_it_is_refused():
    with pytest.raises(ParseError, match="no reference id"):
        parse_cable("", "Some notes that are not a cable at all.\n")


def test_a_redacted_post_on_the_classification_line_is_read_from_the_fm_line():
    body = "S E C R E T XXXXXXXXXXXX 000004\n\nSIPDIS\n\nSUBJECT: SOMETHING\n\n1. (S) Text.\n"
    header = "R 070700Z JAN 10\nFM AMCONSUL SHENYANG\nTO SECSTATE WASHDC\n"
    assert parse_cable(header, body).refid == "10SHENYANG4"


def test_a_redacted_post_agrees_with_the_published_reference_id():
    body = "S E C R E T XXXXXXXXXXXX 000004\n\nSIPDIS\n\nSUBJECT: SOMETHING\n\n1. (S) Text.\n"
    header = "R 070700Z JAN 10\nFM AMCONSUL SHENYANG\nTO SECSTATE WASHDC\n"
    named = parse_cable(header, body, Metadata(refid="10SHENYANG4"))
    assert named.refid == "10SHENYANG4"
    assert not any(w.startswith("reference id") for w in named.warnings)


# 10SANSALVADOR37 as the Dec 2010 release printed it: no classification line in the text.
SAN_SALVADOR_HEADER = (
    "VZCZCXYZ0000\nRR RUEHWEB\n\nDE RUEHSN #0037/01 0261915\nZNY SSSSS ZZH\n"
    "R 261914Z JAN 10\nFM AMEMBASSY SAN SALVADOR\nTO RUEHC/SECSTATE WASHDC 0262\n"
    "INFO WHA CENTRAL AMERICAN COLLECTIVE\n"
)
SAN_SALVADOR_BODY = (
    "SIPDIS \n \nE.O. 12958: DECL: 2020/01/19 \nTAGS: PREL PGOV ECON ES\n"
    "SUBJECT: With ARENA Fractured, Funes is FMLN's Only Rival \n \n"
    "1. (C) Summary: Eight months into the Funes presidency, the GOES \n"
)


def test_without_a_classification_line_the_de_line_gives_the_serial():
    assert parse_cable(SAN_SALVADOR_HEADER, SAN_SALVADOR_BODY).refid == "10SANSALVADOR37"


def test_without_a_classification_line_the_security_line_gives_the_classification():
    assert parse_cable(SAN_SALVADOR_HEADER, SAN_SALVADOR_BODY).classification == "SECRET"


def test_without_an_fm_line_the_origin_comes_from_the_classification_line():
    body = (  # 05RIODEJANEIRO1238, a partial extract
        "UNCLAS SECTION 01 OF 02 RIO DE JANEIRO 001238 \n\nSIPDIS \n\n"
        "SUBJECT: DRUGLORD ORDERS RIO BUS BURNED\n\n1. Text.\n"
    )
    parsed = parse_cable("", body, Metadata(refid="05RIODEJANEIRO1238"))
    assert parsed.origin == "Consulate Rio De Janeiro"


def test_partial_extract_footer_gives_the_year_of_an_undated_cable():
    body = (  # 04CARACAS2200
        "C O N F I D E N T I A L SECTION 01 OF 03 CARACAS 002200 \n\nSIPDIS \n\n"
        "1. (C) HERMA MARKSMAN SPOKE TO POLOFFS ON JULY 1.\nMCFARLAND\n\nNNNN\n"
        "2004CARACA02200 - CONFIDENTIAL"
    )
    assert parse_cable("", body).refid == "04CARACAS2200"


def test_date_time_group_gives_the_minutes_when_the_metadata_agrees_on_the_day():
    header, body = seed_parts()
    stated = datetime(2007, 11, 20, 13, 13, tzinfo=UTC)  # the Dec 2010 release's garbled time
    parsed = parse_cable(header, body, Metadata(created=stated))
    assert parsed.created == datetime(2007, 11, 20, 13, 37, tzinfo=UTC)


def test_metadata_date_on_another_day_wins_with_a_warning():
    header, body = seed_parts()
    stated = datetime(2007, 11, 22, 9, 0, tzinfo=UTC)
    parsed = parse_cable(header, body, Metadata(created=stated))
    assert parsed.created == stated
    assert any(w.startswith("date:") for w in parsed.warnings)


def test_signer_glued_to_the_text_is_confirmed_by_the_classified_by_line():
    body = (  # 09PESHAWAR2
        "S E C R E T SECTION 01 OF 03 PESHAWAR 000002\nSIPDIS\n"
        "CLASSIFIED BY: Michael A. Via, Acting Principal Officer, Peshawar, Department of "
        "State. REASON: 1.4 (a), (b), (d)\n"
        "1. (S) XXXXXXXXXXXX believes the militants are winning in both FATA and NWFP. VIA"
    )
    header = "R 031200Z JAN 09\nFM AMCONSUL PESHAWAR\nTO SECSTATE WASHDC\n"
    assert parse_cable(header, body).signed_by == ("VIA",)


def test_a_state_cable_is_never_named_from_its_de_line():
    header = SAN_SALVADOR_HEADER.replace("RUEHSN", "RUEHC").replace(
        "FM AMEMBASSY SAN SALVADOR", "FM SECSTATE WASHDC"
    )
    with pytest.raises(ParseError, match="no reference id"):
        parse_cable(header, SAN_SALVADOR_BODY)  # the DE line holds only the last four digits


@pytest.mark.parametrize(
    "refid", ["07LIMA/3674", "07 LIMA 3674", "<b>07LIMA1</b>", "07lima1", "0712"]
)
def test_a_published_reference_id_outside_the_canonical_shape_is_refused(refid):
    header, body = seed_parts()
    with pytest.raises(ParseError, match="malformed reference id"):
        parse_cable(header, body, Metadata(refid=refid))


def test_a_malformed_but_published_reference_id_of_the_right_shape_is_kept():
    header, body = seed_parts()
    parsed = parse_cable(header, body, Metadata(refid="7575LIBREVILLE1895"))
    assert parsed.refid == "7575LIBREVILLE1895"


# --- every form a cable circulates in, with no metadata given -----------------------------------

EXTRACTS = Path(__file__).parent / "data" / "extracts"
_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S)


def browser_text(page: str) -> str:
    """What a reader copies from a WikiLeaks page: the text of its <pre> blocks, no table."""
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", block)) for block in _PRE.findall(page))


def extract(name: str) -> str:
    return browser_text((EXTRACTS / name).read_text(encoding="utf-8"))


def test_a_copied_partial_extract_with_its_header_and_date_line_is_read_whole():
    cable = parse_cable("", extract("07RIYADH2320.html"))
    assert (cable.refid, cable.created, cable.origin, cable.classification) == (
        "07RIYADH2320",
        datetime(2007, 11, 20, 16, 17, tzinfo=UTC),
        "Embassy Riyadh",
        "SECRET",
    )
    assert cable.tags == ("PGOV", "PHUM", "PK", "PREL", "PTER", "SA")


def test_a_partial_extract_under_its_distribution_block_is_dated_by_its_date_time_group():
    cable = parse_cable("", extract("00HARARE6677.html"))
    assert (cable.refid, cable.created) == (
        "00HARARE6677",
        datetime(2000, 11, 29, 13, 59, tzinfo=UTC),
    )


def test_the_date_line_alone_dates_a_partial_extract():
    text = (
        "This record is a partial extract of the original cable. The full text of the original "
        "cable is not available.\nTuesday, 20 January 2004, 09:44\nS E C R E T RANGOON 000088 \n"
        "EO 12958 DECL: 01/20/2014 \nTAGS PGOV, PARM, PREL, BM \nSUBJECT: A SUBJECT\n"
        "Classified By: COM Carmen Martinez for Reasons 1.4 (b,d)\n¶1. (S) Text.\n"
    )
    cable = parse_cable("", text)
    assert (cable.refid, cable.created, cable.origin) == (
        "04RANGOON88",
        datetime(2004, 1, 20, 9, 44, tzinfo=UTC),
        "Embassy Rangoon",
    )
    assert cable.tags == ("PGOV", "PARM", "PREL", "BM")


def test_an_undated_partial_extract_is_refused_saying_what_is_missing_and_how_to_fix_it():
    with pytest.raises(ParseError) as refused:
        parse_cable("", extract("05TELAVIV1580.html"))
    message = str(refused.value)
    assert "partial extract without a date" in message
    assert "TELAVIV 001580" in message
    assert "import the WikiLeaks page itself" in message


# A routing header above a classification line typed with a stray letter.
BEIJING = (
    "VZCZCXRO1234\nOO RUEHCN RUEHGH\nDE RUEHBJ #1378/01 1220833\nZNY CCCCC ZZH\n"
    "O 020833Z MAY 08\nFM AMEMBASSY BEIJING\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 6925\n"
    "CC O N F I D E N T I A L SECTION 01 OF 04 BEIJING 001378 \n\nSIPDIS\n\n"
    "E.O. 12958: DECL: 05/02/2033\nTAGS: PREL, PGOV, CH\nSUBJECT: A SUBJECT\n\n1. (C) Text.\n"
)


def test_a_garbled_classification_line_under_a_routing_header_still_names_the_cable():
    cable = parse_cable("", BEIJING)
    assert (cable.refid, cable.created, cable.classification) == (
        "08BEIJING1378",
        datetime(2008, 5, 2, 8, 33, tzinfo=UTC),
        "CONFIDENTIAL",
    )
    assert "classification line: 'CC O N F I D E N T I A L' read as CONFIDENTIAL" in (
        cable.warnings
    )
    assert Correction("classification", "CC O N F I D E N T I A L", "CONFIDENTIAL") in (
        cable.corrections
    )


def test_a_header_above_the_text_of_another_cable_names_the_message_with_a_warning():
    text = BEIJING.replace("BEIJING 001378", "ULAANBAATAR 000234")
    cable = parse_cable("", text)
    assert cable.refid == "08BEIJING1378"
    assert any("ULAANBAATAR 000234" in w and "#1378" in w for w in cable.warnings)


def test_a_header_without_a_classification_line_is_split_from_the_text_after_it():
    cable = parse_cable("", SAN_SALVADOR_HEADER + SAN_SALVADOR_BODY)
    assert (cable.refid, cable.origin) == ("10SANSALVADOR37", "Embassy San Salvador")
    assert cable.recipients[0].name == "SECSTATE WASHDC"


def test_a_text_glued_to_the_last_address_line_by_a_tab_is_split_there():
    text = (
        "R 110944Z SEP 07\nFM AMEMBASSY BERN\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 4460\n"
        "RUEATRS/DEPT OF TREASURY WASHINGTON DC PRIORITY\tS E C R E T SECTION 01 OF 02 BERN "
        "000881 \\\n \\\nTAGS: MNUC KNNP ETTC IR SZ\nSUBJECT: A SUBJECT \\\n\n1. (S) Text.\n"
    )
    assert parse_cable("", text).refid == "07BERN881"


def test_a_redacted_metadata_date_falls_back_to_the_text_with_a_warning():
    header, body = seed_parts()
    cable = parse_cable(header, body, Metadata(refid="07LIMA3673", redacted=("created",)))
    assert cable.created == datetime(2007, 11, 20, 13, 37, tzinfo=UTC)
    assert any(w.startswith("date: redacted in the metadata") for w in cable.warnings)


def test_a_naive_datetime_in_the_metadata_is_a_clear_value_error():
    with pytest.raises(ValueError, match="timezone-aware"):
        Metadata(created=datetime(2007, 11, 20, 13, 37))


# --- nothing silently changed -------------------------------------------------------------------


def test_corrected_tags_keep_what_the_cable_wrote_in_its_order():
    body = (
        "C O N F I D E N T I A L MOSCOW 000123\n\nE.O. 12958: DECL: 01/01/2019\n"
        "TAGE: PGOV, RU, PHUMBA\nSUBJECT: A SUBJECT\n\n1. (C) Text.\n"
    )
    header = "R 011200Z JAN 09\nFM AMEMBASSY MOSCOW\nTO SECSTATE WASHDC\n"
    cable = parse_cable(header, body)
    assert cable.tags == ("PGOV", "RS", "PHUM", "BA")
    assert cable.tags_as_written == ("PGOV", "RU", "PHUMBA")
    assert cable.corrections[:3] == (
        Correction("tags label", "TAGE:", "TAGS:"),
        Correction("tag", "RU", "RS"),
        Correction("tag", "PHUMBA", "PHUM BA"),
    )


def test_a_renamed_post_takes_its_published_name_and_says_what_was_written():
    header = "R 011200Z JAN 06\nFM AMEMBASSY KIEV\nTO SECSTATE WASHDC\n"
    body = "C O N F I D E N T I A L KIEV 000123\n\nSUBJECT: A SUBJECT\n\n1. (C) Text.\n"
    cable = parse_cable(header, body)
    assert (cable.refid, cable.origin) == ("06KIEV123", "Embassy Kyiv")
    assert Correction("origin", "AMEMBASSY KIEV", "Embassy Kyiv") in cable.corrections


def test_a_post_written_as_published_is_no_correction(seed):
    assert not [c for c in seed.corrections if c.field == "origin"]


def test_a_date_time_group_flattened_into_the_text_dates_a_cable_without_one_above():
    text = (  # 00HARARE5461: section 1 prints day and time only; section 2's header ran on
        "                           CONFIDENTIAL     PTQ2529\n"
        "PAGE 01        HARARE  05461  01 OF 02  271458Z\n"
        "FM AMEMBASSY HARARE\nTO SECSTATE WASHDC IMMEDIATE 7212\n"
        "C O N F I D E N T I A L SECTION 01 OF 02 HARARE 005461\n\n"
        "TAGS PGOV, PINS, ZI\n\nSUBJECT: A SUBJECT\n\n¶1. (C) TEXT. NFAT-00 SAS-00 /006W "
        "------------------8A8E22 271459Z /38 O 271459Z SEP 00 FM AMEMBASSY HARARE TO SECSTATE\n"
    )
    cable = parse_cable("", text)
    assert (cable.refid, cable.created) == (
        "00HARARE5461",
        datetime(2000, 9, 27, 14, 59, tzinfo=UTC),
    )
