#!/usr/bin/env python
"""A cables.csv of recombined real text: every part of every cable drawn from a different real one.

    python bench/corpus.py [--cables 251287] [--seed 1] [--force] [--check]

The parts come from the real cables in ../shared/data (read with `cables.readers`): transmission
headers (their date-time group, DE and FM lines rewritten for the generated date and post),
E.O./DECL lines, TAGS, SUBJECT and REF blocks, "Classified By" blocks, numbered paragraphs with
their markings, signatures. Each generated cable gets a post seen in the data, a date (1966 to
February 2010, weighted toward 2004–2010 as in the release), a classification in the release's
proportions, a unique refid and a size from the release's distribution (mean ≈ 7.4 KB, a tail of
30–60 KB cables, a few of 200 KB). A third of the paragraph runs start at 2–5 and some cables are
unnumbered prose; a third of the cables cite 1–4 earlier generated cables on their REF lines in the
forms real cables use, and list them in the references column as the dump does.

The file is deterministic for (cables, seed, VERSION) and cached under bench/out/; it is written
row by row, so memory stays constant whatever the size. `build()` returns its path.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import re
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cables.readers import BadRecord, RawRecord, read_records  # noqa: E402

VERSION = 2  # bump whenever the output for a given (cables, seed) changes
RELEASE_CABLES = 251_287
SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "sample"
OUT = ROOT / "bench" / "out"
CSV_DATE = "%m/%d/%Y %H:%M"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

# Share of the release per year (approximate); 2010 runs to the end of February.
YEAR_WEIGHTS = {
    **{year: 1.2 / 24 for year in range(1966, 1990)},
    **{year: 1.8 / 10 for year in range(1990, 2000)},
    2000: 0.6, 2001: 0.9, 2002: 1.3, 2003: 2.4, 2004: 4.4, 2005: 7.2,
    2006: 12.0, 2007: 19.0, 2008: 22.0, 2009: 23.2, 2010: 3.0,
}  # fmt: skip
# The release's own counts per classification.
CLASSIFICATIONS = {
    "UNCLASSIFIED": 75_792,
    "UNCLASSIFIED//FOR OFFICIAL USE ONLY": 58_095,
    "CONFIDENTIAL": 97_070,
    "CONFIDENTIAL//NOFORN": 4_678,
    "SECRET": 11_322,
    "SECRET//NOFORN": 4_330,
}
MARKINGS = {  # written forms on the classification line, and the header's security line
    "UNCLASSIFIED": (("UNCLAS", "UNCLAS", "UNCLASSIFIED"), "ZNR UUUUU ZZH"),
    "CONFIDENTIAL": (("C O N F I D E N T I A L", "C O N F I D E N T I A L", "CONFIDENTIAL"),
                     "ZNY CCCCC ZZH"),
    "SECRET": (("S E C R E T", "S E C R E T", "SECRET"), "ZNY SSSSS ZZH"),
}  # fmt: skip
_MAX_FIELD = 2_000  # longer TAGS, SUBJECT, REF or "Classified By" blocks ran into the text
_MAX_UNIT = 12_000  # a longer "paragraph" is text whose numbering was not recognised
OLD = 1995  # cables before this year draw headers, E.O. lines and paragraphs from old cables

_ANY_REFID = re.compile(r"^(\d\d)(.*?)(\d+)$")
CLASSIFICATION_SERIAL = re.compile(
    r"((?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|C O N F I D E N T I A L"
    r"|S E C R E T|U N C L A S S I F I E D)[^\n&<]*?\s)0*(\d+)(?=[ \t]*(?:\r?\n|&#x000A;|$))"
)
_REFID = re.compile(r"^(\d\d)([A-Z]+?)(\d+)$")
_CLASS_LINE = re.compile(
    r"^\s*(?:(?:[A-Z] ){4,}[A-Z]|UNCLAS(?:SIFIED)?|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)"
    r"(?:\s*//\s*[A-Z]+)*\s+(?:SECTION\s+\d+\s+OF\s+\d+\s+)?([A-Z][A-Z .'-]*?)\s+0*\d+\s*$"
)
_DTG = re.compile(r"\b\d{6}Z[ \t]+[A-Za-z]{3}[ \t]+\d{2,4}\b")
_FM = re.compile(r"^([ \t]*)FM[ \t]+\S.*$", re.M)
_DE = re.compile(r"^([ \t]*)DE[ \t]+[A-Z0-9]{4,7}[ \t]*#[ \t]*\d{1,5}\S*(?:[ \t]+\d{7})?", re.M)
_ZN = re.compile(r"^([ \t]*)ZN[YR][ \t]+([CSTUE])\2{4}[ \t]+ZZH", re.M)
_VZCZC = re.compile(r"\bVZCZC([A-Z]{3})\d{4}\b")
_DECL_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
_FIELD_STARTS = (
    ("eo", re.compile(r"^\s*(?:E\.\s?O\.|EO\s+1\d{4})")),
    ("tags", re.compile(r"^\s*TAGS?\b")),
    ("subject", re.compile(r"^\s*SUBJ(?:ECT)?\s*:")),
    ("ref", re.compile(r"^\s*(?:REFS?|REFTELS?)\b[^a-z]{0,12}?[:.)]|^\s*REF\s")),
    ("classified", re.compile(r"^\s*CLASSIFIED\s+BY\b", re.I)),
)
_NUMBERED = re.compile(r"^\s*¶?(\d{1,3})\.([ \t]+)(\S.*)$")
_SECTION_MARKER = re.compile(r"^\s*[A-Z][A-Z .'-]* \d{5,} +\d{3}(?:\.\d+)? OF \d{1,3}\s*$")
_TRAILER = re.compile(r"^\s*(?:NNNN|BT|End Cable Text|#\d+)\s*$")
_NOT_SIGNATURE = re.compile(r"^(?:[\d(]|.*[.:;]$|[-=_*# ]+$|(?:UNCLAS|CONFIDENTIAL|SECRET|END)\b)")


@dataclass(frozen=True, slots=True)
class Post:
    station: str  # as in refids: "BUENOSAIRES"
    origin: str  # the dump's origin column: "Embassy Buenos Aires"
    fm: str  # the header's sender: "AMEMBASSY BUENOS AIRES"
    written: str  # on classification and REF lines: "BUENOS AIRES"
    route: str  # the DE line's routing indicator: "RUEHBU"


@dataclass(slots=True)
class Pools:
    """The parts of the real cables, each drawn independently; `old` and `new` by era."""

    posts: list[Post] = field(default_factory=list)
    headers: dict[tuple[bool, bool], list[str]] = field(default_factory=dict)  # (old, from STATE)
    eo: dict[bool, list[str]] = field(default_factory=dict)
    units: dict[bool, list[tuple[str, str]]] = field(default_factory=dict)  # (separator, text)
    prose: dict[bool, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    classified_by: list[str] = field(default_factory=list)
    addressees: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Cited:
    year: int
    post: Post
    serial: int


# --- reading the real cables into pools ----------------------------------------------------------


def load_pools(data: Path = SHARED_DATA) -> Pools:
    pools = Pools()
    posts: dict[str, Post] = {}
    seen: set[str] = set()
    for record in read_records([data]):
        refid = record.metadata.refid if isinstance(record, RawRecord) else None
        match = _REFID.match(refid or "")
        if not (match and record.metadata.created) or refid in seen:
            continue
        seen.add(refid)
        old = record.metadata.created.year < OLD
        text = record.body.replace("\r", "")
        written = _take_body(pools, text, old)
        _take_header(pools, record.header.replace("\r", ""), old, match.group(2) == "STATE")
        post = _post(match.group(2), record, written)
        known = posts.get(post.station) if post else None
        if post and (known is None or (not known.route and known.origin == post.origin)):
            posts[post.station] = post
    # A post whose DE line was never seen gets a plausible routing indicator.
    pools.posts = [
        p if p.route else Post(p.station, p.origin, p.fm, p.written, "RUEH" + p.station[:2])
        for p in sorted(posts.values(), key=lambda p: p.station)
    ]
    return pools


def _post(station: str, record: RawRecord, written: str | None) -> Post | None:
    origin = record.metadata.origin or ""
    fm = _FM.search(record.header)
    sender = fm.group(0).split(None, 1)[1].strip() if fm else ""
    if not sender:
        kind, _, place = origin.partition(" ")
        prefix = {"Embassy": "AMEMBASSY", "Consulate": "AMCONSUL"}.get(kind)
        if not (prefix and place):
            return None
        sender = f"{prefix} {place.upper()}"
    if "/" in sender:
        sender = sender.split("/", 1)[1]
    if not written or written.replace(" ", "") != station:
        written = "STATE" if station == "STATE" else sender.split(None, 1)[-1]
    de = _DE.search(record.header)
    route = de.group(0).split()[1] if de else ""
    return Post(station, origin or sender.title(), sender, written, route)


def _take_header(pools: Pools, header: str, old: bool, from_state: bool) -> None:
    if not header or "PAGE 0" in header or "partial extract" in header:
        return
    if not (_DTG.search(header) and _FM.search(header)):
        return
    template = _DTG.sub("\0DTG\0", header)
    template = _FM.sub(r"\1FM \0FM\0", template)
    template = _DE.sub(r"\1DE \0DE\0", template)
    template = _ZN.sub(r"\1\0ZN\0", template)
    template = _VZCZC.sub(r"VZCZC\1\0TID\0", template)
    pools.headers.setdefault((old, from_state), []).append(template)


def _take_body(pools: Pools, body: str, old: bool) -> str | None:
    """Split a body into its parts; return the post as its classification line writes it."""
    lines = body.split("\n")
    at, written = 0, None
    for index, line in enumerate(lines[:15]):
        found = _CLASS_LINE.match(line)
        if found:
            at, written = index + 1, found.group(1).strip()
            break
    fields: dict[str, list[str]] = {}
    current: str | None = None
    while at < len(lines):
        line = lines[at]
        start = next((name for name, rx in _FIELD_STARTS if rx.match(line)), None)
        if _SECTION_MARKER.match(line):
            pass
        elif fields and _NUMBERED.match(line):
            break
        elif start and start not in fields:
            current = start
            fields[start] = [line.rstrip()]
        elif not line.strip():
            current = None
        elif current and current != "eo":
            fields[current].append(line.rstrip())
        elif "subject" in fields or at > 40:
            break
        elif " FOR " in line and not fields:
            pools.addressees.append(line.strip())
        at += 1
    for name, target in (
        ("tags", pools.tags), ("subject", pools.subjects), ("ref", pools.refs),
        ("classified", pools.classified_by),
    ):  # fmt: skip
        text = "\n".join(fields.get(name, ()))
        # A subject running into its REF line would hide the REF block that follows it.
        if text and len(text) <= _MAX_FIELD and not (name == "subject" and "REF" in text):
            target.append(text)
    if "eo" in fields:
        pools.eo.setdefault(old, []).append(fields["eo"][0].strip())
    if "subject" in fields:
        _take_text(pools, lines[at:], old)
    return written


def _take_text(pools: Pools, lines: list[str], old: bool) -> None:
    """Numbered paragraphs, each with the unnumbered blocks after it; prose before the first."""
    while lines and (not lines[-1].strip() or _TRAILER.match(lines[-1])):
        lines.pop()
    if lines and len(lines[-1].strip()) <= 40 and not _NOT_SIGNATURE.match(lines[-1].strip()):
        pools.signatures.append(lines.pop().strip())
    found_units: list[tuple[str, str]] = []
    current: list[str] | None = None
    separator, number, blank, before = "", 0, True, []
    for line in lines:
        found = _NUMBERED.match(line)
        if found and (blank or int(found.group(1)) == number + 1):
            if current:
                found_units.append((separator, "\n".join(current).strip()))
            number, separator, current = int(found.group(1)), found.group(2), [found.group(3)]
        elif current is not None:
            current.append(line.rstrip())
        else:
            before.append(line.rstrip())
        blank = not line.strip()
    if current:
        found_units.append((separator, "\n".join(current).strip()))
    units = pools.units.setdefault(old, [])
    units.extend(unit for unit in found_units if len(unit[1]) <= _MAX_UNIT)
    blocks = (block.strip() for block in "\n".join(before).split("\n\n"))
    classified_by = _FIELD_STARTS[-1][1]
    pools.prose.setdefault(old, []).extend(b for b in blocks if b and not classified_by.match(b))


# --- generating cables ---------------------------------------------------------------------------


def cable_dates(rng: random.Random, cables: int) -> Iterator[datetime]:
    """`cables` datetimes in ascending order, in constant memory, the years in YEAR_WEIGHTS'."""
    total = sum(YEAR_WEIGHTS.values())
    exact = {year: cables * weight / total for year, weight in YEAR_WEIGHTS.items()}
    counts = {year: int(value) for year, value in exact.items()}
    for year in sorted(exact, key=lambda y: counts[y] - exact[y])[: cables - sum(counts.values())]:
        counts[year] += 1
    for year in sorted(counts):
        start = datetime(year, 1, 1, tzinfo=UTC)
        end = (
            datetime(year, 3, 1, tzinfo=UTC)
            if year == 2010
            else datetime(year + 1, 1, 1, tzinfo=UTC)
        )
        span = (end - start).total_seconds() - 60
        top = 1.0  # ascending uniforms as successive maxima: no list to sort
        for left in range(counts[year], 0, -1):
            top *= rng.random() ** (1 / left)
            yield start + timedelta(minutes=int(span * (1 - top) / 60))


def target_size(rng: random.Random) -> int:
    """Characters of header and text: log-normal (median 4.6 KB) with a few 200 KB cables."""
    if rng.random() < 0.0002:
        return rng.randint(180_000, 220_000)
    return int(min(max(rng.lognormvariate(math.log(4_600), 0.87), 700), 250_000))


class Generator:
    def __init__(self, pools: Pools, seed: int) -> None:
        self.pools, self.rng = pools, random.Random(seed)
        self.serials: dict[tuple[int, str], int] = {}
        self.recent: deque[Cited] = deque(maxlen=2000)
        self.by_post: dict[str, deque[Cited]] = {}
        # The Department sends about 3% of the release, four times an average post.
        self.post_weights = [4.0 if p.station == "STATE" else 1.0 for p in pools.posts]
        self.citing = 0

    def rows(self, cables: int) -> Iterator[list[str]]:
        for dump_id, created in enumerate(cable_dates(self.rng, cables), 1):
            yield self.row(dump_id, created)

    def row(self, dump_id: int, created: datetime) -> list[str]:
        rng, pools = self.rng, self.pools
        post = rng.choices(pools.posts, self.post_weights)[0]
        classification = rng.choices(list(CLASSIFICATIONS), list(CLASSIFICATIONS.values()))[0]
        serial = self._serial(created.year, post)
        cited = self._cited(created.year, post) if rng.random() < 1 / 3 else []
        header = self._header(created, post, classification, serial)
        target = target_size(rng) - len(header)
        body = self._body(created, post, classification, serial, cited, target)
        me = Cited(created.year, post, serial)
        self.recent.append(me)
        self.by_post.setdefault(post.station, deque(maxlen=32)).append(me)
        refs = "|".join(_refid(c) for c in cited)
        refid = _refid(me)
        when = created.strftime(CSV_DATE)
        return [str(dump_id), when, refid, post.origin, classification, refs, header, body]

    def _serial(self, year: int, post: Post) -> int:
        big = post.station == "STATE"
        key = (year, post.station)
        if key not in self.serials:
            self.serials[key] = self.rng.randint(1_000, 5_000) if big else self.rng.randint(0, 30)
        self.serials[key] += self.rng.randint(1, 60 if big else 6)
        return self.serials[key]

    def _cited(self, year: int, post: Post) -> list[Cited]:
        rng, chosen = self.rng, []
        for _ in range(rng.choices((1, 2, 3, 4), (45, 30, 15, 10))[0]):
            pick = rng.random()
            own = self.by_post.get(post.station if pick < 0.6 else "STATE")
            source = own if own and pick < 0.85 else self.recent
            if source:
                candidate = rng.choice(source)
                if candidate not in chosen:
                    chosen.append(candidate)
        self.citing += bool(chosen)
        return chosen

    def _header(self, created: datetime, post: Post, classification: str, serial: int) -> str:
        rng, old = self.rng, created.year < OLD
        templates = (
            self.pools.headers.get((old, post.station == "STATE"))
            or self.pools.headers.get((old, False))
            or self.pools.headers[(False, False)]
        )
        template = rng.choice(templates)
        dtg = f"{created:%d%H%M}Z {MONTHS[created.month - 1]} {created:%y}"
        de = f"{post.route} #{serial % 10_000:04d} {created:%j%H%M}"
        return (
            template.replace("\0DTG\0", dtg)
            .replace("\0FM\0", post.fm)
            .replace("\0DE\0", de)
            .replace("\0ZN\0", MARKINGS[classification.split("//")[0]][1])
            .replace("\0TID\0", f"{rng.randrange(10_000):04d}")
        )

    def _body(
        self,
        created: datetime,
        post: Post,
        classification: str,
        serial: int,
        cited: list[Cited],
        target: int,
    ) -> str:
        rng, pools, year, old = self.rng, self.pools, created.year, created.year < OLD
        level, _, caveat = classification.partition("//")
        written = rng.choice(MARKINGS[level][0][1:] if old else MARKINGS[level][0])
        padded = str(serial) if year < 1985 else f"{serial:05d}" if year < 2000 else f"{serial:06d}"
        parts = [f"{written} {post.written} {padded}"]
        marks = [m for m, on in (("NOFORN", caveat == "NOFORN"), ("SIPDIS", year >= 2002)) if on]
        if caveat.startswith("FOR OFFICIAL"):
            marks.append(rng.choice(("SENSITIVE", "FOR OFFICIAL USE ONLY")))
        if marks:
            parts.append("\n".join(marks))
        if pools.addressees and rng.random() < 0.3:
            parts.append(rng.choice(pools.addressees))
        eo = _redate(rng.choice(pools.eo.get(old) or pools.eo[False]), created)
        parts.append(f"{eo}\n{rng.choice(pools.tags)}\n{rng.choice(pools.subjects)}")
        if cited:
            parts.append(self._ref_block(cited, year))
        elif rng.random() < 0.3:
            parts.append(rng.choice(pools.refs))
        if level != "UNCLASSIFIED" and year >= OLD:
            parts.append(rng.choice(pools.classified_by))
        size = sum(map(len, parts))
        text = self._paragraphs(old, max(target - size, 1))
        sections = math.ceil(sum(map(len, text)) / 6_000) if year >= 2004 else 1
        if sections > 1:
            text = _section_markers(text, post.written, serial, sections)
            parts[0] = f"{written} SECTION 01 OF {min(sections, 99):02d} {post.written} {padded}"
        parts.extend(text)
        parts.append(rng.choice(pools.signatures))
        return "\n\n".join(parts) + "\n"

    def _paragraphs(self, old: bool, target: int) -> list[str]:
        rng, pools = self.rng, self.pools
        units, prose = (
            pools.units.get(old) or pools.units[False],
            pools.prose.get(old) or pools.prose[False],
        )
        style = rng.random()
        number = 1 if style < 0.55 else rng.randint(2, 5) if style < 0.88 else 0
        out: list[str] = []
        if number > 1 and rng.random() < 0.5:
            out.append(rng.choice(prose))
        size = sum(map(len, out))
        while size < target or not out:
            separator, text = rng.choice(units)
            if number:
                out.append(f"{number}.{separator}{text}")
                number += 1
            else:
                out.append(text if rng.random() < 0.7 else rng.choice(prose))
            size += len(out[-1]) + 2
        return out

    def _ref_block(self, cited: list[Cited], year: int) -> str:
        rng = self.rng
        items: list[str] = []
        rest = list(cited)
        while rest:
            first = rest.pop(0)
            same = next((c for c in rest if (c.year, c.post) == (first.year, first.post)), None)
            text = _cite(rng, first, year)
            if same and rng.random() < 0.7 and "-" not in text:  # "LIMA 4525-07 AND 4530" no
                rest.remove(same)
                text += f" AND {same.serial}"
            items.append(text)
        if len(items) == 1 and rng.random() < 0.6:
            label = rng.choice(("REF:", "REFTEL:"))
            return f"{label} {items[0]}"
        style = rng.choice(("{}. ", "{}) ", "({}) "))
        lettered = [style.format("ABCDEFGH"[i]) + item for i, item in enumerate(items)]
        label = rng.choice(("REF:", "REFS:", "REF:"))
        if rng.random() < 0.5:
            return label + " " + "\n     ".join(lettered)
        return label + " " + rng.choice((" ", "; ", ", ")).join(lettered)


def _cite(rng: random.Random, cited: Cited, year: int) -> str:
    """One cited cable as REF lines write it: "07 LIMA 3638", "08LIMA123", "LIMA 4525-91"."""
    yy, written = f"{cited.year % 100:02d}", cited.post.written
    forms = ["{yy} {post} {serial}", "{yy}{station}{serial}", "{post} {serial}-{yy}"]
    if cited.year == year:
        forms += ["{post} {serial}", "{post} {serial}"]
    serial = f"{cited.serial:06d}" if cited.year >= 2000 and rng.random() < 0.15 else cited.serial
    return rng.choice(forms).format(yy=yy, post=written, station=cited.post.station, serial=serial)


def _refid(cited: Cited) -> str:
    return f"{cited.year % 100:02d}{cited.post.station}{cited.serial}"


def _redate(line: str, created: datetime) -> str:
    """The DECL date of an E.O. line, moved to ten years after the cable's date."""

    def later(match: re.Match[str]) -> str:
        year = created.year + 10
        shown = str(year) if len(match.group(3)) == 4 else f"{year % 100:02d}"
        return f"{created.month:02d}/{created.day:02d}/{shown}"

    return _DECL_DATE.sub(later, line, count=1)


def _section_markers(text: list[str], written: str, serial: int, sections: int) -> list[str]:
    """The page markers the 2010 releases print where a section ends: "LIMA 00003673 002 OF 003"."""
    per = max(len(text) // sections, 1)
    out: list[str] = []
    for index, paragraph in enumerate(text):
        section = index // per + 1
        if index and index % per == 0 and section <= sections:
            out.append(f"{written} {serial:08d} {section:03d} OF {sections:03d}")
        out.append(paragraph)
    return out


# --- the file ------------------------------------------------------------------------------------


def csv_row(fields: list[str]) -> str:
    """One row as cables.csv writes it: every field quoted, backslash escapes, CRLF line breaks."""
    return ",".join(_quoted(field) for field in fields) + "\r\n"


def _quoted(field: str) -> str:
    escaped = field.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\r\n")
    return f'"{escaped}"'


def corpus_path(cables: int, seed: int, out: Path = OUT) -> Path:
    return out / f"recombined-{cables}-seed{seed}-v{VERSION}.csv"


def build(
    cables: int = RELEASE_CABLES,
    seed: int = 1,
    *,
    data: Path = SHARED_DATA,
    out: Path = OUT,
    force: bool = False,
    report=print,
) -> Path:
    """The cached corpus file for (cables, seed, VERSION), built first if it is not there."""
    target = corpus_path(cables, seed, out)
    if target.exists() and not force:
        report(f"corpus: {target} (cached, {target.stat().st_size / 1e6:,.0f} MB)")
        return target
    started = time.monotonic()
    generator = Generator(load_pools(data), seed)
    out.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    chars = biggest = 0
    with partial.open("w", encoding="utf-8", newline="") as file:
        for fields in generator.rows(cables):
            size = len(fields[6]) + len(fields[7])
            chars, biggest = chars + size, max(biggest, size)
            file.write(csv_row(fields))
    partial.replace(target)
    report(
        f"corpus: built {target.name}: {cables:,} cables, {target.stat().st_size / 1e6:,.0f} MB "
        f"in {time.monotonic() - started:.1f} s; header+text mean {chars / cables / 1e3:.1f} KB, "
        f"largest {biggest / 1e3:.0f} KB; {generator.citing / cables:.0%} cite earlier cables"
    )
    return target


def check(path: Path, report=print) -> None:
    """Read the file back with the csv module and with `cables.readers`, and say what each saw."""
    csv.field_size_limit(2**31 - 1)
    started, rows, widths, refids, last_id, ascending = time.monotonic(), 0, set(), set(), 0, True
    with path.open(encoding="utf-8", newline="") as file:
        for row in csv.reader(file, escapechar="\\", doublequote=False):
            rows, ascending, last_id = rows + 1, ascending and int(row[0]) > last_id, int(row[0])
            widths.add(len(row))
            refids.add(row[2])
    records = bad = 0
    for record in read_records([path]):
        records, bad = records + 1, bad + isinstance(record, BadRecord)
    report(
        f"check: csv.reader {rows:,} rows of {sorted(widths)} fields, {len(refids):,} distinct "
        f"refids, dump ids {'ascending' if ascending else 'NOT ascending'}; read_records "
        f"{records:,} records, {bad:,} bad ({time.monotonic() - started:.0f} s)"
    )


# --- the friendly corpora, for comparison --------------------------------------------------------


def build_csv_corpus(target: Path, wanted: int, data: Path) -> tuple[Path, int]:
    """One cables.csv file of `wanted` rows: the real cables repeated under fresh ids."""
    seen: dict[str, RawRecord] = {}
    for record in read_records([data]):
        refid = record.metadata.refid if isinstance(record, RawRecord) else None
        if refid and _ANY_REFID.match(refid) and record.metadata.created:
            seen.setdefault(refid, record)
    templates = list(seen.values())
    if not templates:
        raise SystemExit(f"no cables found in {data}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as out:
        for number in range(wanted):
            copy, record = divmod(number, len(templates))
            out.write(_repeated_row(number + 1, templates[record], copy + 1))
    return target, wanted


def _repeated_row(dump_id: int, record: RawRecord, copy: int) -> str:
    meta = record.metadata
    body = CLASSIFICATION_SERIAL.sub(
        lambda m: m.group(1) + _new_serial(m.group(2), copy), record.body
    )
    return csv_row([
        str(dump_id), meta.created.strftime(CSV_DATE), _new_refid(meta.refid, copy),
        meta.origin or "", meta.classification or "", "|".join(meta.references),
        record.header, body,
    ])  # fmt: skip


def build_sample_corpus(folder: Path, wanted: int) -> tuple[Path, int]:
    """The sample/ folder copied until it holds `wanted` cables, the ids changed in each copy."""
    files = sorted(p for p in SAMPLE.rglob("*") if p.is_file())
    records = [r for r in read_records([SAMPLE]) if isinstance(r, RawRecord)]
    refids = sorted({r.metadata.refid for r in records if r.metadata.refid}, key=len, reverse=True)
    copies = math.ceil(wanted / len(records))
    any_refid = re.compile(r"\b(" + "|".join(refids) + r")\b")
    for copy in range(1, copies + 1):
        for file in files:
            # latin-1 maps bytes one to one, so whatever the encoding only the ids change.
            text = file.read_bytes().decode("latin-1")
            text = any_refid.sub(lambda m, c=copy: _new_refid(m.group(1), c), text)
            text = CLASSIFICATION_SERIAL.sub(
                lambda m, c=copy: m.group(1) + _new_serial(m.group(2), c), text
            )
            target = folder / f"copy{copy:04d}" / file.relative_to(SAMPLE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("latin-1"))
    return folder, copies * len(records)


def _new_serial(serial: str, copy: int) -> str:
    return str(int(f"{copy}{int(serial):06d}"))


def _new_refid(refid: str, copy: int) -> str:
    year, station, serial = _ANY_REFID.match(refid).groups()
    return f"{year}{station}{_new_serial(serial, copy)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cables", type=int, default=RELEASE_CABLES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    parser.add_argument("--check", action="store_true", help="then read it back both ways")
    args = parser.parse_args()
    path = build(args.cables, args.seed, data=args.data, force=args.force)
    if args.check:
        check(path)


if __name__ == "__main__":
    main()
