"""The metadata fields the container formats state: dump ids, dates and reference lists.

Each returns the value, or None / a message saying what is wrong; none raises on bad text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_CSV_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{1,2}):([0-9]{2})")
_ISO_DATE = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2}) ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
)
_NUMBER = re.compile(r"[0-9]+")
_REF_SPLIT = re.compile(r"[\s,|]+")
_MAX_DUMP_ID = 2**63 - 1  # the widest integer column either database has


def dump_id(value: str) -> int | str:
    """The id as an int, or what is wrong with it: only ASCII digits, within 63 bits."""
    text = value.strip()
    if not (text.isdecimal() and _NUMBER.fullmatch(text)):
        return f"id is not a number: {value[:40]!r}"
    # Checked by length first: int() refuses strings of more than 4,300 digits.
    if len(text.lstrip("0")) > 19 or int(text) > _MAX_DUMP_ID:
        return f"dump id out of range: {text[:40]}"
    return int(text)


def csv_date(value: str) -> datetime | None:
    """`12/28/1966 18:48`; a regex, because strptime is the slowest step of a CSV row."""
    found = _CSV_DATE.fullmatch(value.strip())
    if found is None:
        return None
    month, day, year, hour, minute = map(int, found.groups())
    return _datetime(year, month, day, hour, minute, 0)


def iso_date(value: str) -> datetime | None:
    """`2009-02-05 16:36`, seconds optional, as the WikiLeaks pages write it."""
    found = _ISO_DATE.fullmatch(value.strip())
    if found is None:
        return None
    year, month, day, hour, minute, second = map(int, found.groups(default="0"))
    return _datetime(year, month, day, hour, minute, second)


def _datetime(
    year: int, month: int, day: int, hour: int, minute: int, second: int
) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def bad_date(value: str) -> str:
    return f"unparseable date: {value.strip()[:40]!r}"


def references(value: str) -> tuple[str, ...]:
    return tuple(ref for ref in _REF_SPLIT.split(value) if ref)
