"""PLACEHOLDER (crude, to be replaced by its owner): the cable body."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .types import ClassifiedBy, Paragraph


@dataclass(frozen=True, slots=True)
class ClassificationLine:
    classification: str
    station: str
    serial: str
    section: str = ""
    line: int = 0


_CLS = re.compile(
    r"^\s*(C\s?O\s?N\s?F\s?I\s?D\s?E\s?N\s?T\s?I\s?A\s?L|S\s?E\s?C\s?R\s?E\s?T|UNCLAS(?:SIFIED)?)"
    r"(?:\s+SECTION\s+\d+\s+OF\s+\d+)?\s+([A-Z][A-Z ]*?)\s+0*(\d+)\s*$",
    re.M,
)


def classification_line(body: str) -> ClassificationLine | None:
    m = _CLS.search(body)
    if not m:
        return None
    word = m.group(1).replace(" ", "")
    cls = "UNCLASSIFIED" if word.startswith("UNCLAS") else word
    return ClassificationLine(cls, m.group(2).replace(" ", ""), m.group(3),
                              line=body.count("\n", 0, m.start()) + 1)


def caveats(body: str) -> tuple[str, ...]:
    return tuple(c for c in ("NOFORN", "SIPDIS") if re.search(rf"\b{c}\b", body))


def nondisclosure_deadline(content: str) -> date | None:
    m = re.search(r"DECL:\s*(\d{1,2})/(\d{1,2})/(\d{4})", content)
    return date(int(m.group(3)), int(m.group(1)), int(m.group(2))) if m else None


def decl_line(content: str) -> str:
    m = re.search(r"^E\.\s?O\.\s?\d+:?(.*)$", content, re.M)
    return m.group(0).strip() if m else ""


def parse_classified_by(content: str, normalize: bool = False) -> ClassifiedBy | None:
    m = re.search(r"Classified By:\s*(.+)", content, re.I)
    return ClassifiedBy(names=(m.group(1).strip(),), text=m.group(0)) if m else None


def parse_summary(content: str) -> str:
    m = re.search(r"SUMMARY:?\s*(.+?)\s*END SUMMARY", content, re.I | re.S)
    return m.group(1).strip() if m else ""


def signed_by(content: str) -> tuple[str, ...]:
    lines = [ln.strip() for ln in content.strip().splitlines() if ln.strip()]
    return (lines[-1],) if lines and re.fullmatch(r"[A-Z][A-Z\-']+", lines[-1]) else ()


def clean_content(content: str) -> str:
    return content


def paragraphs(body: str) -> tuple[Paragraph, ...]:
    return ()
