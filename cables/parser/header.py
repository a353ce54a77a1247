"""PLACEHOLDER (crude, to be replaced by its owner): the transmission header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .types import Recipient

_DTG = re.compile(r"^\s*([A-Z](?:\s+[A-Z])?)\s+(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{2,4})", re.M)
_MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
_PRECEDENCE = {"Z": "FLASH", "O": "IMMEDIATE", "P": "PRIORITY", "R": "ROUTINE"}


@dataclass(frozen=True, slots=True)
class Header:
    transmission_id: str = ""
    precedence: str = ""
    created: datetime | None = None
    sender: str = ""
    recipients: tuple[Recipient, ...] = ()
    warnings: tuple[str, ...] = ()


def parse_header(text: str) -> Header:
    created = precedence = None
    m = _DTG.search(text)
    if m:
        year = int(m.group(6))
        year = year if year > 100 else (1900 + year if year > 40 else 2000 + year)
        created = datetime(year, _MONTHS.index(m.group(5)) + 1, int(m.group(2)),
                           int(m.group(3)), int(m.group(4)), tzinfo=UTC)
        precedence = _PRECEDENCE.get(m.group(1)[0], "")
    fm = re.search(r"^FM\s+(.+)$", text, re.M)
    return Header(
        precedence=precedence or "",
        created=created,
        sender=fm.group(1).strip() if fm else "",
        recipients=tuple(recipients(text)) + tuple(info_recipients(text)),
    )


def _block(text: str, start: str, stop: str | None) -> list[str]:
    m = re.search(rf"^{start}\s+(.*?)(?=^{stop}\s|\Z)" if stop else rf"^{start}\s+(.*)", text,
                  re.M | re.S)
    return [ln.strip() for ln in m.group(1).splitlines() if ln.strip()] if m else []


def _recipient(role: str, line: str) -> Recipient:
    route, _, rest = line.rpartition("/") if "/" in line.split()[0] else ("", "", line)
    m = re.match(r"(.*?)\s+(FLASH|NIACT IMMEDIATE|IMMEDIATE|PRIORITY|ROUTINE)(?:\s+(\d+))?$", rest)
    if m:
        return Recipient(role, m.group(1), route or None, m.group(2), m.group(3))
    return Recipient(role, rest, route or None)


def recipients(text: str) -> list[Recipient]:
    return [_recipient("to", ln) for ln in _block(text, "TO", "INFO")]


def info_recipients(text: str) -> list[Recipient]:
    return [_recipient("info", ln) for ln in _block(text, "INFO", None)]
