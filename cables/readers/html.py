"""WikiLeaks cable-viewer pages (Dec 2010 and Aug 2011 layouts): one page, one record.

The metadata comes from the `<table class="cable">` row and, on Dec 2010 pages, from the prelude
(ID:, ORIGIN:, DATE: …) that opens the body; the header and body are the page's `<pre>` blocks.
Elements are found by scanning forward with str.find, never by `(.*?)</tag>` patterns, which
retry from every opening tag and turn quadratic on a page of unclosed ones.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import BinaryIO

from ..parser.types import Metadata
from .fields import bad_date, dump_id, iso_date, references
from .records import BadRecord, Limits, RawRecord, Record, bad, nul_error
from .sniff import newlines, read_whole

_TABLE = re.compile(r"<table class=['\"]cable['\"]", re.I)
_TABLE_END = re.compile(r"</table>", re.I)
_PRE = re.compile(r"<pre", re.I)
_PRE_END = re.compile(r"</pre>", re.I)
_ROW = re.compile(r"<tr", re.I)
_ROW_END = re.compile(r"</tr>", re.I)
_HEAD = re.compile(r"<th", re.I)
_HEAD_END = re.compile(r"</th>", re.I)
_CELL = re.compile(r"<td", re.I)
_CELL_END = re.compile(r"</td>", re.I)
_ANCHOR = re.compile(r"<a id=['\"]par\d+['\"]", re.I)
_ANCHOR_END = re.compile(r"</a>", re.I)
_HUGE_CHARREF = re.compile(r"&#[0-9]{4000,};?")
_PRELUDE = re.compile(
    r"\AID: (?P<id>.*)\nORIGIN: (?P<refid>.*)\nDATE: (?P<date>.*)\nSOURCE: (?P<origin>.*)\n"
    r"CLASSIFICATION: (?P<classification>.*)\nMISC: (?P<misc>.*)\nDESTINATION: .*\n*"
)


def read_html(source: str, stream: BinaryIO, limits: Limits) -> Iterator[Record]:
    whole = read_whole(source, stream, "html", limits)
    if isinstance(whole, BadRecord):
        yield whole
        return
    page, warnings = whole
    yield html_record(page, source, "file", 1, warnings)


def html_record(
    page: str, source: str, position: str, line: int, warnings: tuple[str, ...] = ()
) -> RawRecord | BadRecord:
    def refuse(error: str) -> BadRecord:
        return bad(source, position, line, "html", error, page)

    error = nul_error(page, line)
    if error:
        return refuse(error)
    table = next(_elements(page, _TABLE, _TABLE_END), None)
    if table is None:
        return refuse("unknown format: HTML without a cable table")
    pres = [page[start:end] for _, start, end, _ in _elements(page, _PRE, _PRE_END)]
    if not pres:
        return refuse("WikiLeaks page without cable text (<pre>)")
    header = newlines(_text(pres[0])) if len(pres) > 1 else ""
    body = newlines(_text(_without_anchors(pres[-1])))
    prelude = _PRELUDE.match(body)
    if prelude:
        body = body[prelude.end() :]
    metadata = _metadata(_table_cells(page[table[1] : table[2]]), prelude)
    if isinstance(metadata, str):
        return refuse(metadata)
    return RawRecord(source, position, line, "html", page, header, body, metadata, warnings)


def _elements(
    text: str, opening: re.Pattern[str], closing: re.Pattern[str]
) -> Iterator[tuple[int, int, int, int]]:
    """(start, content start, content end, end) of each element, scanning the text once.

    An opening tag without a `>` or a closing tag after it ends the scan: no later one can
    have them either.
    """
    at = 0
    while (found := opening.search(text, at)) is not None:
        content = text.find(">", found.end()) + 1
        if not content:
            return
        close = closing.search(text, content)
        if close is None:
            return
        yield found.start(), content, close.start(), close.end()
        at = close.end()


def _without_anchors(text: str) -> str:
    """The text less its paragraph anchors (`<a id='par3' …>¶</a>`)."""
    parts: list[str] = []
    at = 0
    for start, _, _, end in _elements(text, _ANCHOR, _ANCHOR_END):
        parts.append(text[at:start])
        at = end
    parts.append(text[at:])
    return "".join(parts)


def _text(fragment: str) -> str:
    """The fragment without its tags, entities decoded; a `<` with no `>` after it is text."""
    parts: list[str] = []
    at = 0
    while (start := fragment.find("<", at)) >= 0:
        end = fragment.find(">", start + 1)
        if end < 0:
            break
        # "<>" is not a tag: it stays, as it would for the pattern <[^>]+>.
        parts.append(fragment[at : start if end > start + 1 else end + 1])
        at = end + 1
    parts.append(fragment[at:])
    return _unescape("".join(parts))


def _unescape(text: str) -> str:
    # The pages write every newline as &#x000A;: replaced in one pass, not one call each.
    text = text.replace("&#x000A;", "\n")
    try:
        return html.unescape(text)
    except ValueError:
        # int() refuses a decimal character reference of more than 4,300 digits.
        return html.unescape(_HUGE_CHARREF.sub("\ufffd", text))


def _table_cells(table: str) -> dict[str, str]:
    heads: list[str] = []
    for _, start, end, _ in _elements(table, _ROW, _ROW_END):
        row = table[start:end]
        if not heads:
            heads = [
                _text(row[a:b]).strip().lower() for _, a, b, _ in _elements(row, _HEAD, _HEAD_END)
            ]
            continue
        cells = [_text(row[a:b]).strip() for _, a, b, _ in _elements(row, _CELL, _CELL_END)]
        if len(cells) == len(heads):
            return dict(zip(heads, cells, strict=True))
    return {}


def _metadata(cells: dict[str, str], prelude: re.Match[str] | None) -> Metadata | str:
    """The page's metadata, or what is wrong with it."""
    table_created = cells.get("created") or cells.get("date") or ""
    if not cells.get("reference id") or not table_created:
        return "WikiLeaks cable table without a row of Reference ID, Date… cells"
    created = iso_date(table_created)
    if created is None:
        return bad_date(table_created)
    if prelude is None:
        return Metadata(
            refid=cells["reference id"],
            created=created,
            origin=cells.get("origin") or None,
            classification=cells.get("classification") or None,
        )
    number = dump_id(prelude["id"])
    if isinstance(number, str):
        return number
    # The Dec-2010 pages show a wrong Created minute; the prelude's DATE is to the second.
    prelude_created = iso_date(prelude["date"])
    if prelude_created is None:
        return bad_date(prelude["date"])
    return Metadata(
        dump_id=number,
        refid=cells["reference id"],
        created=prelude_created,
        origin=cells.get("origin") or prelude["origin"].strip() or None,
        classification=cells.get("classification") or prelude["classification"].strip() or None,
        references=references(prelude["misc"]),
    )
