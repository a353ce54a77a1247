"""Properties of the parser on damaged real cables: a cable or a ParseError, never a crash.

Every example starts from a real cable in tests/data and damages it the way broken releases and
hostile uploads do: lines deleted, doubled, swapped or cut, text and odd unicode inserted, blank
lines and line endings changed, header and body exchanged. Hypothesis runs a fixed, bounded set
of examples (derandomized, no example database), so the file stays quick and a failure replays;
bench/parse_worst.py explores much further and times what it finds. No timings are asserted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cables.parser import (
    Metadata,
    ParseError,
    body,
    canonical,
    header,
    parse_cable,
    references,
    split_cable,
    subject,
    tags,
)
from cables.readers import RawRecord, read_records

DATA = Path(__file__).parent / "data"


class Cable:
    """A real cable from tests/data; a failing example names it instead of printing it."""

    def __init__(self, name: str, header: str, body: str, metadata: Metadata) -> None:
        self.name, self.header, self.body, self.metadata = name, header, body, metadata

    def __repr__(self) -> str:
        return f"<cable {self.name}>"


def _real_cables() -> tuple[Cable, ...]:
    found: dict[tuple[str, str], Cable] = {}
    for r in read_records([DATA]):
        if isinstance(r, RawRecord):
            name = f"{r.metadata.refid} in {Path(r.source).relative_to(DATA)} {r.position}"
            found.setdefault((r.header, r.body), Cable(name, r.header, r.body, r.metadata))
    return tuple(found.values())


CABLES = _real_cables()
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(PROPERTY, max_examples=40)

# Characters that change length under upper(), break lines for str.splitlines() but not for
# regular expressions, join, reverse or hide text.
HOSTILE_CHARS = (
    "\u0301\u0308\u20dd"  # combining marks
    "\u202e\u200f\u061c"  # right-to-left
    "\u200b\u200d\ufeff"  # zero width
    "\u00a0\u3000"  # non-breaking, ideographic space
    "\u2028\u2029\x85\x0b\x0c\x1c\r\n\t "  # line breaks for str.splitlines()
    "０９ＡＳ：．"  # fullwidth
    "😀🇺🇸"  # emoji
    "ßİıﬁŉ"  # change length under upper() or lower()
    "\x00¶()XA1."
)
FIELD_TEXT = (
    "SUBJECT: ",
    "SUBJ ",
    "TAGS: ",
    "TAGS ",
    "REF: ",
    "REFTEL ",
    "Classified By: ",
    "CLASSIFIED BY ",
    "SUMMARY: ",
    "END SUMMARY. ",
    "1. (C) ",
    "¶1. ",
    "(S/NF) ",
    "E.O. 12958: DECL: 11/20/2017",
    "DECL: ",
    "A. ",
    "B) ",
    "XXXXXXXXXXXX ",
    "LIMA 3638 ",
    "07 STATE 12345 ",
    "FM AMEMBASSY LIMA",
    "TO RUEHC/SECSTATE WASHDC PRIORITY 7349",
    "INFO ",
    "XMT AMCONSUL ",
    "P 201337Z NOV 07",
    "DE RUEHPE #3673/01 3241337",
    "ZNY CCCCC ZZH",
    "C O N F I D E N T I A L ",
    "UNCLAS SECTION 01 OF 02 LIMA 003673",
    "SIPDIS",
    "MCKINLEY",
    "PAGE 02 HARARE 06677 01 OF 03 291400Z",
)
snippets = st.one_of(
    st.sampled_from(FIELD_TEXT),
    st.text(alphabet=HOSTILE_CHARS, min_size=1, max_size=30),
    st.text(max_size=20),
)


def _line(draw: Any, lines: list[str]) -> int:
    return draw(st.integers(0, len(lines) - 1))


def _delete(draw: Any, lines: list[str]) -> None:
    i = _line(draw, lines)
    del lines[i : i + draw(st.integers(1, 5))]


def _duplicate(draw: Any, lines: list[str]) -> None:
    i = _line(draw, lines)
    lines[i : i + 1] = [lines[i]] * draw(st.sampled_from((2, 3, 20)))


def _swap(draw: Any, lines: list[str]) -> None:
    i, j = _line(draw, lines), _line(draw, lines)
    lines[i], lines[j] = lines[j], lines[i]


def _insert(draw: Any, lines: list[str]) -> None:
    i = _line(draw, lines)
    column = draw(st.integers(0, len(lines[i])))
    lines[i] = lines[i][:column] + draw(snippets) + lines[i][column:]


def _insert_line(draw: Any, lines: list[str]) -> None:
    lines.insert(draw(st.integers(0, len(lines))), draw(snippets) + "\n")


def _replace_char(draw: Any, lines: list[str]) -> None:
    i = _line(draw, lines)
    if lines[i]:
        column = draw(st.integers(0, len(lines[i]) - 1))
        char = draw(st.one_of(st.sampled_from(HOSTILE_CHARS), st.characters()))
        lines[i] = lines[i][:column] + char + lines[i][column + 1 :]


def _truncate(draw: Any, lines: list[str]) -> None:
    i = _line(draw, lines)
    lines[i:] = [lines[i][: draw(st.integers(0, len(lines[i])))]]


def _blank_lines(draw: Any, lines: list[str]) -> None:
    if draw(st.booleans()):
        lines[:] = [line for line in lines if line.strip()]
    else:
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(("\n", " \n\n"))))


def _line_endings(draw: Any, lines: list[str]) -> None:
    ending = draw(st.sampled_from(("\r\n", "\r", "\n\r")))
    lines[:] = [line.replace("\n", ending) for line in lines]


def _join(draw: Any, lines: list[str]) -> None:
    lines[:] = [" ".join(line.strip() for line in lines)]


def _indent(draw: Any, lines: list[str]) -> None:
    pad = draw(st.sampled_from((" ", "\t", "   ")))
    lines[:] = [pad + line for line in lines]


def _repeat(draw: Any, lines: list[str]) -> None:
    lines[:] = lines * draw(st.integers(2, 3))


LINE_MUTATIONS = (
    _delete,
    _duplicate,
    _swap,
    _insert,
    _insert_line,
    _replace_char,
    _truncate,
    _blank_lines,
    _line_endings,
    _join,
    _indent,
    _repeat,
)


def _mutated(draw: Any, text: str) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for mutation in draw(st.lists(st.sampled_from(LINE_MUTATIONS), min_size=1, max_size=4)):
        if not lines:
            lines = [""]
        mutation(draw, lines)
    return "".join(lines)


@st.composite
def mutated_cables(draw: Any) -> tuple[str, str, Metadata]:
    """(header, body, metadata) of a real cable with a few mutations stacked."""
    cable = draw(st.sampled_from(CABLES))
    head, text = cable.header, cable.body
    for _ in range(draw(st.integers(1, 3))):
        if head and draw(st.integers(0, 3)) == 0:
            head = _mutated(draw, head)
        else:
            text = _mutated(draw, text)
    layout = draw(st.sampled_from(("as read", "as read", "no header", "inline header")))
    if layout == "no header":
        head = ""
    elif layout == "inline header":
        head, text = "", head + text
    metadata = draw(st.sampled_from((cable.metadata, Metadata())))
    return head, text, metadata


@st.composite
def mutated_texts(draw: Any) -> str:
    """A mutated header, body or whole cable: what an extractor may be handed."""
    head, text, _ = draw(mutated_cables())
    return draw(st.sampled_from((text, head, head + text)))


def parse_or_reject(head: str, text: str, metadata: Metadata | None = None) -> None:
    """Parse; a ParseError is an accepted outcome and must say where, anything else fails."""
    try:
        parse_cable(head, text, metadata)
    except ParseError as error:
        assert error.line is None or (isinstance(error.line, int) and error.line >= 1)
        assert str(error)


def test_the_properties_start_from_real_cables_with_headers():
    assert len(CABLES) >= 10
    assert sum(1 for cable in CABLES if cable.header) >= 10


@PROPERTY
@given(mutated_cables())
def test_parse_cable_raises_nothing_but_parse_error_on_mutated_cables(cable):
    parse_or_reject(*cable)


@PROPERTY
@given(
    head=st.lists(snippets, max_size=8).map("".join),
    text=st.lists(snippets, max_size=30).map("".join),
)
def test_parse_cable_raises_nothing_but_parse_error_on_fragments_of_cable_text(head, text):
    parse_or_reject(head, text)


def _swapped(cable: Cable, rng: Any) -> tuple[str, str]:
    return cable.body, cable.header


def _lines_reversed(cable: Cable, rng: Any) -> tuple[str, str]:
    def flip(text: str) -> str:
        return "\n".join(reversed(text.splitlines()))

    return flip(cable.header), flip(cable.body)


def _lines_shuffled(cable: Cable, rng: Any) -> tuple[str, str]:
    lines = (cable.header + cable.body).splitlines(keepends=True)
    rng.shuffle(lines)
    return "", "".join(lines)


def _text_reversed(cable: Cable, rng: Any) -> tuple[str, str]:
    return cable.header[::-1], cable.body[::-1]


def _header_only(cable: Cable, rng: Any) -> tuple[str, str]:
    return "", cable.header


def _header_in_both(cable: Cable, rng: Any) -> tuple[str, str]:
    return cable.header, cable.header


def _body_twice(cable: Cable, rng: Any) -> tuple[str, str]:
    return cable.body, cable.body


def _lower_case(cable: Cable, rng: Any) -> tuple[str, str]:
    return cable.header.lower(), cable.body.lower()


def _body_after_its_end(cable: Cable, rng: Any) -> tuple[str, str]:
    half = len(cable.body) // 2
    return cable.header, cable.body[half:] + cable.header + cable.body[:half]


SCRAMBLES: tuple[Callable[[Cable, Any], tuple[str, str]], ...] = (
    _swapped,
    _lines_reversed,
    _lines_shuffled,
    _text_reversed,
    _header_only,
    _header_in_both,
    _body_twice,
    _lower_case,
    _body_after_its_end,
)


@PROPERTY
@given(
    cable=st.sampled_from(CABLES),
    scramble=st.sampled_from(SCRAMBLES),
    rng=st.randoms(use_true_random=False),
    keep_metadata=st.booleans(),
)
def test_scrambled_real_cables_raise_only_parse_error(cable, scramble, rng, keep_metadata):
    head, text = scramble(cable, rng)
    parse_or_reject(head, text, cable.metadata if keep_metadata else None)


def _lines_of(text: str) -> list[str]:
    return text.splitlines()[:40] or [""]


# Each extractor the way parse_cable (or a caller of the public API) uses it. They report
# oddities as warnings or empty results: none may raise, not even ParseError.
EXTRACTORS: dict[str, Callable[[str], object]] = {
    "split_cable": split_cable,
    "header.parse_header": header.parse_header,
    "header.recipients": header.recipients,
    "header.info_recipients": header.info_recipients,
    "references.parse_references": lambda t: references.parse_references(t, 2007, "07LIMA3673"),
    "references.parse_references without year": lambda t: references.parse_references(t, None),
    "subject.parse_subject": lambda t: subject.titlefy(subject.parse_subject(t, clean=True)),
    "subject.parse_subject raw": lambda t: subject.parse_subject(t, clean=False),
    "tags.parse_tags": lambda t: [tags.tag_kind(tag) for tag in tags.parse_tags(t)],
    "tags.parse_tags as written": lambda t: tags.parse_tags(t, canonicalize=False),
    "body.classification_line": body.classification_line,
    "body.caveats": body.caveats,
    "body.decl_line": body.decl_line,
    "body.nondisclosure_deadline": body.nondisclosure_deadline,
    "body.parse_classified_by": lambda t: body.parse_classified_by(t, normalize=True),
    "body.parse_classified_by as written": body.parse_classified_by,
    "body.parse_summary": body.parse_summary,
    "body.signed_by": lambda t: body.signed_by(t, ("James D. Nealon", "MCKINLEY")),
    "body.paragraphs": body.paragraphs,
    "body.clean_content": body.clean_content,
    "canonical.canonical_id": lambda t: [canonical.canonical_id(line) for line in _lines_of(t)],
    "canonical.canonical_station": lambda t: [
        canonical.canonical_station(word) for word in t[:2000].split()
    ],
    "canonical.origin_name": lambda t: [canonical.origin_name(line) for line in _lines_of(t)],
    "canonical.station": lambda t: [canonical.station(line) for line in _lines_of(t)],
    "canonical.station_origin": lambda t: [canonical.station_origin(line) for line in _lines_of(t)],
}


# A crash bench/parse_worst.py found (crash-01 of its first full run, fixed since): a post on
# the FM line followed by 10,000 digits reached canonical_id, whose int() refuses more than
# 4,300 digits (ValueError at canonical.py `canonical_id`: `int(serial)`).
WITH_FM_LINE = tuple(cable for cable in CABLES if re.search(r"(?m)^FM ", cable.header))


@PROPERTY
@example(cable=WITH_FM_LINE[0], digits=10_000)
@given(cable=st.sampled_from(WITH_FM_LINE), digits=st.integers(1, 12_000))
def test_a_run_of_digits_after_the_post_on_the_fm_line_is_no_crash(cable, digits):
    lines = cable.header.splitlines(keepends=True)
    fm = next(i for i, line in enumerate(lines) if line.startswith("FM "))
    lines[fm] = lines[fm].rstrip() + "7" * digits + "\n"
    head = "".join(lines)
    parse_or_reject(head, cable.body, cable.metadata)
    parse_or_reject("", head + cable.body)


@PROPERTY
@example(refid="07BERN" + "9" * 10_000 + "0881")
@given(
    refid=st.one_of(
        st.text(max_size=80),
        st.tuples(
            st.sampled_from(("07", "1966", "", "0")),
            st.sampled_from(("LIMA", "RIO", "XXXXXXXXXXXX", "SECTION01OF02", "", "BERN0")),
            st.integers(1, 12_000).map(lambda n: "9" * n),
            st.sampled_from(("", "DUPLICATE1", "A")),
        ).map("".join),
    )
)
def test_canonical_id_and_make_refid_read_any_text(refid):
    canonical.canonical_id(refid)
    canonical.make_refid(2007, refid, "003673")


@pytest.mark.parametrize("name", sorted(EXTRACTORS))
@FEW
@given(text=mutated_texts())
def test_each_extractor_alone_never_raises_on_mutated_text(name, text):
    EXTRACTORS[name](text)
