"""REF lines: the cables (and e-mails, telcons, reports) a cable cites.

The REF block runs from "REF:" (REFS, REFTEL, REFERENCE …) to the first thing that is clearly no
longer part of it: the "Classified By" line, the first paragraph, a summary, the repeated
classification line. Its items are split on their bullets (A. / A) / (A) / [A] / A: / a bare A)
and on semicolons; each item either names cables ("06 TBILISI 2601", "STATE 12345 AND 12346",
"870 ULAANBAATAR", "QUITO 4525-91") or is kept as a non-cable reference of a known kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .canonical import canonical_id, canonical_station, station_key
from .markings import PAGE_HEADER, PAGE_START, PARAGRAPH_MARKING, SECTION_MARKER
from .types import Correction, Reference

# "REF:", "REFTEL", "REFS(S)", "REFERENCES:"; a letter class first lets the engine skip to
# candidates, and the letter before is checked apart: glued to a word only as "PRIMEREF:".
_REF_WORD = re.compile(r"[Rr](?i:EF(?:TELS?|S)?(?:\(S\))?(?![A-Za-z])\s*[:.]?|EFERENCES?\s*:)")
_GLUED_REF = re.compile(r"(?i:REFS?:)")
_LEAD = re.compile(r"(?<![A-Za-z])([A-Za-z][.)])\s+$")  # "A. REF: …": a bullet before it
_LEAD_WINDOW = 40
# Searched in "\n" + text, so that every branch starts with a character the engine can seek.
_BODY_START = re.compile(r"\n[ \t]*(?:¶[ \t]*)?1[ \t]*\.(?!\d)|¶1\.[ \t]?\(|1(?<![\w.]1)\.[ \t]?\(")
# Inside a line: where running text takes over from the REF items (releases that lost the
# line breaks glue "Classified By", the first paragraph or the TAGS onto the last REF item).
_BLOCK_END = re.compile(
    r"CLASS\w{0,12}[ \t]+BY|\bSUMMARY\b|(?<![\w./])¶?1[ \t]?\.(?!\d)|SENSITIVE[ \t]+BUT"
    r"|THIS[ \t]+MESSAGE|\bSIPDIS\b|E\.[ \t]?O\.[ \t]?12958|\bTAGS\b|\bSUBJECT[ \t]*:"
    r"|\b(?:[A-Z] ){4,}[A-Z]\b",
    re.IGNORECASE,
)
# A line that is no longer a REF item: a numbered or ¶ paragraph, a marked paragraph, a label.
_LINE_END = re.compile(
    rf"[ \t]*(?:(?:¶[ \t]*)?\d{{1,3}}[ \t]*\.(?!\d)|{PARAGRAPH_MARKING}"
    r"|CLASSI?FI?ED[ \t]+BY|(?:BEGIN[ \t]+)?SUMMARY\b|TAGS?\b|SUBJ(?:ECT)?\b"
    r"|E\.?[ \t]?O\.?[ \t]?1\d{4}"
    rf"|SIPDIS\b|SENSITIVE[ \t]+BUT|THIS[ \t]+MESSAGE|(?:[A-Z] ){{4,}}|{PAGE_START})",
    re.IGNORECASE,
)
# A line that opens a lettered item: "(B) STATE 240035", "-   (B) …", "¶B. 2962", "C) RIO".
_LETTERED_ITEM = re.compile(
    r"[ \t]*(?:[-*][ \t]*)?(?:¶[ \t]*)?(?:\((?P<paren>[A-Za-z])\)|\[(?P<square>[A-Za-z])\]"
    r"|(?P<plain>[A-Za-z])[.:)](?=[ \t]|$|[A-Z]))"
)
_BULLETS = re.compile(r"(?<![A-Za-z0-9])[(\[]?([A-Za-z])[.)\]:](?=[ \t]|$|[A-Z])")
# Markings a paragraph opens with: "(C) The minister…" is no item C unless C is the next one.
_MARKING_LETTERS = frozenset("CSU")
# Where an item was cut by a stray blank line: a bullet or joiner with nothing after it, or a
# year waiting for its station ("D. 03"); a station waiting for its serial is checked apart.
_DANGLING = re.compile(
    r"(?:(?<![A-Za-z0-9])[(\[]?[A-Za-z][.)\]:]|,|;|&|\bAND|(?<!\d)\d\d)[ \t]*$", re.IGNORECASE
)
_LAST_WORDS_REACH = 120  # four words of a station name, with room for blanks
_LAST_WORDS = re.compile(r"((?:[A-Za-z]+[ \t]+){0,3}[A-Za-z]+)[ \t]*$")
_MAX_LINES = 40
_MAX_BLOCK = 3000
_MAX_HEAD = 4000  # REF lines sit above the first paragraph; later "reftel"s are running text
_PAGE_HEADER = re.compile(rf"\b{PAGE_HEADER}")
_PAGE_MARKER = re.compile(rf"\b{SECTION_MARKER}\b")
_INNER_REF = re.compile(r"(?<![A-Za-z])REF(?:TELS?|ERENCES?|S)?(?![A-Za-z])\s*[:.]?", re.I)
_NOISE = re.compile(r"¶|\\n|\\")
_WHITESPACE = re.compile(r"\s+")
_BULLET = re.compile(
    r"(?:(?<=^)|(?<=[\s;,\-]))"
    r"(?:\((?P<paren>[A-Za-z]|\d)\)|\[(?P<square>[A-Za-z])\]|(?P<close>[A-Za-z])\.?\)"
    r"|(?P<dot>[A-Za-z])\.(?![A-Za-z]\.)|(?P<colon>[A-Za-z]):|(?P<dash>[A-Za-z])\s+-(?=\s)"
    r"|(?P<bare>[A-Z])(?=\s+[A-Z0-9']))"
)
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"E-?MAILS?\b", re.I)),
    ("TEL", re.compile(r"\bTELE?CONS?\b|\bTELEPHONE\b|\bPHONE\s?CALL", re.I)),
    ("FAX", re.compile(r"\bFAX", re.I)),
    ("MEMO", re.compile(r"\bMEMCONS?\b|\bMEMO(?:RANDUM)?S?\b", re.I)),
    ("MEETING", re.compile(r"\bMEETINGS?\b|\bMTG\b", re.I)),
    ("BOOK", re.compile(r"\bFA[MH]\b", re.I)),
    ("WEB", re.compile(r"HTTPS?://|\bWWW\.", re.I)),
    ("REPORT", re.compile(r"\bREPORTS?\b|\bTD-|\bIIRS?\b|\bINCSR\b|\bOSC\b", re.I)),
)
# A report cites itself by country and year ("INCSR BRAZIL 2008"), which looks like a cable.
_NOT_CABLES = frozenset({"REPORT", "BOOK", "WEB"})

_PAREN = re.compile(r"\(([^()]*)\)")
_ZERO_IN_WORD = re.compile(r"\b(?=[A-Z0]*[A-Z][A-Z0]*[A-Z])[A-Z0]*0[A-Z0]*\b")
_O_IN_NUMBER = re.compile(r"\b(?=[O\d]*\d)[O\d]*O[O\d]*\b")
_WORD_HYPHEN = re.compile(r"(?<=[A-Z])-(?=[A-Z])")
_GLUED = re.compile(r"(?<=\d)(?=[A-Z])|(?<=[A-Z])(?=\d)")
# ASCII digits only: int() reads other scripts' digits too, which no serial is written in.
_TOKEN = re.compile(
    r"<(?P<pyear>[0-9]{2}|[0-9]{4})>|(?P<num>[0-9]+)|(?P<word>[A-Z]+)|(?P<sep>[,;&/:\-#])"
)
_FILLERS = frozenset({"CABLE", "CABLES", "TEL", "TELS", "TELEGRAM", "NO", "NOS", "NUMBER"})
_BARE_FILLERS = frozenset({"AND", "PREVIOUS", "PREVIOUSLY", "NOTAL", "ALSO"})
_MAX_STATION_WORDS = 4
_MAX_GUESSES = 40  # a REF block names a few dozen cables at most; more guesses are not read
_MAX_SERIAL_DIGITS = 7


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "num", "word", "sep" or "pyear" (a year in parentheses)
    text: str


def parse_references(
    content: str, year: int | None, reference_id: str | None = None
) -> list[Reference]:
    """The references on the cable's REF line(s), in order, duplicates kept.

    `year` is the citing cable's year (for "LIMA 3638"); `reference_id` its own id, dropped
    when the REF line repeats it.
    """
    return read_references(content, year, reference_id)[0]


def read_references(
    content: str, year: int | None, reference_id: str | None = None
) -> tuple[list[Reference], list[Correction]]:
    """The references, and the station names in them read as typos of a station."""
    block = _ref_block(content)
    if not block:
        return [], []
    own = canonical_id(reference_id) if reference_id else None
    context = _Context(year=year, station=_own_station(own))
    found: list[Reference] = []
    for bullet, segment in _segments(block):
        for item in segment.split(";"):
            found.extend(_item_references(item.strip(), bullet, context))
    return [ref for ref in found if not own or ref.refid != own], context.corrections


@dataclass(slots=True)
class _Context:
    year: int | None
    station: str | None  # the last station named, for a bare "2962 AND PREVIOUS"
    corrections: list[Correction] = field(default_factory=list)
    guesses: int = 0  # typo guesses made so far, bounded per REF block


def _own_station(refid: str | None) -> str | None:
    m = re.match(r"\d\d(\D+)\d+$", refid or "")
    return m.group(1) if m else None


def _ref_block(content: str) -> str:
    body = _BODY_START.search("\n" + content[:_MAX_HEAD])
    limit = body.start() if body else min(len(content), _MAX_HEAD)
    start = _ref_start(content, limit)
    if start is None:
        return ""
    end_of_label, lead = start
    rest = _NOISE.sub(" ", _block_lines(content, end_of_label))
    end = _BLOCK_END.search(rest)
    if end:
        rest = rest[: end.start()]
    if " OF " in rest or "PAGE" in rest:
        rest = _PAGE_MARKER.sub(" ", _PAGE_HEADER.sub(" ", rest))
    text = _INNER_REF.sub(" ", f"{lead} {rest}")
    return _WHITESPACE.sub(" ", text).strip()


def _ref_start(content: str, limit: int) -> tuple[int, str] | None:
    """Where the first REF label before `limit` ends, and the bullet written before it."""
    for m in _REF_WORD.finditer(content, 0, limit):
        start = m.start()
        before = content[start - 1] if start else ""
        if before.isascii() and before.isalpha():
            glued = _GLUED_REF.match(content, start, limit)
            if glued:
                return glued.end(), ""
            continue
        lead = _LEAD.search(content, max(0, start - _LEAD_WINDOW), start)
        return m.end(), lead.group(1) if lead else ""
    return None


def _block_lines(content: str, start: int) -> str:
    """The REF lines from `start`: up to a line that is no REF item, or a blank line that
    neither cuts an unfinished item nor is followed by the next lettered item."""
    lines = content[start : start + _MAX_BLOCK].split("\n", _MAX_LINES)[:_MAX_LINES]
    taken = [lines[0]]
    last = _last_bullet(lines[0])
    blank = False
    for line in lines[1:]:
        if not line.strip():
            blank = True
            continue
        item = _LETTERED_ITEM.match(line)
        letter = next((g for g in item.groups() if g), "").upper() if item else ""
        in_sequence = bool(letter) and letter in _following(last)
        if letter and not in_sequence and letter in _MARKING_LETTERS:
            break  # "(C) …": a marked paragraph, not the next item
        if blank and not (in_sequence or _unfinished(taken[-1])):
            break
        if not letter and _LINE_END.match(line):
            break
        taken.append(line)
        last = _last_bullet(line) or last
        blank = False
    return "\n".join(taken)


def _last_bullet(line: str) -> str:
    found = _BULLETS.findall(line)
    return found[-1].upper() if found else ""


def _following(bullet: str) -> tuple[str, ...]:
    if not bullet:
        return ("A",)
    return (bullet, chr(ord(bullet) + 1)) if bullet < "Z" else (bullet,)


def _unfinished(line: str) -> bool:
    if _DANGLING.search(line):
        return True
    words = _LAST_WORDS.search(line, max(0, len(line) - _LAST_WORDS_REACH))
    if not words:
        return False
    parts = words.group(1).split()
    return any(canonical_station("".join(parts[k:]), guess=False) for k in range(len(parts)))


def _segments(block: str) -> list[tuple[str | None, str]]:
    """Split the block on its bullets; a bullet counts only if it continues the sequence."""
    segments: list[tuple[str | None, str]] = []
    current: str | None = None
    start = 0
    for m in _BULLET.finditer(block):
        label = next(v for v in m.groups() if v is not None).upper()
        if m.group("bare") and not _bare_bullet_allowed(block, m.start()):
            continue
        if label == current:
            if block[start : m.start()].strip():
                segments.append((current, block[start : m.start()]))
            start = m.end()
            continue
        if label not in _next_labels(current):
            continue
        segments.append((current, block[start : m.start()]))
        current, start = label, m.end()
    segments.append((current, block[start:]))
    return [(bullet, text.strip(" -,")) for bullet, text in segments if text.strip(" -,")]


def _next_labels(current: str | None) -> tuple[str, ...]:
    if current is None:
        return ("A", "1")
    if current.isdigit():
        return (str(int(current) + 1),)
    return (chr(ord(current) + 1),)


def _bare_bullet_allowed(block: str, position: int) -> bool:
    """A bare letter is a bullet only at the start or after a number or a separator."""
    before = block[:position].rstrip()
    return not before or before[-1].isdigit() or before[-1] in ",;)"


def _item_references(item: str, bullet: str | None, context: _Context) -> list[Reference]:
    if not item:
        return []
    kind = _kind(item)
    if kind not in _NOT_CABLES:
        cables = _cables(item, context)
        if cables:
            return [
                Reference(value=refid, refid=refid, bullet=bullet, text=_as_written(item, bullet))
                for refid in cables
            ]
    if kind:
        text = _as_written(item, bullet)
        return [Reference(value=item, refid=None, kind=kind, bullet=bullet, text=text)]
    return []


def _as_written(item: str, bullet: str | None) -> str:
    return f"{bullet}. {item}" if bullet else item


def _kind(item: str) -> str | None:
    return next((kind for kind, pattern in _KINDS if pattern.search(item)), None)


def _cables(item: str, context: _Context) -> list[str]:
    tokens = _tokens(item)
    found = _scan(tokens, context)
    if not found and context.station and _is_bare_serial_list(tokens):
        found = [
            refid
            for t in tokens
            if t.kind == "num" and (refid := _refid(None, context.station, t.text, context))
        ]
    return found


def _tokens(item: str) -> list[_Token]:
    text = _WORD_HYPHEN.sub(" ", item.upper().replace("'", "").replace(".", " "))
    text = _PAREN.sub(_paren_replacement, text)
    text = _ZERO_IN_WORD.sub(lambda m: m.group(0).replace("0", "O"), text)
    text = _O_IN_NUMBER.sub(lambda m: m.group(0).replace("O", "0"), text)
    text = _GLUED.sub(" ", text)
    tokens = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "sep"
        value = m.group(kind)
        if kind == "word" and value == "AND":
            kind = "sep"
        tokens.append(_Token(kind, value))
    return tokens


def _paren_replacement(m: re.Match[str]) -> str:
    inner = m.group(1).strip()
    if re.fullmatch(r"\d{2}|(?:19|20)\d{2}", inner):
        return f" <{inner}> "
    return " ; " if len(inner) > 3 else " "


def _is_bare_serial_list(tokens: list[_Token]) -> bool:
    """Serials alone ("2962 AND PREVIOUS"), not report numbers like "314/07696-07"."""
    return any(t.kind == "num" for t in tokens) and all(
        (t.kind == "num" and len(t.text) <= _MAX_SERIAL_DIGITS)
        or t.text in (",", "&", "AND")
        or t.text in _BARE_FILLERS
        for t in tokens
    )


def _scan(tokens: list[_Token], context: _Context) -> list[str]:
    found: list[str] = []
    i = 0
    consumed = 0  # tokens before this index belong to cables already read
    n = len(tokens)
    while i < n:
        if tokens[i].kind != "word":
            i += 1
            continue
        span = _station_at(tokens, i, context)
        if span is None:
            i += 1
            continue
        station, j, guessed = span
        name_end = j
        year = _year_before(tokens, i) if i > consumed else None
        refids, j = _serials_after(tokens, j, station, year, context)
        if not refids:
            refids = _serial_before(tokens, i, station, context)
        if refids:
            found.extend(refids)
            context.station = station
            if guessed:
                written = " ".join(t.text for t in tokens[i:name_end])
                context.corrections.append(Correction("station", written, station))
            i = consumed = j
        else:
            i += 1
    return found


def _station_at(tokens: list[_Token], i: int, context: _Context) -> tuple[str, int, bool] | None:
    """The longest run of words from `i` naming a station, the index after it, and whether
    the name was read as a typo. A typo is guessed only for words a serial stands beside:
    the guesser never sees prose."""
    end = i
    while end < len(tokens) and end - i < _MAX_STATION_WORDS and tokens[end].kind == "word":
        end += 1
    serial_before = i > 0 and tokens[i - 1].kind == "num"
    words = [t.text for t in tokens[i:end]]  # word tokens: capitals only, as station keys are
    for stop in range(end, i, -1):
        name = "".join(words[: stop - i])
        station = station_key(name, guess=False)
        if station:
            return station, stop, False
        # a lone letter joins a name only when spelt out ("PORT A"), never by a guess ("SECDEF R")
        if (
            len(tokens[stop - 1].text) > 1
            and context.guesses < _MAX_GUESSES
            and (serial_before or _serial_follows(tokens, stop))
        ):
            context.guesses += 1
            station = station_key(name)
            if station:
                return station, stop, True
    return None


def _serial_follows(tokens: list[_Token], j: int) -> bool:
    n = len(tokens)
    while j < n and (tokens[j].text in (",", ":", "-", "#") or tokens[j].text in _FILLERS):
        j += 1
    if j < n and tokens[j].kind == "pyear":
        j += 1
    return j < n and tokens[j].kind == "num"


def _year_before(tokens: list[_Token], i: int) -> str | None:
    k = i - 1
    if k >= 0 and tokens[k].text == "-":
        k -= 1
    if k >= 0 and tokens[k].kind in ("num", "pyear"):
        return _as_year(tokens[k].text)
    return None


def _as_year(text: str) -> str | None:
    if len(text) == 2 or (len(text) == 3 and text[0] == "0"):
        return text[-2:]
    if len(text) == 4 and text[:2] in ("19", "20"):
        return text[2:]
    return None


def _serials_after(
    tokens: list[_Token], j: int, station: str, year: str | None, context: _Context
) -> tuple[list[str], int]:
    n = len(tokens)
    while j < n and (tokens[j].text in (",", ":", "-", "#") or tokens[j].text in _FILLERS):
        j += 1
    if j < n and tokens[j].kind == "pyear":
        year = _as_year(tokens[j].text)
        j += 1
    refids: list[str] = []
    while j < n and tokens[j].kind == "num" and len(tokens[j].text) <= _MAX_SERIAL_DIGITS:
        serial = tokens[j].text
        j += 1
        after, j = _year_after(tokens, j)
        refid = _refid(after or year, station, serial, context)
        if refid:
            refids.append(refid)
        if not _continues(tokens, j, context):
            break
        j += 1
    return refids, j


def _year_after(tokens: list[_Token], j: int) -> tuple[str | None, int]:
    """A year written after the serial: "4525-91", "00789/08", "701 (08)", "07718 99"."""
    n = len(tokens)
    if j < n and tokens[j].kind == "pyear":
        return _as_year(tokens[j].text), j + 1
    if j + 1 < n and tokens[j].text in ("-", "/") and _is_two_digits(tokens[j + 1]):
        return tokens[j + 1].text, j + 2
    if j < n and _is_two_digits(tokens[j]):
        following = tokens[j + 1] if j + 1 < n else None
        if following is None or following.kind == "sep":
            return tokens[j].text, j + 1
    return None, j


def _is_two_digits(token: _Token) -> bool:
    return token.kind == "num" and len(token.text) == 2


def _continues(tokens: list[_Token], j: int, context: _Context) -> bool:
    """Another serial of the same station follows: "2799 AND 2764", "936/935", "188314, 259032"."""
    n = len(tokens)
    if j + 1 >= n or tokens[j].text not in (",", "/", "&", "AND") or tokens[j + 1].kind != "num":
        return False
    # "…, 03 VAT 4859": a number before a station is the year of the next cable
    return not (j + 2 < n and tokens[j + 2].kind == "word" and _station_at(tokens, j + 2, context))


def _serial_before(tokens: list[_Token], i: int, station: str, context: _Context) -> list[str]:
    """ "870 ULAANBAATAR": a serial before the station, when nothing follows it."""
    if i == 0 or tokens[i - 1].kind != "num":
        return []
    serial = tokens[i - 1].text
    if not 3 <= len(serial) <= _MAX_SERIAL_DIGITS or (_as_year(serial) and len(serial) != 3):
        return []
    refid = _refid(None, station, serial, context)
    return [refid] if refid else []


def _refid(year: str | None, station: str, serial: str, context: _Context) -> str | None:
    if year is None:
        if context.year is None:
            return None
        year = f"{context.year % 100:02d}"
    if not serial.strip("0"):
        return None
    return canonical_id(f"{year}{station}{int(serial)}")
