"""PLACEHOLDER (crude, to be replaced by its owner): canonical reference ids and post names."""

import re


def canonical_id(refid: str) -> str:
    return refid.strip().upper()


def origin_name(sender: str) -> str:
    s = sender.strip()
    if s.startswith("SECSTATE"):
        return "Secretary of State"
    for prefix, label in (("AMEMBASSY ", "Embassy "), ("AMCONSUL ", "Consulate ")):
        if s.startswith(prefix):
            return label + s[len(prefix):].title()
    return s.title()


def station(sender: str) -> str:
    s = sender.strip()
    if s.startswith("SECSTATE"):
        return "STATE"
    return re.sub(r"^(AMEMBASSY|AMCONSUL|USMISSION)\s+", "", s).replace(" ", "")


def make_refid(year: int, station_name: str, serial: str) -> str:
    return f"{year % 100:02d}{station_name}{int(serial)}"
