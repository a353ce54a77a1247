"""Fields of a real cable and how to stretch them: where each one stands, and the long runs of one
kind of text (fillers) that pad, prefix or replace it."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass

SIZES = (1_000, 5_000, 10_000, 30_000, 60_000)


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // max(len(unit), 1) + 1))[:size]


def drawn(rng: random.Random, alphabet: str, size: int) -> str:
    return "".join(rng.choices(alphabet, k=size))


_VOCABULARY_TEXT = """
    the Ambassador said GOVERNMENT minister Embassy reftel post will meet PARA comment and of
    Summary ministry Officials noted Foreign Affairs DCM Political Counselor Said that ON DRUGS
"""
_VOCABULARY = _VOCABULARY_TEXT.split()
_STATION_RUN = (
    "LIMA RIO DE JANEIRO STATE BUENOS AIRES KUWAIT SECSTATE WASHDC USUN NEW YORK BRASILA KUWAT "
    "LIMAA TEGUCIGALP ULANBATAR MONTEVIDO "
)
_REF_ITEMS = "A. 07 LIMA 3638 B. STATE 12345 C. 06 TBILISI 2601 D. QUITO 4525-91 E. 870 USUN "


def _words(rng: random.Random, size: int, width: int = 0) -> str:
    out: list[str] = []
    length = column = 0
    while length < size:
        word = rng.choice(_VOCABULARY)
        word = rng.choice((word, word.upper(), word.lower(), word.title()))
        sep = " "
        if width and column + len(word) > width:
            sep, column = "\n", 0
        out.append(word + sep)
        length += len(word) + 1
        column += len(word) + 1
    return "".join(out)[:size]


_LONG_POSTS_TEXT = """
    KUWAIT MONTEVIDEO BRASILIA ULAANBAATAR TEGUCIGALPA ANTANANARIVO OUAGADOUGOU PORTMORESBY
    JOHANNESBURG THESSALONIKI
"""
_LONG_POSTS = _LONG_POSTS_TEXT.split()


def _garbled_refs(rng: random.Random, size: int) -> str:
    """REF items of one to four names, each a letter off a station, beside a serial: every
    run of them goes to the station guesser."""
    items: list[str] = []
    length = 0
    while length < size:
        words = []
        for _ in range(rng.randint(1, 4)):
            word = rng.choice(_LONG_POSTS)
            at = rng.randrange(len(word))
            words.append(word[:at] + rng.choice("AEIOUXQZ") + word[at + 1 :])
        post = " ".join(words)
        letter = string.ascii_uppercase[len(items) % 26]
        items.append(f"{letter}. {rng.randrange(10):02d} {post} {rng.randrange(1, 99999)} ")
        length += len(items[-1])
    return "".join(items)[:size]


def _recipients(rng: random.Random, size: int) -> str:
    lines: list[str] = []
    length = 0
    while length < size:
        route = "RUEH" + drawn(rng, string.ascii_uppercase, 2)
        post = rng.choice(("LIMA", "BOGOTA", "LA PAZ", "RIO DE JANEIRO", "SECSTATE WASHDC"))
        line = f"{route}/AMEMBASSY {post} {rng.choice(('PRIORITY', 'ROUTINE', 'IMMEDIATE'))} "
        lines.append(line + f"{rng.randrange(10000):04d}\n")
        length += len(lines[-1])
    return "".join(lines)[:size]


FILLERS: dict[str, Callable[[random.Random, int], str]] = {
    "spaces": lambda rng, n: " " * n,
    "tabs": lambda rng, n: "\t" * n,
    "blanks": lambda rng, n: drawn(rng, " \t", n),
    "letters": lambda rng, n: drawn(rng, string.ascii_uppercase, n),
    "A-run": lambda rng, n: "A" * n,
    "digits": lambda rng, n: drawn(rng, string.digits, n),
    "punctuation": lambda rng, n: drawn(rng, ".,;:-/()'\"#*&!?[]", n),
    "words": lambda rng, n: _words(rng, n),
    "wrapped-words": lambda rng, n: _words(rng, n, width=68),
    "bullets": lambda rng, n: "".join(
        f"{string.ascii_uppercase[k % 26]}. " for k in range(n // 3 + 1)
    )[:n],
    "ref-items": lambda rng, n: _repeat(_REF_ITEMS, n),
    "garbled-refs": _garbled_refs,
    "stations": lambda rng, n: _repeat(_STATION_RUN, n),
    "REF": lambda rng, n: _repeat("REF ", n),
    "SUMMARY": lambda rng, n: _repeat("SUMMARY ", n),
    "open-parens": lambda rng, n: "(" * n,
    "markings": lambda rng, n: _repeat("(C) (S/NF) (SBU (", n),
    "XXXX": lambda rng, n: _repeat("XXXXXXXXXXXX ", n),
    "newlines": lambda rng, n: "\n" * n,
    "recipients": _recipients,
}


# Fields: where each one stands in a real cable, and a line to add when a cable has none


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    part: str  # "header" or "body"
    pattern: re.Pattern[str]  # group "c" is the field's content
    template: str  # "{}" marks the content
    modes: tuple[str, ...] = ("pad", "replace")
    drop: re.Pattern[str] | None = None  # removed from the part as well ("END SUMMARY")


_SUMMARY_WORD = re.compile(r"(?i)\bsummary\b[ \t]*[:.]?")
_END_SUMMARY = re.compile(r"(?i)\bend[ \t]+(?:of[ \t]+)?summary")
_CLS_WORD = (
    r"(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS|LIMITED OFFICIAL USE"
    r"|(?:[A-Z] ){4,}[A-Z])"
)
FIELDS = (
    Field(
        "SUBJECT",
        "body",
        re.compile(r"(?im)^[ \t]*SUBJ(?:ECT)?[ \t]*:[ \t]*(?P<c>[^\n]*)"),
        "SUBJECT: {}",
    ),
    Field(
        "TAGS", "body", re.compile(r"(?im)^[ \t]*TAGS?\b[ \t]*:?[ \t]*(?P<c>[^\n]*)"), "TAGS: {}"
    ),
    Field(
        "REF",
        "body",
        re.compile(r"(?im)^[ \t]*REF(?:S|TELS?)?\b[ \t]*:?[ \t]*(?P<c>[^\n]*)"),
        "REF: {}",
    ),
    Field(
        "CLASSIFIED_BY",
        "body",
        re.compile(r"(?i)classified[ \t]+by[ \t]*:?[ \t]*(?P<c>[^\n]*)"),
        "Classified By: {}",
    ),
    Field(
        "SUMMARY",
        "body",
        _SUMMARY_WORD,  # located by `locate`: up to END SUMMARY
        "1. (C) SUMMARY: {} END SUMMARY.",
    ),
    Field(
        "SUMMARY_UNCLOSED",
        "body",
        re.compile(r"(?i)\bsummary\b[ \t]*[:.]?(?P<c>[^\n]*)"),
        "1. (C) SUMMARY: {}",
        drop=re.compile(r"(?i)\bend[ \t]+(?:of[ \t]+)?summary\b\.?"),
    ),
    Field(
        "CLASSIFICATION",
        "body",
        re.compile(
            rf"(?m)^[ \t]*{_CLS_WORD}(?:[ \t/]+(?:NOFORN|SIPDIS|SENSITIVE|EXDIS|NODIS))*"
            r"[ \t]{1,9}(?:SECTION \d+ OF \d+[ \t]+)?(?P<c>[A-Z][A-Z .'-]{0,40}?)"
            r"(?=[ \t]{1,9}\d{1,7}[ \t]{0,9}$)"
        ),
        "CONFIDENTIAL {} 001234",
        modes=("pad", "prefix", "replace"),
    ),
    Field(
        "EO_DECL",
        "body",
        re.compile(r"(?im)^[ \t]*E\.?[ \t]?O\.?[ \t]?\d{4,5}[ \t]*:?[ \t]*(?P<c>[^\n]*)"),
        "E.O. 12958: DECL: {}",
    ),
    Field("TO", "header", re.compile(r"(?m)^[ \t]*TO[ \t]+(?P<c>[^\n]*)"), "TO {}"),
    Field("INFO", "header", re.compile(r"(?m)^[ \t]*INFO[ \t]+(?P<c>[^\n]*)"), "INFO {}"),
    Field("FM", "header", re.compile(r"(?m)^[ \t]*FM[ \t]+(?P<c>[^\n]*)"), "FM {}"),
    Field("DE", "header", re.compile(r"(?m)^[ \t]*DE[ \t]+(?P<c>[^\n]*)"), "DE {}"),
    Field(
        "DTG",
        "header",
        re.compile(r"(?m)^(?P<c>[ \t]*[OPRZ]{1,2})[ \t]+\d{6}Z"),
        "{} 201337Z NOV 07",
        modes=("pad", "prefix"),
    ),
    Field(
        "SIGNATURE",
        "body",
        re.compile(r"(?P<c>)"),  # located by `locate`: the last line with text
        "{}",
        modes=("pad", "prefix", "replace"),
    ),
    Field(
        "PARA_MARK",
        "body",
        re.compile(r"(?m)^[ \t]*¶?\d{1,2}[ \t]*\.[ \t]*(?P<c>\([A-Z/]{1,8}\))?"),
        "1. (C) {}",
        modes=("pad", "prefix", "replace"),
    ),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}


def locate(fld: Field, text: str) -> tuple[int, int] | None:
    """The span of the field's content in `text`, found in linear time (inputs are hostile)."""
    if fld.name == "SIGNATURE":
        end = len(text.rstrip())
        return (text.rfind("\n", 0, end) + 1, end) if end else None
    if fld.name == "SUMMARY":
        closing = _END_SUMMARY.search(text)
        if closing is None:
            return None
        openings = list(_SUMMARY_WORD.finditer(text, 0, closing.start()))
        return (openings[-1].end(), closing.start()) if openings else None
    m = fld.pattern.search(text)
    if m is None:
        return None
    return m.span("c") if m.group("c") is not None else (m.end(), m.end())


def stretch(header: str, body: str, fld: Field, filler: str, mode: str) -> tuple[str, str]:
    """The cable with `fld` padded with, prefixed by or replaced by `filler`."""
    text = header if fld.part == "header" else body
    if fld.drop is not None:
        text = fld.drop.sub("", text)
    span = locate(fld, text)
    if span is None:  # no such field: add one after the first line
        before, after = fld.template.split("{}")
        cut = text.find("\n") + 1 if "\n" in text else len(text)
        text = text[:cut] + before + after + "\n" + text[cut:]
        span = (cut + len(before), cut + len(before))
    start, end = span
    if mode == "pad":
        text = text[:end] + filler + text[end:]
    elif mode == "prefix":
        text = text[:start] + filler + text[start:]
    else:
        text = text[:start] + filler + text[end:]
    return (text, body) if fld.part == "header" else (header, text)


def stretch_specs(
    sizes: tuple[int, ...], fields: tuple[str, ...] = (), fillers: tuple[str, ...] = ()
) -> list[tuple[str, str, int, str]]:
    return [
        (fld.name, filler, size, mode)
        for fld in FIELDS
        if not fields or fld.name in fields
        for filler in FILLERS
        if not fillers or filler in fillers
        for size in sizes
        for mode in fld.modes
    ]
