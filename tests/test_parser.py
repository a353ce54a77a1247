"""parse_cable end to end, on the seed: the document this project started from."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cables.parser import Metadata, ParseError, parse_cable, split_cable

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


def test_a_redacted_post_on_the_classification_line_derives_no_reference_id():
    body = "S E C R E T XXXXXXXXXXXX 000004\n\nSIPDIS\n\nSUBJECT: SOMETHING\n\n1. (S) Text.\n"
    header = "R 070700Z JAN 10\nFM AMCONSUL SHENYANG\nTO SECSTATE WASHDC\n"
    with pytest.raises(ParseError, match="no reference id"):
        parse_cable(header, body)
    named = parse_cable(header, body, Metadata(refid="10SHENYANG4"))
    assert named.refid == "10SHENYANG4"
    assert not any(w.startswith("reference id") for w in named.warnings)
