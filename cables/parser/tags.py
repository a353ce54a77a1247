"""PLACEHOLDER (crude, to be replaced by its owner): TAGS."""

import re


def parse_tags(content: str, canonicalize: bool = True) -> tuple[str, ...]:
    m = re.search(r"^TAGS?:?\s*(.+)$", content, re.M)
    return tuple(t for t in re.split(r"[\s,]+", m.group(1).strip()) if t) if m else ()


def tag_kind(tag: str) -> str:
    if len(tag) == 2:
        return "geo"
    if "," in tag:
        return "person"
    return "program" if tag.startswith("K") else "subject"
