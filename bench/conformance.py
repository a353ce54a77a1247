#!/usr/bin/env python
"""Replay Cablemap's field-extraction cases against our parser: one line per field, passed/total.

python bench/conformance.py [--field FIELD] [--failures] [--cases PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cables.parser import body, canonical, header, references, subject, tags  # noqa: E402

DEFAULT_CASES = ROOT.parent / "shared" / "conformance" / "cablemap_cases.json"


def _recipient(r) -> dict[str, Any]:
    return {
        "route": r.route,
        "name": r.name,
        "precedence": r.precedence,
        "mcn": r.serial,
        "excluded": list(r.excluded),
    }


def _references(text: str, params: dict) -> Any:
    refs = references.parse_references(text, params.get("year"), params.get("reference_id"))
    if params.get("output", "").startswith("Reference objects"):
        return [
            {"value": r.value, "kind": r.kind, "bullet": r.bullet, "title": r.title} for r in refs
        ]
    return list(dict.fromkeys(r.refid for r in refs if r.refid))


def _classified_by(text: str, params: dict) -> list[str]:
    found = body.parse_classified_by(text, normalize=params.get("normalize", False))
    return list(found.names) if found else []


def _deadline(text: str, params: dict) -> str | None:
    found = body.nondisclosure_deadline(text)
    return found.isoformat() if found else None


EXTRACTORS: dict[str, Callable[[str, dict], Any]] = {
    "recipients": lambda t, p: [_recipient(r) for r in header.recipients(t)],
    "info_recipients": lambda t, p: [_recipient(r) for r in header.info_recipients(t)],
    "canonical_id": lambda t, p: canonical.canonical_id(t),
    "references": _references,
    "tags": lambda t, p: list(tags.parse_tags(t, canonicalize=p.get("canonicalize", True))),
    "tag_kind": lambda t, p: tags.tag_kind(t).upper(),
    "subject": lambda t, p: subject.parse_subject(t, clean=p.get("clean", True)),
    "subject_titlefy": lambda t, p: subject.titlefy(t),
    "signed_by": lambda t, p: list(body.signed_by(t)),
    "classified_by": _classified_by,
    "nondisclosure_deadline": _deadline,
    "summary": lambda t, p: body.parse_summary(t),
    "clean_content": lambda t, p: body.clean_content(t),
}


def replay(cases: list[dict]) -> tuple[Counter, Counter, list[tuple[dict, Any]]]:
    passed: Counter = Counter()
    total: Counter = Counter()
    failures: list[tuple[dict, Any]] = []
    for case in cases:
        field = case["field"]
        total[field] += 1
        try:
            got = EXTRACTORS[field](case["input"], case["params"])
        except Exception as exc:  # a crash is a failure of that case, not of the run
            got = f"{type(exc).__name__}: {exc}"
        if got == case["expected"]:
            passed[field] += 1
        else:
            failures.append((case, got))
    return passed, total, failures


def load_cases(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cases"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--field", help="only this field")
    parser.add_argument("--failures", action="store_true", help="show each failing case")
    args = parser.parse_args(argv)
    if not args.cases.exists():
        print(f"conformance cases not found at {args.cases}; nothing to replay", file=sys.stderr)
        return 0
    cases = [c for c in load_cases(args.cases) if not args.field or c["field"] == args.field]
    passed, total, failures = replay(cases)
    for field in sorted(total, key=lambda f: -total[f]):
        print(f"{field} {passed[field]}/{total[field]}")
    if args.failures:
        for case, got in failures:
            print(f"\n--- {case['id']} {case['params']}\ninput:    {case['input']!r}")
            print(f"expected: {case['expected']!r}\ngot:      {got!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
