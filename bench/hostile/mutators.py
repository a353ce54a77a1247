"""Mutators: (header, body, metadata, rng) -> (header, body, metadata, label)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from cables.parser import Metadata

from .fields import FIELDS, FILLERS, SIZES, drawn, stretch
from .inputs import Cable

_UNICODE = {
    "combining": "\u0301\u0308\u0327\u0336\u20dd",
    "rtl": "\u202e\u202b\u200f\u061c\u2067",
    "zero-width": "\u200b\u200c\u200d\u2060\ufeff",
    "fullwidth-digits": "０１２３４５６７８９",
    "fullwidth-letters": "ＡＢＣＥＦＳＵＪＴ：．",
    "nbsp": "\u00a0\u2007\u202f\u3000",
    "emoji": "😀🇺🇸👍🏽🧑‍🚀",
    "line-separators": "\u2028\u2029\x85\x0b\x0c\x1c",
    "case-changers": "ßİıŉǰﬁﬃΐ",  # str.upper() and .lower() change their length
    "controls": "\x00\x07\x1b\x7f",
}


def _pick_part(rng: random.Random, header: str, body: str) -> str:
    if not header:
        return "body"
    return "header" if rng.random() < 0.25 else "body"


def _with_part(
    rng: random.Random, header: str, body: str, change: Callable[[str], tuple[str, str]]
) -> tuple[str, str, str]:
    """Apply `change` (text -> (new text, label)) to the header or the body."""
    part = _pick_part(rng, header, body)
    text, label = change(header if part == "header" else body)
    label = f"{label}[{part}]"
    return (text, body, label) if part == "header" else (header, text, label)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _line_mutator(
    name: str, change: Callable[[random.Random, list[str]], tuple[list[str], str]]
) -> Callable[..., tuple[str, str, Metadata, str]]:
    def mutate(header: str, body: str, meta: Metadata, rng: random.Random):
        def on_text(text: str) -> tuple[str, str]:
            lines = _lines(text)
            if not lines:
                return text, f"{name}(empty)"
            lines, detail = change(rng, lines)
            return "".join(lines), f"{name}({detail})"

        header, body, label = _with_part(rng, header, body, on_text)
        return header, body, meta, label

    return mutate


def _delete_lines(rng: random.Random, lines: list[str]) -> tuple[list[str], str]:
    if rng.random() < 0.5:
        k = min(len(lines), rng.choice((1, 3, 10)))
        gone = set(rng.sample(range(len(lines)), k))
        return [line for i, line in enumerate(lines) if i not in gone], f"{k} random"
    start = rng.randrange(len(lines))
    run = rng.randint(1, max(1, len(lines) // 3))
    return lines[:start] + lines[start + run :], f"{run} from line {start + 1}"


def _duplicate_lines(rng: random.Random, lines: list[str]) -> tuple[list[str], str]:
    i = rng.randrange(len(lines))
    times = rng.choice((2, 5, 50, 500))
    line = lines[i] if lines[i].endswith("\n") else lines[i] + "\n"
    return lines[:i] + [line] * times + lines[i + 1 :], f"line {i + 1} x{times}"


def _swap_lines(rng: random.Random, lines: list[str]) -> tuple[list[str], str]:
    k = rng.choice((1, 3, 10))
    for _ in range(k):
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return lines, f"{k} swaps"


def _reverse_lines(rng: random.Random, lines: list[str]) -> tuple[list[str], str]:
    return [line if line.endswith("\n") else line + "\n" for line in reversed(lines)], "all"


def _add_blank_lines(rng: random.Random, lines: list[str]) -> tuple[list[str], str]:
    blank = rng.choice(("\n", "\n\n", " \n", "\t\n\n"))
    if rng.random() < 0.5:
        return [line + blank for line in lines], f"after every line {blank!r}"
    k = rng.choice((1, 5, 20))
    for _ in range(k):
        lines.insert(rng.randrange(len(lines) + 1), blank)
    return lines, f"{k} x {blank!r}"


def _remove_blank_lines(rng: random.Random, lines: list[str]) -> tuple[list[str], str]:
    return [line for line in lines if line.strip()], "all"


def _indent(rng: random.Random, lines: list[str]) -> tuple[list[str], str]:
    pad = rng.choice((" ", "   ", "\t", " \t "))
    return [pad + line for line in lines], repr(pad)


def _renumber(rng: random.Random, lines: list[str]) -> tuple[list[str], str]:
    how = rng.choice(("drop", "+1", "+7", "x10"))

    def renumbered(m: re.Match[str]) -> str:
        n = int(m.group(2))
        if how == "drop":
            return m.group(1)
        value = n * 10 if how == "x10" else n + int(how)
        return f"{m.group(1)}{value}."

    number = re.compile(r"([ \t]*)(\d{1,2})\.")
    found = [(line, number.match(line)) for line in lines]
    return [renumbered(m) + line[m.end() :] if m else line for line, m in found], how


def _text_mutator(
    name: str, change: Callable[[random.Random, str], tuple[str, str]]
) -> Callable[..., tuple[str, str, Metadata, str]]:
    def mutate(header: str, body: str, meta: Metadata, rng: random.Random):
        def on_text(text: str) -> tuple[str, str]:
            text, detail = change(rng, text)
            return text, f"{name}({detail})"

        header, body, label = _with_part(rng, header, body, on_text)
        return header, body, meta, label

    return mutate


def _flip_bytes(rng: random.Random, text: str) -> tuple[str, str]:
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    if not data:
        return text, "empty"
    k = rng.choice((1, 5, 50))
    for _ in range(k):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return data.decode("utf-8", "replace"), f"{k}"


def _insert_unicode(rng: random.Random, text: str) -> tuple[str, str]:
    kind = rng.choice(sorted(_UNICODE))
    chars = _UNICODE[kind]
    if rng.random() < 0.3:
        at, run = rng.randrange(len(text) + 1), rng.choice((10, 100, 1000))
        return text[:at] + drawn(rng, chars, run) + text[at:], f"{kind} run of {run}"
    k = rng.choice((1, 10, 100))
    pieces = list(text)
    for _ in range(k):
        pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(chars))
    return "".join(pieces), f"{kind} x{k}"


def _truncate(rng: random.Random, text: str) -> tuple[str, str]:
    at = rng.randrange(len(text) + 1)
    return text[:at], f"at {at}"


def _join_lines(rng: random.Random, text: str) -> tuple[str, str]:
    return " ".join(line.strip(" \t\r") for line in text.split("\n")), "all"


def _change_case(rng: random.Random, text: str) -> tuple[str, str]:
    how = rng.choice(("lower", "upper", "swapcase"))
    return getattr(text, how)(), how


def _reorder_paragraphs(header: str, body: str, meta: Metadata, rng: random.Random):
    paragraphs = re.split(r"(?<=\n)(?=[ \t]*\n)", body)
    rng.shuffle(paragraphs)
    return header, "".join(paragraphs), meta, f"reorder_paragraphs({len(paragraphs)})"


def _repeat_body(header: str, body: str, meta: Metadata, rng: random.Random):
    k = rng.choice((2, 3, 5, 8))
    return header, "\n".join([body] * k), meta, f"repeat_body(x{k})"


def _drop_header(header: str, body: str, meta: Metadata, rng: random.Random):
    return "", body, meta, "drop_header"


def _inline_header(header: str, body: str, meta: Metadata, rng: random.Random):
    return "", header.rstrip("\n") + "\n" + body, meta, "inline_header"


def _swap_header_body(header: str, body: str, meta: Metadata, rng: random.Random):
    return body, header, meta, "swap_header_body"


def _line_endings(header: str, body: str, meta: Metadata, rng: random.Random):
    ending = rng.choice(("\r\n", "\r", "mixed"))

    def convert(text: str) -> str:
        if ending != "mixed":
            return text.replace("\n", ending)
        return "".join(
            line.replace("\n", rng.choice(("\n", "\r\n", "\r"))) for line in _lines(text)
        )

    return convert(header), convert(body), meta, f"line_endings({ending!r})"


def _drop_metadata(header: str, body: str, meta: Metadata, rng: random.Random):
    return header, body, Metadata(), "drop_metadata"


def _stretch(header: str, body: str, meta: Metadata, rng: random.Random):
    fld = rng.choice(FIELDS)
    filler, size, mode = rng.choice(sorted(FILLERS)), rng.choice(SIZES), rng.choice(fld.modes)
    header, body = stretch(header, body, fld, FILLERS[filler](rng, size), mode)
    return header, body, meta, f"stretch({fld.name},{filler},{size},{mode})"


def splice_factory(cables: list[Cable]) -> Callable[..., tuple[str, str, Metadata, str]]:
    def splice(header: str, body: str, meta: Metadata, rng: random.Random):
        donor = rng.choice(cables)
        lines = _lines(donor.body)
        start = rng.randrange(len(lines)) if lines else 0
        piece = "".join(lines[start : start + rng.choice((3, 10, 40))])
        at = rng.randrange(len(body) + 1)
        return header, body[:at] + piece + body[at:], meta, f"splice({donor.name}:{start + 1})"

    return splice


MUTATORS: dict[str, Callable[..., tuple[str, str, Metadata, str]]] = {
    "delete_lines": _line_mutator("delete_lines", _delete_lines),
    "duplicate_lines": _line_mutator("duplicate_lines", _duplicate_lines),
    "swap_lines": _line_mutator("swap_lines", _swap_lines),
    "reverse_lines": _line_mutator("reverse_lines", _reverse_lines),
    "add_blank_lines": _line_mutator("add_blank_lines", _add_blank_lines),
    "remove_blank_lines": _line_mutator("remove_blank_lines", _remove_blank_lines),
    "indent": _line_mutator("indent", _indent),
    "renumber": _line_mutator("renumber", _renumber),
    "flip_bytes": _text_mutator("flip_bytes", _flip_bytes),
    "insert_unicode": _text_mutator("insert_unicode", _insert_unicode),
    "truncate": _text_mutator("truncate", _truncate),
    "join_lines": _text_mutator("join_lines", _join_lines),
    "change_case": _text_mutator("change_case", _change_case),
    "reorder_paragraphs": _reorder_paragraphs,
    "repeat_body": _repeat_body,
    "drop_header": _drop_header,
    "inline_header": _inline_header,
    "swap_header_body": _swap_header_body,
    "line_endings": _line_endings,
    "drop_metadata": _drop_metadata,
    "stretch": _stretch,
}
# How often the fuzz run draws each mutator (splice is added per run: it needs the corpus).
WEIGHTS = {"stretch": 6, "insert_unicode": 3, "flip_bytes": 3, "duplicate_lines": 2}
