"""TAGS lines from real cables: labels, runs, continuations, persons, the glossary."""

import html
import re
from pathlib import Path

import pytest

from cables.parser.tags import GlossaryEntry, glossary, parse_tags, tag_kind

SEED = Path(__file__).parent / "data" / "seed.txt"


def test_space_separated_codes_are_read_in_order():
    assert parse_tags("E.O. 12958: DECL: 11/20/2017\nTAGS: PGOV PREL PTER SNAR PE\n") == (
        "PGOV",
        "PREL",
        "PTER",
        "SNAR",
        "PE",
    )


def test_comma_separated_codes_without_colon_are_read():
    # 07RIYADH2320
    assert parse_tags("TAGS PGOV, PHUM, PK, PREL, PTER, SA \n") == (
        "PGOV",
        "PHUM",
        "PK",
        "PREL",
        "PTER",
        "SA",
    )


def test_lower_case_tags_are_upper_cased():
    # 88BAGHDAD28
    assert parse_tags("Tags: mtcre, parm, prel, ettc\n") == ("MTCRE", "PARM", "PREL", "ETTC")


def test_label_inline_after_the_eo_line_is_found():
    # 10STATE284
    body = "SECTION 01 OF 02 STATE 000284 SIPDIS E.O. 12958: DECL: 01/04/2020 TAGS: MASS MARR\n"
    assert parse_tags(body) == ("MASS", "MARR")


@pytest.mark.parametrize("label", ["TAGES:", "TAS:", "TGS:", "TABS:", "TAGS;", "TAGS,"])
def test_misspelt_labels_are_recognised(label):
    # 09AMMAN1518, 10TELAVIV386, 08ATHENS1536, 08PARAMARIBO219, 92IZMIR819, 09LIMA54
    assert parse_tags(f"E.O. 12958: N/A \n{label}  ECON, ETRD, IS, JO \n") == (
        "ECON",
        "ETRD",
        "IS",
        "JO",
    )


def test_the_word_tags_in_prose_is_not_a_label():
    assert parse_tags("THE PRICE TAGS ON THESE ITEMS ROSE SHARPLY.\n") == ()


def test_line_ending_in_comma_continues_on_the_next_line():
    # 09BEIJING2963
    body = "Tags: ovip (steinberg, james b.), prel, econ,\netra, ch, kn\nSubject: deputy secretary"
    assert parse_tags(body) == ("OVIP", "STEINBERG, JAMES B.", "PREL", "ECON", "ETRA", "CH", "KN")


def test_unmarked_continuation_line_of_codes_is_joined():
    # 09STATE11937
    body = "TAGS: OVIP CLINTON HILLARY PREL KPAL FR\nNATO, UK, CN\nSUBJECT: (U) Secretary"
    assert parse_tags(body)[-3:] == ("NATO", "UK", "CN")


def test_following_prose_line_is_not_a_continuation():
    body = "TAGS: PREL VT\nSomething the Holy See said\n"
    assert parse_tags(body) == ("PREL", "VT")


def test_tags_stop_at_an_inline_subject():
    # 04ANKARA348
    body = "E.o. 12958: decl: 01/07/2014 Tags: prel, pgov, pins, tu Subject: turkish p.m. Erdogan"
    assert parse_tags(body) == ("PREL", "PGOV", "PINS", "TU")


def test_tags_stop_at_a_page_break_marker():
    # 00LIMA2475
    body = (
        "TAGS: PINR, PGOV, PREL, PE                          SECRET       PAGE 02        "
        "LIMA  02475  01 OF 03  251228Z PINR, PE\nSUBJECT:  ALEJANDRO TOLEDO BIOGRAPHY"
    )
    assert parse_tags(body) == ("PINR", "PGOV", "PREL", "PE")


def test_repeated_codes_appear_once():
    # 03ROME2045
    assert parse_tags("TAGS: PREL MARR IT MARR IT IZ\n") == ("PREL", "MARR", "IT", "IZ")


def test_codes_run_together_are_split():
    # 06SANJOSE2802
    assert parse_tags("TAGS: ETRDEINVECINPGOVCS\n") == ("ETRD", "EINV", "ECIN", "PGOV", "CS")


def test_codes_run_together_are_kept_when_not_canonicalizing():
    assert parse_tags("TAGS: AMEDCASCKFLO TBIO\n", canonicalize=False) == ("AMEDCASCKFLO", "TBIO")


def test_doubled_letter_typo_is_fixed():
    # 09BEIRUT818
    assert parse_tags("TAGS: PREL MASS MARR MOPPS LE\n") == ("PREL", "MASS", "MARR", "MOPS", "LE")


def test_sipdis_on_the_tags_line_is_not_a_tag():
    # 05OTTAWA3726
    assert parse_tags("TAGS: ECON ETRD PGOV CA MX SIPDIS\n") == ("ECON", "ETRD", "PGOV", "CA", "MX")


def test_visitor_named_after_ovip_becomes_a_person_tag():
    # 09SANTIAGO331
    assert parse_tags("TAGS: OVIP BIDEN JOSEPH PREL ECON EU\n")[:3] == (
        "OVIP",
        "BIDEN, JOSEPH",
        "PREL",
    )


def test_well_known_person_gets_the_usual_form():
    # 07SAOPAULO212
    assert "BUSH, GEORGE W." in parse_tags("TAGS: OVIP BUSH GEORGE PREL PGOV BR\n")


def test_surname_followed_by_given_name_becomes_a_person_tag():
    # 04PANAMA672
    tags = parse_tags("TAGS: CASC SNAR CU PM REMON PEDRO JIMENEZ GASPAR CONSULAR AFFAIRS\n")
    assert tags[-3:] == ("REMON, PEDRO", "JIMENEZ, GASPAR", "CONSULAR AFFAIRS")


def test_free_text_keywords_stay_whole():
    # 05TELAVIV1580
    assert parse_tags("TAGS PGOV, PREL, KWBG, IS, COUNTERTERRORISM, GOI EXTERNAL \n")[-2:] == (
        "COUNTERTERRORISM",
        "GOI EXTERNAL",
    )


def test_country_code_spelt_like_a_word_stays_inside_a_keyword():
    # 05ISTANBUL329
    assert parse_tags("TAGS: TU PHUM KJUS TIP IN TURKEY\n")[-1] == "TIP IN TURKEY"


def test_body_without_tags_line_has_no_tags():
    # 88BAGHDAD28 as published in some releases has no caption lines
    assert parse_tags("C O N F I D E N T I A L BAGHDAD 00028\n\n1. (C) SUMMARY\n") == ()


def test_seed_cable_body_has_its_tags():
    body = SEED.read_text(encoding="utf-8").split("header ends", 1)[1]
    assert parse_tags(body) == ("PGOV", "PREL", "PTER", "SNAR", "PE")


def test_every_shared_cable_body_with_a_tags_line_has_tags(shared_dir):
    bodies = _bodies(shared_dir)
    assert bodies
    for name, body in bodies:
        if re.search(r"^\s*TAGS?\b", body, re.M | re.I):
            tags = parse_tags(body)
            assert tags and all(tag == tag.upper() and tag.strip() for tag in tags), name


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("PE", "geo"),
        ("PGOV", "subject"),
        ("phum", "subject"),
        ("KDEM", "program"),
        ("KWWW", "program"),
        ("NATO", "org"),
        ("BA'ATH", "org"),
        ("OBAMA, BARACK", "person"),
        ("SMITH, JOHN", "person"),
        ("XYZZY", "unknown"),
    ],
)
def test_tag_kind(tag, kind):
    assert tag_kind(tag) == kind


def test_glossary_gives_meanings_of_common_codes():
    entries = glossary()
    assert entries["KN"] == GlossaryEntry(kind="geo", description="North Korea")
    assert entries["PTER"].description == "Terrorism"
    assert entries["KNNP"].kind == "program"


def test_glossary_is_loaded_once():
    assert glossary() is glossary()


def test_glossary_kinds_are_the_known_ones():
    assert {entry.kind for entry in glossary().values()} <= {
        "subject",
        "geo",
        "program",
        "person",
        "org",
    }


def _bodies(shared_dir: Path) -> list[tuple[str, str]]:
    """The cable text of each shared WikiLeaks page: its second <pre> block, markup removed."""
    found = []
    for path in sorted((shared_dir / "data" / "html").rglob("*.html")):
        blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", path.read_text(encoding="utf-8"), re.S)
        body = re.sub(r"<[^>]+>", "", blocks[1] if len(blocks) > 1 else blocks[-1])
        found.append((path.name, html.unescape(body)))
    return found


def test_tag_label_run_onto_the_eo_line_is_read():
    # 09STOCKHOLM194
    text = "E.O. 12958:  DECL: 03/20/2019 TAG PTER, PGOV, ASEC, EFIN, ENRG, KCIP, SW \n\nSUBJECT: X"
    assert parse_tags(text) == ("PTER", "PGOV", "ASEC", "EFIN", "ENRG", "KCIP", "SW")
