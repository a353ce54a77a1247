"""Cablemap's field-extraction cases replayed against our parser: each field at its minimum.

Fields are added by adding an entry to MINIMUMS (passed cases out of the full set in
../shared/conformance); a small copy in tests/data always runs, every case in it must pass.
"""

import importlib.util
import json
from pathlib import Path

import pytest

from tests.conftest import DATA, SHARED

_BENCH = Path(__file__).resolve().parent.parent / "bench" / "conformance.py"
_spec = importlib.util.spec_from_file_location("bench_conformance", _BENCH)
assert _spec and _spec.loader
conformance = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conformance)

MINIMUMS = {
    "recipients": 7,
    "info_recipients": 8,
    "canonical_id": 262,
    "references": 157,
    "tags": 81,
    "subject": 58,
    "subject_titlefy": 35,
    "tag_kind": 10,
    "classified_by": 202,
    "signed_by": 38,
    "summary": 23,
    "clean_content": 13,
    "nondisclosure_deadline": 12,
}
SAMPLE = DATA / "conformance_sample.json"


@pytest.fixture(scope="module")
def all_cases() -> list[dict]:
    path = SHARED / "conformance" / "cablemap_cases.json"
    if not path.exists():
        pytest.skip(f"conformance cases are absent (looked for {path})")
    return conformance.load_cases(path)


@pytest.mark.parametrize("field", sorted(MINIMUMS))
def test_field_passes_at_least_its_minimum_of_cablemap_cases(field, all_cases):
    passed, total, _ = conformance.replay([c for c in all_cases if c["field"] == field])
    assert passed[field] >= MINIMUMS[field], f"{field}: {passed[field]}/{total[field]}"


def _sample_cases() -> list[dict]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", _sample_cases(), ids=lambda case: case["id"])
def test_sample_case_passes(case):
    _, _, failures = conformance.replay([case])
    assert failures == []
