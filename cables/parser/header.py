"""The transmission header: transmission id, date-time group, sender and addressees."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .markings import CLASSIFICATION, PAGE_HEADER
from .types import Recipient

_TRANSMISSION_ID = re.compile(r"\b(VZCZC[A-Z0-9]+)")
_DTG = re.compile(
    r"^[ \t]*(?:(?P<prosign>[A-Z]{1,2}(?:[ \t]+[A-Z])?)[ \t]+)?"
    r"(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})Z[ \t]+"
    r"(?P<month>[A-Za-z]{3})[ \t]+(?P<year>\d{2,4})\b",
    re.MULTILINE,
)
# "DE RUEHSN #0037/01 0261915": the station's message number, the serial's last four digits.
_SEQUENCE = re.compile(r"^[ \t]*DE[ \t]+[A-Z0-9]{4,7}[ \t]*#[ \t]*(\d{1,5})\b", re.MULTILINE)
# "ZNY SSSSS ZZH": the security line that routed the message, one letter per level.
_SECURITY = re.compile(r"^[ \t]*ZN[YR][ \t]+([CSTUE])\1{4}\b", re.MULTILINE)
_SECURITY_LEVELS = {
    "T": "TOP SECRET",
    "S": "SECRET",
    "C": "CONFIDENTIAL",
    "U": "UNCLASSIFIED",
    "E": "UNCLASSIFIED",  # EFTO: unclassified, encrypted for transmission only
}
# The post on the FM line, at most a line's worth; trailing blanks are cut apart.
_SENDER = re.compile(r"^[ \t]*FM[ \t]+(\S[^\n]{0,200})", re.MULTILINE)
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {month: number for number, month in enumerate(_MONTH_NAMES, 1)}
# Anywhere in a line, but only as a header's: a precedence before it and the FM line after it.
_INLINE_DTG = re.compile(
    r"[OPRZ](?<![A-Z0-9][OPRZ])[OPRZ]?[ \t]+(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})Z[ \t]+"
    rf"(?P<month>{'|'.join(_MONTH_NAMES)})[ \t]+(?P<year>\d{{2}}|\d{{4}})[ \t]+FM[ \t]+[A-Z]"
)
_INLINE_DTG_LIMIT = 30_000
_PROSIGNS = {"Z": "FLASH", "O": "IMMEDIATE", "P": "PRIORITY", "R": "ROUTINE"}

_BLOCK_START = re.compile(r"^(TO|INFO)\b[ \t]*(.*)$")
_PAGE_BREAK = re.compile(rf"^{PAGE_HEADER}$")
_PROSIGN_LINE = re.compile(r"^(?:(?:BT|Z[A-Z]{2}\d?|CCCCC|SSSSS|UUUUU|EEEEE)(?:[ \t]+|$))+$")
# A post's own distribution under its TO/INFO words: "INFO  LOG-00   EEB-00", "INFO: AMB DCM".
# Each office ends where its letters do, so a long run of letters has one reading only.
_DISTRIBUTION = re.compile(
    r"^(?::(?:[ \t]*[A-Z/]{1,6}(?![A-Z/]))+[ \t]*$|[A-Z0-9]{1,6}-\d\d(?:\s|$))"
)
_EXCLUSION = re.compile(r"^XMT\b[ \t/]*(.*)$")
# A line of a TO/INFO block: "RUEHAM/AMEMBASSY AMMAN 0446", "AMEMBASSY PARIS", "XMT …", "BT".
_ADDRESS_LINE = re.compile(r"^(?:[A-Z0-9]{3,8}/)?[A-Z][A-Z0-9 .,'&()/-]*$|^XMT\b|^BT$")
_ROUTE = re.compile(r"^([A-Z0-9]{3,8})/(.*)$")
_PRECEDENCE_WORDS = ("FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")
_CLASSIFICATION_LINE = re.compile(
    rf"^(?:[A-Z] ){{4,}}|^(?:{CLASSIFICATION}|E\.O\.|SIPDIS|SUBJECT)\b"
)


@dataclass(frozen=True, slots=True)
class Header:
    transmission_id: str = ""
    precedence: str = ""
    created: datetime | None = None
    sender: str = ""
    sequence: str = ""  # "0037" from the DE line
    security: str = ""  # "SECRET" from "ZNY SSSSS ZZH"
    recipients: tuple[Recipient, ...] = ()
    warnings: tuple[str, ...] = ()


def parse_header(text: str) -> Header:
    """Read a transmission header; oddities become warnings, never exceptions."""
    warnings: list[str] = []
    tid = _TRANSMISSION_ID.search(text)
    sender = _SENDER.search(text)
    sequence = _SEQUENCE.search(text)
    security = _SECURITY.search(text)
    precedence, created = _date_time_group(text, warnings)
    to, info = _address_blocks(text, warnings)
    return Header(
        transmission_id=tid.group(1) if tid else "",
        precedence=precedence,
        created=created,
        sender=_ROUTE.sub(r"\2", sender.group(1).rstrip()).strip() if sender else "",
        sequence=sequence.group(1) if sequence else "",
        security=_SECURITY_LEVELS[security.group(1)] if security else "",
        recipients=tuple(to) + tuple(info),
        warnings=tuple(warnings),
    )


def header_end(text: str, fm_start: int) -> int:
    """The offset just past the header whose FM line starts at `fm_start`: past its TO, INFO
    and XMT blocks, at the first blank line or line of text."""
    pos = text.find("\n", fm_start)
    while pos != -1:
        end = text.find("\n", pos + 1)
        line = text[pos + 1 : end if end != -1 else len(text)].strip()
        if not line or line != line.upper() or _CLASSIFICATION_LINE.match(line):
            return pos + 1
        if not (_BLOCK_START.match(line) or _ADDRESS_LINE.match(line)):
            return pos + 1
        pos = end
    return len(text)


def recipients(text: str) -> list[Recipient]:
    """The action addressees (TO)."""
    return _address_blocks(text, [])[0]


def info_recipients(text: str) -> list[Recipient]:
    """The information addressees (INFO)."""
    return _address_blocks(text, [])[1]


def _date_time_group(text: str, warnings: list[str]) -> tuple[str, datetime | None]:
    m = _DTG.search(text)
    if not m:
        return "", None
    prosign = (m.group("prosign") or "").split()
    precedence = _PROSIGNS.get(prosign[0], "") if prosign and len(prosign[0]) == 1 else ""
    if prosign and not precedence:
        warnings.append(
            f"header: unreadable precedence {m.group('prosign')!r} in the date-time group"
        )
    return precedence, _when(m, warnings)


def inline_date_time_group(text: str) -> datetime | None:
    """The date-time group of a header a release flattened into the text, mid-line:
    "… /006W ------8A8E22 271459Z /38 O 271459Z SEP 00 FM AMEMBASSY HARARE TO …"."""
    m = _INLINE_DTG.search(text, 0, _INLINE_DTG_LIMIT)
    return _when(m, []) if m else None


def _when(m: re.Match[str], warnings: list[str]) -> datetime | None:
    year = int(m.group("year"))
    if year < 100:
        year += 1900 if year >= 66 else 2000
    try:
        return datetime(
            year,
            _MONTHS[m.group("month").upper()],
            int(m.group("day")),
            int(m.group("hour")),
            int(m.group("minute")),
            tzinfo=UTC,
        )
    except (KeyError, ValueError):
        warnings.append(f"header: invalid date-time group {m.group(0).strip()!r}")
        return None


def _address_blocks(text: str, warnings: list[str]) -> tuple[list[Recipient], list[Recipient]]:
    """The TO and INFO addressees, each line a recipient, XMT lines excluding from a collective."""
    blocks: dict[str, list[Recipient]] = {"TO": [], "INFO": []}
    role: str | None = None
    excluding = False
    for raw in text.splitlines():
        line = raw.strip()
        start = _BLOCK_START.match(line)
        if start:
            role, excluding = start.group(1), False
            line = start.group(2).strip()
            if _DISTRIBUTION.match(line):
                role = None  # the receiving office's routing ("INFO LOG-00 EEB-00 …")
                continue
        elif role is None:
            continue
        elif not line or _CLASSIFICATION_LINE.match(line) or line != line.upper():
            role = None
            continue
        if not line or _PAGE_BREAK.match(line) or _PROSIGN_LINE.match(line):
            continue
        found = blocks[role]
        exclusion = _EXCLUSION.match(line)
        if exclusion:
            excluding = True
            line = exclusion.group(1).strip()
            if not line:
                continue
        if excluding:
            if found:
                last = found[-1]
                found[-1] = replace(last, excluded=(*last.excluded, line))
            continue
        if raw[:1] in " \t" and found and not found[-1].precedence and not found[-1].serial:
            found[-1] = _recipient(role, f"{_joined(found[-1])} {line}", warnings)
            continue
        found.append(_recipient(role, line, warnings))
    return blocks["TO"], blocks["INFO"]


def _recipient(block: str, line: str, warnings: list[str]) -> Recipient:
    route = None
    routed = _ROUTE.match(line)
    if routed:
        route, line = routed.group(1), routed.group(2).strip()
    name, precedence, serial = _tail(line.split())
    if serial and not precedence:
        name, garbled = _garbled_precedence(name)
        if garbled:
            warnings.append(f"header: garbled precedence {garbled!r} for {name}")
    return Recipient(
        role="to" if block == "TO" else "info",
        name=name,
        route=route,
        precedence=precedence,
        serial=serial,
    )


def _tail(words: list[str]) -> tuple[str, str | None, str | None]:
    """Split "AMEMBASSY ATHENS PRIORITY 0121" into name, precedence and serial."""
    serial = precedence = None
    if len(words) > 1 and len(words[-1]) == 4 and words[-1].isdigit():
        serial = words.pop()
    if len(words) > 1 and words[-1] in _PRECEDENCE_WORDS:
        precedence = words.pop()
        if precedence == "IMMEDIATE" and len(words) > 1 and words[-1] == "NIACT":
            words.pop()
            precedence = "NIACT IMMEDIATE"
    return " ".join(words), precedence, serial


def _garbled_precedence(name: str) -> tuple[str, str | None]:
    """Split off a last word standing where the precedence belongs: a month, a mangled PRIORITY."""
    head, _, last = name.rpartition(" ")
    if not head:
        return name, None
    if last in _MONTHS or any(_near(last, word) for word in _PRECEDENCE_WORDS):
        return head, last
    return name, None


def _near(word: str, target: str) -> bool:
    """A precedence word with one letter dropped, doubled or changed."""
    if len(word) < 4 or abs(len(word) - len(target)) > 1:
        return False
    shorter, longer = sorted((word, target), key=len)
    if len(shorter) == len(longer):
        return sum(a != b for a, b in zip(shorter, longer, strict=True)) == 1
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _joined(recipient: Recipient) -> str:
    return f"{recipient.route}/{recipient.name}" if recipient.route else recipient.name
