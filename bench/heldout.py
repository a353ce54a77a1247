#!/usr/bin/env python
"""Parser accuracy on held-out WikiLeaks cable pages, as a user would paste them and as imported.

    python bench/heldout.py                                # /work/heldout, summary
    python bench/heldout.py --failures                     # and every failure, one per line
    python bench/heldout.py --data ../shared/data/html     # the pages the project already has
    python bench/heldout.py --json > heldout.json          # machine-readable

The held-out pages (/work/heldout, outside the repository, never committed; see its
MANIFEST.jsonl) are real cable-viewer pages nobody tunes the parser against sample by sample.
Each page is measured twice:

- plain text: what a user copies from the browser. The text of the page's <pre> blocks (the
  header block, then the body block, joined by one line break), markup stripped and entities
  unescaped as a browser renders them (the paragraph links stay as their "¶"), parsed with
  `parse_cable("", text)` and no metadata;
- imported: the page through `cables.readers.read_records([page])` and
  `parse_cable(header, body, metadata)`, with the page's metadata table.

Expected values come from the page's own metadata table, read here independently of
cables.readers: Reference ID, Created (Date on the earliest layout), Origin and the visible
Classification text (the title= attribute is shifted and ignored). The Dec-2010 pages print a
wrong Created minute (the hour modulo 12), so the date is compared to the minute only on pages
of the final release (Released 2011-08-…) and to the day everywhere else. Expected TAGs are the
page's own TAG links (<a href='…/tag/X_0.html'>) in the text, compared as a set; a page without
TAG links falls back on the TAGS line of its text (not an independent source: such pages are
listed as "TAGs from the text").

Pages are sorted by the dates their plain text carries:

- dated: a date-time group with month and year ("271459Z SEP 00") or a Dec-2010 date line
  ("Tuesday, 20 January 2004, 09:44") anywhere in the text. These must parse, and every field
  is checked; a rejection counts as wrong on every field;
- year only: no full date, but a partial-extract footer ("2004CARACA02200 - CONFIDENTIAL")
  gives the year. The reference id is derivable, the date is not: every field but the date is
  checked, and a rejection counts against them;
- undated: neither. No reference id can be derived from such a text, so the right outcome is a
  rejection whose message says what is missing (the date); an accepted one is listed.

Each TAG miss is labelled with its likely cause, found by comparing the expected TAGs, the
parser's TAGs (and its tags_as_written) and every TAGS field of the text word by word: the site
splitting a TAG into several links, the site linking only the first line of a TAGS field that
runs on, a text with two different TAGS fields, a TAG the parser rewrote (RU -> RS), or a TAG
the parser gave or missed. The labels explain; they do not change the score.

Imports only cables.parser and cables.readers (no Django); a few hundred pages take seconds.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cables.parser import ParseError, parse_cable  # noqa: E402
from cables.readers import BadRecord, read_records  # noqa: E402

DEFAULT_DATA = Path("/work/heldout")
FIELDS = ("refid", "date", "origin", "classification", "tags")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")

_TABLE = re.compile(r"<table class=['\"]cable['\"]>(.*?)</table>", re.S | re.I)
_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S | re.I)
_TH = re.compile(r"<th[^>]*>(.*?)</th>", re.S | re.I)
_TD = re.compile(r"<td[^>]*>(.*?)</td>", re.S | re.I)
_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S | re.I)
_MARKUP = re.compile(r"<[^>]+>")
_TAG_LINK = re.compile(
    r"<a\s[^>]*href=['\"][^'\"]*tag/([^'\"/]+?)_\d+\.html['\"][^>]*>(.*?)</a>", re.S
)
_WHEN = re.compile(r"(\d{4})-(\d\d)-(\d\d)(?: (\d\d):(\d\d))?")
_MONTH = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)"
_DTG = re.compile(rf"\b\d{{6}}Z\s+{_MONTH}\s+\d{{2}}\b")
_DATE_LINE = re.compile(
    r"(?m)^[ \t]*(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,[ \t]+\d{1,2}[ \t]+[A-Z][a-z]+[ \t]+"
    r"(?:19|20)\d\d,[ \t]+\d{1,2}:\d\d"
)
_FOOTER_YEAR = re.compile(r"(?m)^[ \t]*(?:19|20)\d\d[A-Z]{3,}\d{5}[ \t]+-[ \t]+[A-Z]")
# The TAGS field as typed: "TAGS: PREL, PGOV", "TAGS PREL", "TAG: PTER", "Tags: prel, pgov" (the
# lower-cased 2008 pages), anywhere on its line, running on over continuation lines up to the
# SUBJECT, a blank line or the next header field.
_TAGS_FIELD = re.compile(
    r"(?i)(?:^|(?<=\s))TAGS?\b[^\S\n]*:?[^\S\n]*(?=[A-Z(])(.+?)"
    r"(?=\n[ \t]*\n|\bSUBJ(?:ECT)?\b|\n[ \t]*(?:REF|REFS|CLASSIFIED|E\.?\s?O\.?)\b|\Z)",
    re.S,
)
_TAG_TOKEN = re.compile(r"\([^)]*\)|[^\s,;]+")
_DIGITS = re.compile(r"\d+")
_QUOTED = re.compile(r"'[^']*'")


@dataclass
class Expected:
    refid: str
    created: datetime | None
    exact_minute: bool
    origin: str
    classification: str
    tags: frozenset[str]
    tag_order: tuple[str, ...]
    tags_source: str  # "links" or "text"
    released: str
    # every TAGS field of the plain text, to explain misses
    text_fields: tuple[tuple[str, ...], ...] = ()


@dataclass
class Outcome:
    fields: dict[str, tuple[bool, str, str]] = field(default_factory=dict)  # ok, expected, got
    causes: dict[str, str] = field(default_factory=dict)  # field -> likely cause of a miss
    rejected: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass
class Page:
    path: Path
    expected: Expected
    kind: str  # dated, year only, undated
    plain: Outcome
    imported: Outcome
    excerpt: str


def page_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def cell_text(fragment: str) -> str:
    return " ".join(html.unescape(_MARKUP.sub("", fragment)).split())


def table_cells(page: str) -> dict[str, str]:
    table = _TABLE.search(page)
    if not table:
        return {}
    heads: list[str] = []
    for row in _ROW.findall(table.group(1)):
        if not heads:
            heads = [cell_text(h).lower() for h in _TH.findall(row)]
            continue
        cells = [cell_text(c) for c in _TD.findall(row)]
        if len(cells) == len(heads):
            return dict(zip(heads, cells, strict=True))
    return {}


def when(value: str) -> datetime | None:
    m = _WHEN.search(value or "")
    if not m:
        return None
    y, mo, d, h, mi = (int(x) if x else 0 for x in m.groups())
    try:
        return datetime(y, mo, d, h, mi)
    except ValueError:
        return None


def pre_blocks(page: str) -> list[str]:
    return _PRE.findall(page)


def browser_text(fragment: str) -> str:
    """A <pre> block as a browser renders it: markup gone, entities resolved, one leading
    newline dropped (HTML ignores a line break right after <pre>)."""
    text = html.unescape(_MARKUP.sub("", fragment)).replace("\r\n", "\n").replace("\r", "\n")
    return text[1:] if text.startswith("\n") else text


def plain_text(page: str) -> str:
    return "\n".join(browser_text(block) for block in pre_blocks(page))


def text_tags(text: str) -> list[str]:
    """The (first) TAGS field of the text, upper-cased; a parenthesised name
    ("(STEINBERG, JAMES B.)") is one TAG."""
    m = _TAGS_FIELD.search(text)
    return tags_of(m) if m else []


def tags_of(match: re.Match) -> list[str]:
    tokens = (" ".join(t.strip("()").split()) for t in _TAG_TOKEN.findall(match.group(1).upper()))
    return list(dict.fromkeys(t for t in tokens if t))


def expected_values(page: str, text: str) -> Expected | str:
    cells = table_cells(page)
    refid = cells.get("reference id", "")
    created_cell = cells.get("created") or cells.get("date") or ""
    if not refid:
        return "no metadata table with a Reference ID"
    released = cells.get("released", "")
    links = []
    for block in pre_blocks(page):
        for target, label in _TAG_LINK.findall(block):
            name = cell_text(label) or html.unescape(target)
            if name.upper() not in links:
                links.append(name.upper())
    order, source = (links, "links") if links else (text_tags(text), "text")
    return Expected(
        refid=refid,
        created=when(created_cell),
        exact_minute=released.startswith("2011-08"),
        origin=cells.get("origin", ""),
        classification=cells.get("classification", ""),
        tags=frozenset(order),
        tag_order=tuple(order),
        tags_source=source,
        text_fields=tuple(tuple(tags_of(m)) for m in _TAGS_FIELD.finditer(text)),
        released=released,
    )


def date_kind(text: str) -> str:
    if _DTG.search(text) or _DATE_LINE.search(text):
        return "dated"
    if _FOOTER_YEAR.search(text):
        return "year only"
    return "undated"


def fmt_date(value: datetime | None, minute: bool) -> str:
    if value is None:
        return "none"
    return value.strftime("%Y-%m-%d %H:%M" if minute else "%Y-%m-%d")


def compare(expected: Expected, cable, check_date: bool) -> dict[str, tuple[bool, str, str]]:
    out: dict[str, tuple[bool, str, str]] = {}
    out["refid"] = (cable.refid == expected.refid, expected.refid, cable.refid)
    if check_date:
        got = cable.created.replace(tzinfo=None) if cable.created else None
        minute = expected.exact_minute
        want_s, got_s = fmt_date(expected.created, minute), fmt_date(got, minute)
        out["date"] = (want_s == got_s and expected.created is not None, want_s, got_s)
    out["origin"] = (
        cable.origin.casefold() == expected.origin.casefold(),
        expected.origin,
        cable.origin,
    )
    out["classification"] = (
        cable.classification.upper() == expected.classification.upper(),
        expected.classification,
        cable.classification,
    )
    got_tags = frozenset(t.upper() for t in cable.tags)
    out["tags"] = (
        got_tags == expected.tags,
        " ".join(sorted(expected.tags)),
        " ".join(sorted(got_tags)),
    )
    # The same letters in the same order, whatever the splitting: the site links ZANU-PF as
    # ZANU and PF and COUNTER TERRORISM as two TAGs, the parser may join or keep them.
    out["tags_letters"] = (
        letters(cable.tags) == letters(expected.tag_order),
        " ".join(expected.tag_order),
        " ".join(cable.tags),
    )
    return out


def letters(tags) -> str:
    return "".join(_NOT_ALNUM.sub("", t.upper()) for t in tags)


def measure(parse, expected: Expected, kind: str) -> Outcome:
    """`kind` is the page's date kind for the plain text, or "imported" (every field checked)."""
    check_date = kind in ("dated", "imported")
    try:
        cable = parse()
    except ParseError as e:
        outcome = Outcome(rejected=e.message)
        if kind != "undated":
            for name in FIELDS:
                if name == "date" and not check_date:
                    continue
                want = {
                    "refid": expected.refid,
                    "date": fmt_date(expected.created, expected.exact_minute),
                    "origin": expected.origin,
                    "classification": expected.classification,
                    "tags": " ".join(sorted(expected.tags)),
                }[name]
                outcome.fields[name] = (False, want, "REJECTED")
        return outcome
    outcome = Outcome(warnings=cable.warnings)
    outcome.fields = compare(expected, cable, check_date)
    if not outcome.fields["tags"][0]:
        outcome.causes["tags"] = tag_cause(expected, cable)
    return outcome


def tag_cause(expected: Expected, cable) -> str:
    """Why the TAGs differ, as far as the page shows: most misses are the site's, not the parser's.
    Compared as words (a TAG split on anything but letters and digits), so that the site's
    splitting of "CLINTON, HILLARY" or "ZANU-PF" into several links does not hide the cause."""
    got = [t.upper() for t in cable.tags]
    written = [t.upper() for t in (getattr(cable, "tags_as_written", ()) or got)]
    words_written, words_want = words(written), words(expected.tag_order)
    words_text = set()
    for field_tags in expected.text_fields:
        words_text |= words(field_tags)
    rewrote = ""
    if got != written:
        before = [t for t in written if t not in got]
        after = [t for t in got if t not in written]
        changed = f"{' '.join(before)} -> {', '.join(after)}" if before or after else "reordered"
        rewrote = f"parser rewrote TAGs as written ({changed})"
    if words_written == words_want:
        return rewrote or "same TAGs, split or ordered differently (site vs parser tokenisation)"
    if not words_want and got:
        return "no expected TAGs found on the page"
    if len({words(f) for f in expected.text_fields}) > 1 and words_written <= words_text:
        cause = "two different TAGS fields in the text; the site links one, the parser took another"
    elif expected.tags_source == "links" and words_want < words_written <= words_text:
        cause = "site TAG links miss TAGs of the field's continuation line"
    elif not words_written <= words_text:
        extra = " ".join(sorted(words_written - words_text))
        cause = f"parser gave TAGs not in any TAGS field: {extra}"
    elif words_written < words_want:
        cause = f"parser missed TAGs: {' '.join(sorted(words_want - words_written))}"
    else:
        cause = "other"
    return f"{cause}; {rewrote}" if rewrote else cause


def words(tags) -> frozenset[str]:
    return frozenset(w for t in tags for w in _NOT_ALNUM.split(t.upper()) if w)


def imported_parse(path: Path):
    records = list(read_records([path]))
    if len(records) != 1:
        raise ParseError(f"read_records gave {len(records)} records")
    record = records[0]
    if isinstance(record, BadRecord):
        raise ParseError(f"reader: {record.error}")
    return parse_cable(record.header, record.body, record.metadata)


def excerpt(text: str, limit: int = 12) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    keep = [line for line in lines if line.strip()][:limit]
    return "\n".join(keep)


def load(data: Path) -> tuple[list[Page], list[tuple[Path, str]]]:
    pages: list[Page] = []
    skipped: list[tuple[Path, str]] = []
    for path in sorted(data.rglob("*.html")):
        if any(part.startswith("_") for part in path.relative_to(data).parts):
            continue
        page = page_text(path.read_bytes())
        text = plain_text(page)
        expected = expected_values(page, text)
        if isinstance(expected, str):
            skipped.append((path, expected))
            continue
        kind = date_kind(text)
        plain = measure(lambda text=text: parse_cable("", text), expected, kind)
        imported = measure(lambda path=path: imported_parse(path), expected, "imported")
        pages.append(Page(path, expected, kind, plain, imported, excerpt(text)))
    return pages, skipped


def message_group(message: str) -> str:
    """Rejection messages with the cable-specific parts (quotes, numbers) blanked."""
    message = re.sub(r"\bnames .+? but not\b", "names … but not", message)
    return _DIGITS.sub("N", _QUOTED.sub("'…'", message))


def summarise(pages: list[Page], which: str) -> dict:
    """Figures for one way of reading the pages: "plain" (by date kind) or "imported" (all)."""
    kinds = Counter(p.kind for p in pages)
    groups = (
        {
            "dated": [p for p in pages if p.kind == "dated"],
            "year only": [p for p in pages if p.kind == "year only"],
        }
        if which == "plain"
        else {"all pages": pages}
    )
    acc: dict[str, dict[str, dict[str, int]]] = {}
    for label, group in groups.items():
        acc[label] = {}
        for name in (*FIELDS, "tags_letters"):
            if label == "year only" and name == "date":
                continue
            right = sum(1 for p in group if getattr(p, which).fields.get(name, (False,))[0])
            acc[label][name] = {"right": right, "total": len(group)}
        acc[label]["all fields"] = {
            "right": sum(
                1
                for p in group
                if all(
                    ok
                    for name, (ok, _, _) in getattr(p, which).fields.items()
                    if name != "tags_letters"
                )
                and getattr(p, which).rejected is None
            ),
            "total": len(group),
        }
    failures = []
    rejections: dict[str, Counter] = defaultdict(Counter)
    rejected_by: dict[str, dict[str, dict]] = defaultdict(dict)
    undated_accepted = []
    for p in pages:
        o: Outcome = getattr(p, which)
        kind = p.kind if which == "plain" else "all pages"
        if o.rejected is not None:
            group = message_group(o.rejected)
            rejections[kind][group] += 1
            entry = rejected_by[kind].setdefault(group, {"refids": [], "example": o.rejected})
            entry["refids"].append(p.expected.refid)
        elif which == "plain" and p.kind == "undated":
            undated_accepted.append(p)
        for name, (ok, want, got) in o.fields.items():
            if not ok and name != "tags_letters":
                failures.append(
                    {
                        "refid": p.expected.refid,
                        "kind": kind,
                        "field": name,
                        "expected": want,
                        "got": got,
                        "page": str(p.path),
                        "cause": o.causes.get(name, ""),
                    }
                )
    return {
        "pages": len(pages),
        "kinds": dict(kinds),
        "accuracy": acc,
        "rejections": {k: dict(v.most_common()) for k, v in rejections.items()},
        "rejected_pages": {k: dict(v) for k, v in rejected_by.items()},
        "undated_accepted": [
            {
                "refid": p.expected.refid,
                "page": str(p.path),
                "fields": {k: v[2] for k, v in getattr(p, which).fields.items()},
            }
            for p in undated_accepted
        ],
        "failures": failures,
    }


def pct(right: int, total: int) -> str:
    return f"{right}/{total} ({100 * right / total:.1f}%)" if total else "0/0"


def print_summary(title: str, s: dict, show_failures: bool) -> None:
    print(f"\n== {title} ==")
    kinds = s["kinds"]
    print(
        f"pages {s['pages']}: dated {kinds.get('dated', 0)}, year only "
        f"{kinds.get('year only', 0)}, undated {kinds.get('undated', 0)} (by the plain text)"
    )
    for label, fields in s["accuracy"].items():
        if not fields.get("all fields", {}).get("total"):
            continue
        print(f"  {label}:")
        for name, v in fields.items():
            note = "  (TAGs: same letters, any split)" if name == "tags_letters" else ""
            print(f"    {name:<15} {pct(v['right'], v['total'])}{note}")
    for kind, groups in s["rejections"].items():
        print(f"  rejected, {kind}: {sum(groups.values())}")
        for message, n in groups.items():
            print(f"    {n:>4}  {message}")
            entry = s["rejected_pages"][kind][message]
            print(f"          pages: {', '.join(entry['refids'])}")
            if show_failures:
                print(f"          e.g. {entry['example']}")
    if s["undated_accepted"]:
        print(f"  undated but accepted: {len(s['undated_accepted'])}")
        for u in s["undated_accepted"]:
            print(f"    {u['refid']}: {u['fields']}")
    print(f"  failures (page, field): {len(s['failures'])}")
    if show_failures:
        for f in s["failures"]:
            print(
                f"    {f['refid']:<22} {f['kind']:<9} {f['field']:<14} "
                f"expected {f['expected']!r}  got {f['got']!r}"
                + (f"  [{f['cause']}]" if f["cause"] else "")
            )
        causes = Counter(
            re.sub(r" \(.*?\)|: .*?(?=;|$)", "", f["cause"]) for f in s["failures"] if f["cause"]
        )
        if causes:
            print("  TAG misses by likely cause:")
            for cause, n in causes.most_common():
                print(f"    {n:>4}  {cause}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of pages (recursive)")
    ap.add_argument("--failures", action="store_true", help="list every failure")
    ap.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        ap.error(f"no such folder: {args.data}")
    started = time.perf_counter()
    pages, skipped = load(args.data)
    elapsed = time.perf_counter() - started
    refids = Counter(p.expected.refid for p in pages)
    duplicates = sorted(r for r, n in refids.items() if n > 1)
    text_tag_pages = sorted(p.expected.refid for p in pages if p.expected.tags_source == "text")
    report = {
        "data": str(args.data),
        "pages": len(pages),
        "distinct_refids": len(refids),
        "duplicate_refids": duplicates,
        "skipped": [{"page": str(p), "why": why} for p, why in skipped],
        "date_compared": "to the minute on pages released 2011-08 (final release), to the day "
        "on all others (the Dec-2010 pages show a wrong Created minute)",
        "tags_from_text": text_tag_pages,
        "plain_text": summarise(pages, "plain"),
        "imported": summarise(pages, "imported"),
        "seconds": round(elapsed, 2),
    }
    if args.json:
        json.dump(report, sys.stdout, indent=1, ensure_ascii=False, default=str)
        print()
        return 0
    print(f"{args.data}: {len(pages)} pages, {len(refids)} distinct reference ids, {elapsed:.1f} s")
    if duplicates:
        print(f"  same reference id on several pages: {', '.join(duplicates)}")
    for p, why in skipped:
        print(f"  skipped {p}: {why}")
    print(f"  date compared {report['date_compared']}")
    print(
        f"  TAGs taken from the TAGS line (page has no TAG links, not independent): "
        f"{len(text_tag_pages)}" + (f" ({', '.join(text_tag_pages)})" if text_tag_pages else "")
    )
    print_summary(
        "plain text, as copied from the browser (no metadata)", report["plain_text"], args.failures
    )
    print_summary("imported page, with its metadata table", report["imported"], args.failures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
