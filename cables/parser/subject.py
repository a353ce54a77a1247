"""PLACEHOLDER (crude, to be replaced by its owner): SUBJECT."""

import re


def parse_subject(content: str, clean: bool = True) -> str:
    m = re.search(r"^SUBJ(?:ECT)?:\s*(.+)$", content, re.M)
    return m.group(1).strip() if m else ""


def titlefy(subject: str) -> str:
    return subject.title()
