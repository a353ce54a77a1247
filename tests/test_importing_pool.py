"""Parse workers: forked past PARALLEL_AFTER records, in input order, like one process."""

import os

import pytest
from django.db import connection

from cables.importing import import_records, parsing, pool
from cables.importing.parsing import parse_one
from cables.models import Cable, RejectedRecord
from cables.parser import split_cable
from tests.lima_records import lima_text, mixed_records, with_serial

pytestmark = pytest.mark.django_db


@pytest.fixture
def workers_after_two_records(monkeypatch):
    monkeypatch.setattr(pool, "PARALLEL_AFTER", 2)


def test_parse_workers_keep_the_input_order(workers_after_two_records):
    summary = import_records(mixed_records(), batch_size=2, workers=2)
    assert summary.new_refids == [f"07LIMA{s}" for s in range(1, 8)]
    assert Cable.objects.count() == 7


def test_parse_workers_quarantine_like_one_process_with_the_line_in_the_file(
    workers_after_two_records,
):
    records = mixed_records()
    in_process = [parse_one(record) for record in records[3:5]]
    summary = import_records(records, batch_size=2, workers=2)
    assert summary.rejections == in_process
    assert RejectedRecord.objects.count() == 2


@pytest.mark.parametrize("serial", [6, 7], ids=["header read apart", "bare text"])
def test_cables_parsed_by_workers_keep_their_header_body_and_raw_text(
    workers_after_two_records, serial
):
    import_records(mixed_records(), batch_size=2, workers=2)
    cable = Cable.objects.get(refid=f"07LIMA{serial}")
    expected_header, expected_body = split_cable(with_serial(lima_text(), serial))
    assert (cable.header, cable.body) == (expected_header, expected_body)
    assert cable.raw == with_serial(lima_text(), serial)


def test_small_imports_never_start_parse_workers(monkeypatch):
    def no_pool(workers):
        raise AssertionError("a pool was started")

    monkeypatch.setattr(pool, "_start_pool", no_pool)
    summary = import_records(mixed_records(), batch_size=2, workers=2)
    assert (summary.new, summary.rejected) == (7, 2)


def test_one_worker_parses_in_this_process(workers_after_two_records, monkeypatch):
    def no_pool(workers):
        raise AssertionError("a pool was started")

    monkeypatch.setattr(pool, "_start_pool", no_pool)
    summary = import_records(mixed_records(), batch_size=2, workers=1)
    assert (summary.new, summary.rejected) == (7, 2)


def test_records_past_parallel_after_are_parsed_in_other_processes(
    workers_after_two_records, monkeypatch
):
    real = parsing.parse_cable

    def noting_pid(header, body, metadata=None, *, warnings=()):
        return real(header, body, metadata, warnings=(*warnings, f"parsed by {os.getpid()}"))

    monkeypatch.setattr(parsing, "parse_cable", noting_pid)
    import_records(mixed_records(), batch_size=2, workers=2)
    parsed_by = {note for c in Cable.objects.all() for note in c.warnings if "parsed by" in note}
    assert f"parsed by {os.getpid()}" in parsed_by
    assert len(parsed_by) > 1


def test_parse_workers_leave_this_process_its_database_connection(workers_after_two_records):
    import_records(mixed_records(), batch_size=2, workers=2)
    assert connection.is_usable()
    assert Cable.objects.count() == 7
