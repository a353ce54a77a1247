"""SUBJECT lines from real cables, and their title-cased form."""

import html
import re
from pathlib import Path

import pytest

from cables.parser.subject import parse_subject, titlefy

SEED = Path(__file__).parent / "data" / "seed.txt"


def test_single_line_subject_is_read():
    # 79TEHRAN8980
    assert parse_subject("TAGS: PEPR IR\nSUBJECT: NEGOTIATIONS \n \n") == "NEGOTIATIONS"


def test_subject_continues_on_the_next_line_until_ref():
    # 07LIMA3673
    body = (
        "TAGS: PGOV PREL PTER SNAR PE\n"
        "SUBJECT: ONDCP DIRECTOR WALTERS SEES PROGRESS IN PERU'S WAR\nON DRUGS\nREF: LIMA 3638\n"
    )
    assert parse_subject(body) == "ONDCP DIRECTOR WALTERS SEES PROGRESS IN PERU'S WAR ON DRUGS"


def test_subject_stops_at_classified_by_on_the_same_line():
    # 09BRASILIA (blackout)
    body = "SUBJECT: BRAZIL: BLACKOUT -CAUSES AND IMPLICATIONS Classified By: Charge d'Affaires\n"
    assert parse_subject(body) == "BRAZIL: BLACKOUT -CAUSES AND IMPLICATIONS"


def test_ref_glued_to_the_last_word_ends_the_subject():
    # 08LONDON1991
    body = "SUBJECT: (C/NF) WHO WOULD REPLACE GORDON BROWN AS UK PRIMEREF: A. LONDON 1939"
    assert parse_subject(body) == "WHO WOULD REPLACE GORDON BROWN AS UK PRIME"


def test_subject_stops_at_the_first_paragraph():
    # 09LONDON (codel)
    body = (
        "SUBJECT: MEMBERS OF CONGRESS DISCUSS BONUSES, BAIL-OUTS AND\n"
        "OTHER REFORM MEASURES WITH UK OFFICIALS\n1. (SBU) Summary. Bonuses"
    )
    assert parse_subject(body).endswith("WITH UK OFFICIALS")


def test_subject_stops_at_a_page_header_line():
    # 09PRETORIA954
    body = (
        "SUBJECT: PART 3 OF 3:  THE LIFE AND TIMES OF SOUTH AFRICA'S \nNEW PRESIDENT\n"
        "PRETORIA 00000954 001.2 OF 004\n"
    )
    assert parse_subject(body) == "PART 3 OF 3: THE LIFE AND TIMES OF SOUTH AFRICA'S NEW PRESIDENT"


def test_upper_case_subject_does_not_run_into_prose():
    # 09STOCKHOLM
    body = (
        "SUBJECT: SWEDISH DEPUTY PM URGES SENIOR USG VISITS\nTO SWEDEN\n"
        "This is an Action request. Please see para 2.\n"
    )
    assert parse_subject(body) == "SWEDISH DEPUTY PM URGES SENIOR USG VISITS TO SWEDEN"


def test_line_broken_after_a_hyphen_is_joined_without_space():
    # 06BUENOSAIRES579
    body = "SUBJECT: MEDIA REACTION THE US- \nLATIN AMERICAN RELATIONSHIP \n \n"
    assert parse_subject(body) == "MEDIA REACTION THE US-LATIN AMERICAN RELATIONSHIP"


def test_classification_marking_is_stripped_when_clean():
    # 10STATE17263-style subject with a marking
    body = "SUBJECT: (S) GERMANY TAKING ACTION ON SHIPMENT OF ..."
    assert parse_subject(body) == "GERMANY TAKING ACTION ON SHIPMENT OF ..."


def test_classification_marking_is_kept_when_not_clean():
    body = "SUBJECT: (S) GERMANY TAKING ACTION ON SHIPMENT OF ..."
    assert parse_subject(body, clean=False) == "(S) GERMANY TAKING ACTION ON SHIPMENT OF ..."


def test_parenthesised_words_that_are_no_marking_are_kept():
    # 07REYKJAVIK232
    body = "TAGS: OEXC SCUL KPAO IC\n \nSUBJECT: Grants Support for PD Projects (Iceland) \n \nREF:"
    assert parse_subject(body) == "Grants Support for PD Projects (Iceland)"


def test_corrected_copy_subject_line_note_is_not_the_subject():
    # 10STATE2634
    body = (
        "C O R R E C T E D COPY (SUBJECT LINE)\n\nTAGS: CH MCAP PARM PREL TSPA\n\n"
        "SUBJECT: DEMARCHE FOLLOWING CHINA'S JANUARY 2010 INTERCEPT FLIGHT-TEST \n\nClassified By:"
    )
    assert parse_subject(body) == "DEMARCHE FOLLOWING CHINA'S JANUARY 2010 INTERCEPT FLIGHT-TEST"


def test_the_word_subject_in_prose_is_not_a_subject_line():
    # 08TRIPOLI220
    body = (
        "TAGS: PGOV PREL PHUM PINR LY\n\n1.(C) Summary: his ability to leave his room remains "
        "the subject of negotiations with the QDF."
    )
    assert parse_subject(body) == ""


def test_html_entities_are_decoded():
    assert parse_subject("SUBJECT: Bla &#8217; bla \n") == "Bla \u2019 bla"


def test_truncated_preview_gives_way_to_the_full_subject():
    seed = SEED.read_text(encoding="utf-8")
    assert parse_subject(seed) == "ONDCP DIRECTOR WALTERS SEES PROGRESS IN PERU'S WAR ON DRUGS"


def test_truncated_subject_without_full_text_keeps_its_dots():
    # 07MOSCOW1704
    body = "SUBJECT: RUSSIAN SCIEN...\nC O N F I D E N T I A L MOSCOW 001704 SIPDIS\n"
    assert parse_subject(body) == "RUSSIAN SCIEN..."


def test_seed_body_subject():
    body = SEED.read_text(encoding="utf-8").split("header ends", 1)[1]
    assert parse_subject(body) == "ONDCP DIRECTOR WALTERS SEES PROGRESS IN PERU'S WAR ON DRUGS"


def test_every_shared_cable_body_gives_a_one_line_subject(shared_dir):
    bodies = _bodies(shared_dir)
    assert bodies
    for name, body in bodies:
        subject = parse_subject(body)
        assert "\n" not in subject and subject == subject.strip(), name


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (
            "BACK TO THE FUTURE? QADHAFI CALLS FOR DRAMATIC SOCIO-ECONOMIC CHANGE IN GPC SPEECH",
            "Back to the Future? Qadhafi Calls for Dramatic Socio-Economic Change in GPC Speech",
        ),
        ("HMG STRESSES U.S.-UK COORDINATION", "HMG Stresses U.S.-UK Coordination"),
        ("THE NEW GERMAN CABINET - AN OVERVIEW", "The New German Cabinet - An Overview"),
        ("COTE D'IVOIRE: UK ON ELECTIONS", "Cote D'Ivoire: UK on Elections"),
        ("THE PNG'ING OF SUHA ARAFAT", "The PNG'ing of Suha Arafat"),
        ("63RD UN GENERAL ASSEMBLY", "63rd UN General Assembly"),
        ("SUSPENSION OF TITLE III", "Suspension of Title III"),
        ("EUR A/S GORDON'S MEETINGS", "EUR A/S Gordon's Meetings"),
        (
            "germany requests release of xxxxxxxxxxxx nonpaper",
            "Germany Requests Release of XXXXXXXXXXXX Nonpaper",
        ),
    ],
)
def test_titlefy(subject, expected):
    assert titlefy(subject) == expected


def test_titlefy_leaves_mixed_case_alone():
    # 10DAKAR127
    subject = "Ambassador Discusses Corruption with Senegalese President"
    assert titlefy(subject) == subject


def _bodies(shared_dir: Path) -> list[tuple[str, str]]:
    """The cable text of each shared WikiLeaks page: its second <pre> block, markup removed."""
    found = []
    for path in sorted((shared_dir / "data" / "html").rglob("*.html")):
        blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", path.read_text(encoding="utf-8"), re.S)
        body = re.sub(r"<[^>]+>", "", blocks[1] if len(blocks) > 1 else blocks[-1])
        found.append((path.name, html.unescape(body)))
    return found


def test_subject_cut_by_a_blank_line_continues_up_to_the_next_caption():
    body = (  # 09BRASILIA1460, Dec 2010 release
        "TAGS: SENV EAID KGHG EAGR EFIN NO BR\n"
        "SUBJECT: BRAZIL: AMAZON FUND AND OTHER FUNDS TO PROTECT THE \n\n"
        "ENVIRONMENT - MAKING REAL PROGRESS \n\nREF: 08 BRASILIA 1159 \n\n"
    )
    assert parse_subject(body) == (
        "BRAZIL: AMAZON FUND AND OTHER FUNDS TO PROTECT THE ENVIRONMENT - MAKING REAL PROGRESS"
    )


def test_paragraph_after_a_blank_line_does_not_continue_the_subject():
    body = (  # 09STOCKHOLM194
        "SUBJECT:  SWEDEN: CI/KR RESPONSE FOR S/CT  \n\nREF: SECSTATE 15113  \n\n"
        "Classified By: CDA  Robert Silverman for reasons: 1/4 (B), (D), (E), and (G)  \n"
    )
    assert parse_subject(body) == "SWEDEN: CI/KR RESPONSE FOR S/CT"


def test_page_break_inside_the_subject_is_skipped():
    body = (  # 00HARARE6677, a partial extract
        "SUBJECT: ASSISTANT SECRETARY MEETS WITH ZIMBABWE \n CONFIDENTIAL\n"
        "PAGE 02 HARARE 06677 01 OF 03 291400Z OPPOSITION LEADER\nREFTEL: HARARE 6584\n"
    )
    assert parse_subject(body) == "ASSISTANT SECRETARY MEETS WITH ZIMBABWE OPPOSITION LEADER"
