"""PLACEHOLDER (crude, to be replaced by its owner): REF lines."""

import re

from .types import Reference


def parse_references(content: str, year: int | None, reference_id: str | None = None) -> list[Reference]:
    m = re.search(r"^REFS?:\s*(.+)$", content, re.M)
    if not m or year is None:
        return []
    out = []
    for st, serial in re.findall(r"\b([A-Z]{3,})\s+0*(\d+)\b", m.group(1)):
        out.append(Reference(f"{st} {serial}", f"{year % 100:02d}{st}{int(serial)}"))
    return out
