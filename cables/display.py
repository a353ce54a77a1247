"""Shapes the pages print: chart geometry for inline SVG and a cable body cut into paragraphs.

Pure functions of plain values, so templates only loop and print and nothing here needs a database.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString

from .search import marked

# A blank line, or a new line that starts a numbered paragraph (many cables have no blank lines).
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*\d{1,3}\.[ \t]+(?:\([A-Z]|[A-Z]))")
# "3. (C) Text", "12. (S/NF) Text", "1. Summary", each optionally with the marking.
NUMBERED = re.compile(r"^(\s*)(\d{1,3})\.(\s+)(\(([A-Z][A-Z/ -]{0,14})\))?")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    width: int
    height: int
    summary: str


def month_chart(counts: list[tuple[str, int]], *, height: int = 80) -> Chart:
    """One bar per calendar month from the first month with cables to the last, gaps included."""
    if not counts:
        return Chart([], [], 0, height, "No cables")
    by_month = dict(counts)
    months = _month_range(counts[0][0], counts[-1][0])
    top = max(by_month.values())
    bars = []
    for index, month in enumerate(months):
        count = by_month.get(month, 0)
        if count:
            bar_height = max(1.0, round(count / top * height, 1))
            bars.append(Bar(index, height - bar_height, 1, bar_height, f"{month}: {count:,}"))
    ticks = [(i, m[:4]) for i, m in enumerate(months) if m.endswith("-01") and int(m[:4]) % 5 == 0]
    busiest = max(counts, key=lambda item: item[1])
    summary = (
        f"{sum(by_month.values()):,} cables from {months[0]} to {months[-1]}; "
        f"busiest month {busiest[0]} with {busiest[1]:,}"
    )
    return Chart(bars, ticks, len(months), height, summary)


def sparkline(counts: dict[str, int], first: int, last: int, *, height: int = 16) -> str:
    """SVG polyline points for counts per year from `first` to `last` (missing years are 0)."""
    values = [counts.get(str(year), 0) for year in range(first, last + 1)]
    top = max(values, default=0) or 1
    return " ".join(f"{x * 2},{height - v / top * height:.1f}" for x, v in enumerate(values))


@dataclass(frozen=True)
class Paragraph:
    anchor: str
    html: SafeString


def paragraphs(body: str) -> list[Paragraph]:
    """The body as escaped paragraphs; numbered ones get the #pN anchor and a styled marking."""
    result = []
    for position, block in enumerate(PARAGRAPH_BREAK.split(body.strip("\n")), start=1):
        if not block.strip():
            continue
        found = NUMBERED.match(block)
        anchor = f"p{found.group(2)}" if found else f"b{position}"
        result.append(Paragraph(anchor, _paragraph_html(block, found)))
    return _unique_anchors(result)


def _paragraph_html(block: str, found: re.Match | None) -> SafeString:
    if not found or not found.group(4):
        return marked(block)
    prefix = f"{found.group(1)}{found.group(2)}.{found.group(3)}"
    marking = f'<span class="marking">{marked(found.group(4))}</span>'
    return SafeString(marked(prefix) + marking + marked(block[found.end() :]))


def _unique_anchors(result: list[Paragraph]) -> list[Paragraph]:
    seen: set[str] = set()
    unique = []
    for paragraph in result:
        anchor = paragraph.anchor
        while anchor in seen:
            anchor += "-"
        seen.add(anchor)
        unique.append(Paragraph(anchor, paragraph.html))
    return unique


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04}-{month:02}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def as_written(corrections: list[dict[str, str]], tags: list[str]) -> dict[str, Any]:
    """What the cable wrote where the parser corrected it, by the field the page shows it at.

    The TAGs are shown as the whole line as written, once any of them was corrected.
    """
    written: dict[str, Any] = {"origin": [], "classification": [], "tags": ""}
    for correction in corrections:
        field = correction.get("field", "")
        if field in ("origin", "classification"):
            written[field].append(correction.get("written", ""))
        elif field in ("tag", "tags label"):
            written["tags"] = ", ".join(tags)
    return written
