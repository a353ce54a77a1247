"""Header and body kept as spans of the raw text read back exactly, in Python and in SQL."""

import pytest
from django.db import connection

from cables import storedtext
from cables.importing import import_paths
from cables.models import Cable
from cables.readers import RawRecord, read_records
from cables.readers.html import html_record
from tests.conftest import DATA

FILES = [DATA / "cables_tiny.csv", DATA / "import_07LIMA3673.txt"]


def read_back(record: RawRecord, kept: storedtext.Stored) -> str:
    return storedtext.read(record.raw, kept.text, kept.start, kept.end, record.format)


def records(*paths) -> list[RawRecord]:
    return [r for r in read_records(paths) if isinstance(r, RawRecord)]


@pytest.mark.parametrize(
    ("raw", "text", "format"),
    [
        ('"1","x","he said \\"no\\" twice"', 'he said "no" twice', "csv"),
        ('"1","line one\r\nline two"', "line one\nline two", "csv"),
        ('"1","the Shah\\\'s \\"no\\"\r\nends"', 'the Shah\'s "no"\nends', "csv"),
        ('"1","the Shah\'s \\"no\\"\r\nends"', 'the Shah\'s "no"\nends', "csv"),  # ' as is
        ("HEADER\r\nBODY\r\nEND", "BODY\nEND", "raw"),
        ("plain text of a cable", "text of a", "scoop"),
    ],
)
def test_a_span_reads_back_as_the_text(raw, text, format):
    kept = storedtext.store(raw, text, format)
    assert kept.text == "" and kept.start is not None
    assert storedtext.read(raw, kept.text, kept.start, kept.end, format) == text


@pytest.mark.parametrize(
    ("raw", "text", "format"),
    [
        ("<p>Embassy &amp; Lima</p>", "Embassy & Lima", "html"),  # markup: not a slice
        ("mixed\r\nand\nlines", "mixed\nand\nlines", "raw"),
    ],
)
def test_a_text_that_is_no_exact_span_is_kept_whole(raw, text, format):
    assert storedtext.store(raw, text, format) == storedtext.Stored(text)


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["csv", "raw"])
def test_the_database_reads_a_span_as_python_does(format):
    raw = '"1","it' + "\\'" + 's \\"so\\"\r\nsaid"'
    text = 'it\'s "so"\nsaid'
    kept = storedtext.store(raw, text, format)
    assert kept.start is not None or format != "csv"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {storedtext.sql('c', 'body')} FROM (SELECT %s AS raw, %s AS body, "
            "CAST(%s AS INTEGER) AS body_start, CAST(%s AS INTEGER) AS body_end, "
            "%s AS source_format) AS c",
            [raw, kept.text, kept.start, kept.end, format],
        )
        assert cursor.fetchone()[0] == text


def test_every_record_of_the_test_data_reads_back_exactly():
    found = records(DATA)
    assert len(found) > 10
    for record in found:
        for text in (record.header, record.body):
            kept = storedtext.store(record.raw, text, record.format)
            assert read_back(record, kept) == text


def test_shared_cables_read_back_exactly(shared_dir):
    spans = 0
    for record in records(shared_dir / "data"):
        for text in (record.header, record.body):
            kept = storedtext.store(record.raw, text, record.format)
            spans += kept.start is not None
            assert read_back(record, kept) == text
    assert spans > 0


@pytest.mark.django_db
def test_imported_text_is_stored_once_and_the_database_reads_it_as_python_does():
    import_paths(FILES)
    by_record = {r.raw: r for r in records(*FILES)}
    cables = list(Cable.objects.all())
    assert cables
    spans = [cable for cable in cables if cable.body_start is not None]
    assert len(spans) * 2 > len(cables)  # most bodies are a slice of the raw text
    for cable in cables:
        record = by_record[cable.raw]
        assert cable.body.strip() and cable.body in record.body + record.header
    for cable in spans:
        assert cable.body_stored == ""  # a span, no second copy
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.id, {storedtext.sql('c', 'body')} FROM cables_cable AS c")
        in_sql = dict(cursor.fetchall())
    assert in_sql == {cable.pk: cable.body for cable in cables}


def test_a_wikileaks_page_keeps_its_text(data_dir):
    page = next((data_dir / "html").glob("**/*.html"))
    record = html_record(page.read_text(encoding="utf-8"), str(page), "file", 1)
    assert isinstance(record, RawRecord)
    assert storedtext.store(record.raw, record.body, "html").text == record.body
