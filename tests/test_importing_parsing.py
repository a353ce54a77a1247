"""One record parsed into Cable column values, or rejected with where and why."""

from cables.importing import MAX_RECORD_CHARS, cable_fields, cable_json, content_hash, parsing
from cables.importing.parsing import Parsed, parse_batch, parse_one, reread
from cables.importing.summary import Rejection
from cables.models import RejectedRecord
from cables.parser.types import Metadata
from cables.readers import BadRecord, RawRecord
from tests.lima_records import bare, cited_cable_text, header_only, lima_text


def test_the_text_hash_ignores_line_endings_and_trailing_spaces_only():
    text = lima_text()
    crlf = text.replace("\n", " \r\n")
    assert content_hash("", crlf) == content_hash("", text)
    assert content_hash("", text.replace("MCKINLEY", "MCKINLEY.")) != content_hash("", text)


def test_a_parsed_record_carries_the_column_values_of_its_cable():
    outcome = parse_one(bare(lima_text(), source="lima.txt", line=3))
    assert isinstance(outcome, Parsed)
    fields = outcome.fields
    assert (fields["refid"], fields["signed_by"], fields["source_position"]) == (
        "07LIMA3673",
        "MCKINLEY",
        "file, line 3",
    )
    assert fields == cable_fields(outcome.record, outcome.cable)


def test_the_json_of_a_cable_names_its_recipients_roles_as_stored():
    outcome = parse_one(bare(lima_text()))
    recipients = cable_json(outcome.record, outcome.cable)["recipients"]
    assert [r["role"] for r in recipients] == ["action"] + ["info"] * 10


def test_parse_error_line_counts_from_where_the_record_starts_in_its_file():
    rejection = parse_one(bare(header_only(), line=100))
    assert isinstance(rejection, Rejection)
    assert rejection.line >= 100


def test_a_readers_bad_record_becomes_its_rejection():
    bad = BadRecord("dump.csv", "row 2", 116, "csv", '"2"', "wrong number of fields")
    assert parse_one(bad) == Rejection("dump.csv", "row 2", 116, "wrong number of fields")


def test_text_with_nul_bytes_is_rejected_at_the_line_of_the_first():
    text = lima_text().replace("SIPDIS", "SIP\x00DIS", 1)
    rejection = parse_one(bare(text))
    assert rejection.error == "binary data: NUL byte in the text (not a cable)"
    assert rejection.line == text[: text.index("\x00")].count("\n") + 1


def test_a_record_larger_than_any_cable_is_rejected():
    text = "x" * (MAX_RECORD_CHARS + 1)
    assert parse_one(bare(text)).error.startswith("oversize record:")


def test_a_parser_crash_rejects_only_that_record(monkeypatch):
    real = parsing.parse_cable

    def crash_on_3638(header, body, metadata=None, *, warnings=()):
        if "LIMA 003638" in body:
            raise RuntimeError("extractor bug")
        return real(header, body, metadata, warnings=warnings)

    monkeypatch.setattr(parsing, "parse_cable", crash_on_3638)
    batch = parse_batch([bare(cited_cable_text()), bare(lima_text())])
    assert [item.cable.refid for item in batch.parsed] == ["07LIMA3673"]
    assert [rejection.error for _record, rejection in batch.rejected] == [
        "RuntimeError: extractor bug"
    ]


def test_a_descriptive_field_too_long_for_its_column_is_cut_with_a_warning():
    text = lima_text()
    record = RawRecord("dump.zip", "member " + "x" * 300, 1, "raw", text, "", text, Metadata())
    outcome = parse_one(record)
    assert len(outcome.fields["source_position"]) == 200
    assert "source_position: cut to 200 characters" in outcome.fields["warnings"]


def test_a_quarantined_raw_text_is_read_again_as_the_record_it_was():
    rejected = RejectedRecord(source="cut.txt", source_format="raw", position="file", line=7)
    rejected.raw = lima_text()
    record = reread(rejected)
    assert (record.source, record.position, record.line, record.body) == (
        "cut.txt",
        "file",
        7,
        lima_text(),
    )
