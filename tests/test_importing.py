import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cables import importing
from cables.importing import ImportSummary, RetryError, import_paths, import_records
from cables.models import (
    Cable,
    CableTag,
    CableVersion,
    ImportJob,
    Origin,
    Recipient,
    Reference,
    RejectedRecord,
    Tag,
)
from cables.parser import split_cable
from cables.parser.types import Metadata
from cables.readers import BadRecord, RawRecord

DATA = Path(__file__).resolve().parent / "data"
SEED = DATA / "seed.txt"
LIMA = DATA / "import_07LIMA3673.txt"  # the seed's cable as bare text: header lines, then body

pytestmark = pytest.mark.django_db


EDIT = "\nCORRECTED COPY\n"  # appended to a cable's text: a change a later release could make


def lima_text() -> str:
    return LIMA.read_bytes().decode("utf-8")


def with_serial(text: str, serial: int) -> str:
    """The Lima cable as if sent under another serial, so its reference id is 07LIMA<serial>."""
    return text.replace("LIMA 003673", f"LIMA {serial:06d}").replace("#3673/01", f"#{serial}/01")


def cited_cable_text() -> str:
    """07LIMA3638, the cable the seed cites, made from the seed's own text minus its REF line."""
    return with_serial(lima_text(), 3638).replace("REF: LIMA 3638\n", "")


def bare(text: str, source: str = "lima.txt", line: int = 1) -> RawRecord:
    return RawRecord(source, "file", line, "raw", text, "", text, Metadata())


def import_seed() -> Cable:
    import_paths([SEED])
    return Cable.objects.get(refid="07LIMA3673")


def search_hits(word: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT refid FROM cables_cable "
                "WHERE search_vector @@ plainto_tsquery('english', %s)",
                [word],
            )
        else:
            cursor.execute(
                "SELECT c.refid FROM cables_cable_fts AS f "
                "JOIN cables_cable AS c ON c.id = f.rowid WHERE cables_cable_fts MATCH %s",
                [word],
            )
        return {row[0] for row in cursor.fetchall()}


# --- the seed ------------------------------------------------------------------------------------


def test_seed_imports_as_one_new_cable():
    summary = import_paths([SEED])
    assert (summary.new, summary.updated, summary.unchanged, summary.rejected) == (1, 0, 0, 0)
    assert summary.new_refids == ["07LIMA3673"]


def test_seed_keeps_its_published_date_origin_classification_and_precedence():
    cable = import_seed()
    assert cable.created == datetime(2007, 11, 20, 13, 37, tzinfo=UTC)
    assert cable.origin.name == "Embassy Lima"
    assert cable.classification == "CONFIDENTIAL"
    assert cable.precedence == "PRIORITY"


def test_seed_tags_keep_their_order():
    cable = import_seed()
    assert [t.code for t in cable.tags.order_by("cabletag__position")] == [
        "PGOV",
        "PREL",
        "PTER",
        "SNAR",
        "PE",
    ]


def test_seed_recipients_are_the_eleven_addressees_in_order():
    cable = import_seed()
    recipients = list(cable.recipients.all())
    assert [r.route for r in recipients] == [
        "RUEHC",
        "RUEHBO",
        "RUEHBR",
        "RUEHBU",
        "RUEHCV",
        "RUEHLP",
        "RUEHQT",
        "RUEHSG",
        "RHEHAAA",
        "RUEAIIA",
        "RUMIAAA",
    ]
    assert [r.role for r in recipients] == ["action"] + ["info"] * 10


def test_seed_action_recipient_keeps_precedence_and_serial():
    first = import_seed().recipients.first()
    assert (first.name, first.precedence, first.serial) == ("SECSTATE WASHDC", "PRIORITY", "7349")


def test_seed_raw_text_is_byte_for_byte_the_file():
    assert import_seed().raw.encode("utf-8") == SEED.read_bytes()


def test_seed_provenance_names_file_format_and_hash():
    cable = import_seed()
    assert (cable.source, cable.source_format) == (str(SEED), "scoop")
    assert cable.content_hash == importing.content_hash(cable.header, cable.body)


def test_the_text_hash_ignores_line_endings_and_trailing_spaces_only():
    text = lima_text()
    crlf = text.replace("\n", " \r\n")
    assert importing.content_hash("", crlf) == importing.content_hash("", text)
    assert importing.content_hash("", text.replace("MCKINLEY", "MCKINLEY.")) != (
        importing.content_hash("", text)
    )


def test_the_same_cable_as_a_bare_file_after_its_scoop_page_is_unchanged():
    import_seed()
    summary = import_records([bare(lima_text(), source="lima.txt")])
    assert summary.unchanged == 1
    assert Cable.objects.get().source_format == "scoop"


def test_a_format_without_the_dump_id_keeps_the_one_already_stored():
    import_seed()
    import_records([bare(lima_text() + "\nCORRECTED COPY\n", source="lima.txt")])
    cable = Cable.objects.get()
    assert cable.source_format == "raw"
    assert cable.dump_id == 130835


def test_seed_subject_is_joined_over_its_two_lines():
    assert import_seed().subject == "ONDCP DIRECTOR WALTERS SEES PROGRESS IN PERU'S WAR ON DRUGS"


def test_seed_summary_is_the_summary_paragraph():
    summary = " ".join(import_seed().summary.split())
    assert summary.startswith("ONDCP Director Walters met with Interior Minister Luis Alva Castro")
    assert summary.endswith("GOP counter-narcotics efforts lacked cohesion.")


def test_seed_classifier_is_the_dcm():
    cable = import_seed()
    assert (cable.classified_by, cable.classified_by_title) == ("James D. Nealon", "DCM")


def test_seed_signer_and_declassification_date():
    cable = import_seed()
    assert cable.signed_by == "MCKINLEY"
    assert cable.decl_date.isoformat() == "2017-11-20"


def test_seed_reference_is_unresolved_while_the_cited_cable_is_absent():
    reference = import_seed().references.get()
    assert (reference.target_refid, reference.cited) == ("07LIMA3638", None)


def test_importing_the_cited_cable_later_resolves_the_seed_reference():
    seed = import_seed()
    import_records([bare(cited_cable_text())])
    cited = Cable.objects.get(refid="07LIMA3638")
    assert seed.references.get().cited == cited
    assert list(cited.cited_by.values_list("citing__refid", flat=True)) == ["07LIMA3673"]


def test_a_reference_to_a_cable_already_stored_is_resolved_at_import():
    import_records([bare(cited_cable_text())])
    seed = import_seed()
    assert seed.references.get().cited.refid == "07LIMA3638"


# --- re-imports ----------------------------------------------------------------------------------


def test_reimporting_identical_text_changes_nothing():
    first = import_seed()
    summary = import_paths([SEED])
    again = Cable.objects.get(refid="07LIMA3673")
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, 1)
    assert again.updated_at == first.updated_at
    assert not CableVersion.objects.exists()


def test_changed_text_updates_the_cable_and_keeps_the_old_text_as_a_version():
    import_records([bare(lima_text(), source="release-1.txt")])
    changed = lima_text().replace("MCKINLEY", "MCKINLEY\nCORRECTED COPY")
    summary = import_records([bare(changed, source="release-2.txt")])
    cable = Cable.objects.get(refid="07LIMA3673")
    version = cable.versions.get()
    assert summary.updated == 1
    assert (cable.raw, cable.source) == (changed, "release-2.txt")
    assert (version.raw, version.source) == (lima_text(), "release-1.txt")


def test_updated_cable_keeps_its_id_so_citations_stay_resolved():
    import_records([bare(lima_text()), bare(cited_cable_text())])
    cited = Cable.objects.get(refid="07LIMA3638")
    import_records([bare(cited_cable_text() + EDIT)])
    assert Reference.objects.get(target_refid="07LIMA3638").cited_id == cited.id


def test_update_replaces_recipients_tags_and_references_without_duplicates():
    import_records([bare(lima_text())])
    import_records([bare(lima_text().replace("TAGS: PGOV PREL PTER SNAR PE", "TAGS: PGOV PE"))])
    cable = Cable.objects.get(refid="07LIMA3673")
    assert [t.code for t in cable.tags.order_by("cabletag__position")] == ["PGOV", "PE"]
    assert cable.recipients.count() == 11
    assert cable.references.count() == 1


def test_duplicate_refids_in_one_batch_count_in_order_and_the_last_text_wins():
    text = lima_text()
    changed = text + EDIT
    summary = import_records([bare(text), bare(changed), bare(changed)])
    cable = Cable.objects.get()
    assert (summary.new, summary.updated, summary.unchanged) == (1, 1, 1)
    assert cable.raw == changed
    assert list(cable.versions.values_list("raw", flat=True)) == [text]
    assert cable.recipients.count() == 11


def test_rerunning_an_import_of_two_releases_of_a_cable_changes_nothing():
    release_1, release_2 = bare(lima_text(), "release-1.txt"), bare(lima_text() + EDIT, "r2.txt")
    import_records([release_1, release_2])
    summary = import_records([release_1, release_2])
    cable = Cable.objects.get()
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, 2)
    assert cable.source == "r2.txt"
    assert cable.versions.count() == 1


def test_an_earlier_release_imported_again_does_not_replace_the_newer_text():
    import_records([bare(lima_text(), "release-1.txt")])
    import_records([bare(lima_text() + EDIT, "release-2.txt")])
    summary = import_records([bare(lima_text(), "release-1.txt")])
    assert summary.unchanged == 1
    assert Cable.objects.get().source == "release-2.txt"


def test_search_index_has_one_row_per_imported_cable():
    import_records([bare(lima_text()), bare(cited_cable_text())])
    assert search_hits("narcotics") == {"07LIMA3673", "07LIMA3638"}


def test_search_index_follows_changed_text():
    import_records([bare(lima_text())])
    import_records([bare(lima_text().replace("MCKINLEY", "ZEPHYRINE MCKINLEY"))])
    assert search_hits("zephyrine") == {"07LIMA3673"}


def test_new_tags_get_their_kind_and_meaning_from_the_glossary():
    import_seed()
    tag = Tag.objects.get(code="PE")
    assert (tag.kind, tag.description) == (Tag.Kind.GEO, "Peru")


def test_origins_whose_names_slugify_alike_get_distinct_slugs():
    import_records([bare(lima_text())])
    other = with_serial(lima_text(), 1).replace("FM AMEMBASSY LIMA", "FM AMEMBASSY LIMA.")
    import_records(
        [RawRecord("x.txt", "file", 1, "raw", other, "", other, Metadata(origin="EMBASSY LIMA"))]
    )
    assert sorted(Origin.objects.values_list("slug", flat=True)) == [
        "embassy-lima",
        "embassy-lima-2",
    ]


# --- quarantine ----------------------------------------------------------------------------------


def test_truncated_cable_is_quarantined_with_its_raw_text_and_position():
    header_only = "".join(lima_text().splitlines(keepends=True)[:17])
    summary = import_records([bare(header_only, source="cut.txt")])
    rejected = RejectedRecord.objects.get()
    assert summary.rejected == 1
    assert (rejected.source, rejected.source_format, rejected.raw) == (
        "cut.txt",
        "raw",
        header_only,
    )
    assert rejected.error.startswith("cut.txt: file, line ")
    assert not Cable.objects.exists()


def test_a_bad_record_imported_again_is_counted_but_not_quarantined_twice():
    header_only = "".join(lima_text().splitlines(keepends=True)[:17])
    import_records([bare(header_only, source="cut.txt")])
    summary = import_records([bare(header_only, source="cut.txt")])
    assert summary.rejected == 1
    assert RejectedRecord.objects.count() == 1


def test_parse_error_line_counts_from_where_the_record_starts_in_its_file():
    header_only = "".join(lima_text().splitlines(keepends=True)[:17])
    summary = import_records([bare(header_only, line=100)])
    assert summary.rejections[0].line >= 100


def test_bad_record_from_the_reader_is_quarantined():
    bad = BadRecord(
        "dump.csv", "row 2", 116, "csv", '"2","2/25/1972 9:30"', "wrong number of fields"
    )
    summary = import_records([bad])
    rejected = RejectedRecord.objects.get()
    assert summary.rejections == [("dump.csv", "row 2", 116, "wrong number of fields")]
    assert (rejected.position, rejected.line, rejected.raw) == ("row 2", 116, bad.raw)


def test_text_with_nul_bytes_is_quarantined_not_written():
    text = lima_text().replace("SIPDIS", "SIP\x00DIS", 1)
    summary = import_records([bare(text)])
    assert summary.rejected == 1
    assert "\x00" not in RejectedRecord.objects.get().raw


def test_a_parser_crash_quarantines_only_that_record(monkeypatch):
    real = importing.parse_cable

    def crash_on_3638(header, body, metadata=None, *, warnings=()):
        if "LIMA 003638" in body:
            raise RuntimeError("extractor bug")
        return real(header, body, metadata, warnings=warnings)

    monkeypatch.setattr(importing, "parse_cable", crash_on_3638)
    summary = import_records([bare(cited_cable_text()), bare(lima_text())])
    assert (summary.new, summary.rejected) == (1, 1)
    assert summary.rejections[0].error == "RuntimeError: extractor bug"


def test_records_read_always_equal_the_sum_of_the_outcomes():
    header_only = "".join(lima_text().splitlines(keepends=True)[:17])
    records = [bare(lima_text()), bare(lima_text()), bare(header_only), bare(lima_text() + EDIT)]
    summary = import_records(records, batch_size=3)
    assert summary.records == 4
    assert (summary.new, summary.updated, summary.unchanged, summary.rejected) == (1, 1, 1, 1)


def test_retry_imports_the_corrected_text_and_resolves_the_record():
    import_records([bare(lima_text().replace("LIMA 003673", "LIMA"), source="cut.txt")])
    rejected = RejectedRecord.objects.get()
    rejected.raw = lima_text()
    rejected.save()
    cable = importing.retry_rejected(rejected)
    rejected.refresh_from_db()
    assert cable.refid == "07LIMA3673"
    assert (rejected.status, rejected.cable) == (RejectedRecord.Status.RESOLVED, cable)


def test_retry_of_still_broken_text_raises_and_leaves_the_record_pending():
    import_records([bare(lima_text().replace("LIMA 003673", "LIMA"))])
    rejected = RejectedRecord.objects.get()
    with pytest.raises(RetryError):
        importing.retry_rejected(rejected)
    rejected.refresh_from_db()
    assert rejected.status == RejectedRecord.Status.PENDING
    assert rejected.retried_at is not None


# --- dry runs, jobs, progress --------------------------------------------------------------------


def test_dry_run_writes_nothing_not_even_rejections():
    header_only = "".join(lima_text().splitlines(keepends=True)[:17])
    summary = import_records([bare(lima_text()), bare(header_only)], dry_run=True)
    assert (summary.new, summary.rejected) == (1, 1)
    assert not Cable.objects.exists()
    assert not RejectedRecord.objects.exists()


def test_dry_run_counts_like_a_real_run_across_batches():
    import_records([bare(cited_cable_text())])
    records = [bare(lima_text()), bare(lima_text()), bare(cited_cable_text() + EDIT)]
    summary = import_records(records, dry_run=True, batch_size=1)
    assert (summary.new, summary.updated, summary.unchanged) == (1, 1, 1)


def test_job_receives_the_counts_after_each_batch():
    job = ImportJob.objects.create()
    seen = []
    records = [bare(with_serial(lima_text(), serial)) for serial in (1, 2, 3)]
    import_records(records, batch_size=2, job=job, progress=lambda s: seen.append(s.records))
    job.refresh_from_db()
    assert seen == [2, 3]
    assert (job.done, job.new, job.new_refids) == (3, 3, ["07LIMA1", "07LIMA2", "07LIMA3"])


def test_rejected_records_point_at_their_job():
    job = ImportJob.objects.create()
    import_records([bare("")], job=job)
    assert job.rejections.count() == 1


def test_on_parsed_sees_every_cable_that_parsed():
    seen = []
    import_records([bare(lima_text()), bare("")], on_parsed=lambda rec, cable: seen.append(cable))
    assert [cable.refid for cable in seen] == ["07LIMA3673"]


def test_summary_rate_is_records_per_second():
    summary = ImportSummary(new=10, unchanged=10, elapsed=4.0)
    assert summary.rate == 5.0


# --- query counts --------------------------------------------------------------------------------


def batch_of(serials: range, updated: range, tag: str) -> list[RawRecord]:
    """New cables carrying one fresh tag, plus changed text for cables imported before."""
    text = lima_text().replace("TAGS: PGOV", f"TAGS: {tag} PGOV")
    return [bare(with_serial(text, s)) for s in serials] + [
        bare(with_serial(lima_text(), s) + EDIT) for s in updated
    ]


def test_queries_per_batch_do_not_grow_with_the_batch(django_assert_max_num_queries):
    import_records([bare(with_serial(lima_text(), s)) for s in range(20000, 20125)])
    with CaptureQueriesContext(connection) as small:
        import_records(batch_of(range(1, 51), range(20000, 20025), "KRUNA"), batch_size=1000)
    with django_assert_max_num_queries(len(small.captured_queries)):
        import_records(batch_of(range(51, 251), range(20025, 20125), "KRUNB"), batch_size=1000)
    assert Cable.objects.count() == 375
    assert CableVersion.objects.count() == 125
    assert Recipient.objects.count() == 375 * 11
    assert CableTag.objects.filter(tag__code__in=["KRUNA", "KRUNB"]).count() == 250


# --- parse workers -------------------------------------------------------------------------------


def split(text: str) -> RawRecord:
    """A record whose reader separated header and body, as the CSV and Scoop readers do."""
    header, body = split_cable(text)
    return RawRecord("dump.txt", "file", 1, "raw", text, header, body, Metadata())


def mixed_records() -> list[RawRecord | BadRecord]:
    """Cables, a truncated one from the middle of a file and a reader's bad row, interleaved."""
    header_only = "".join(lima_text().splitlines(keepends=True)[:17])
    bad = BadRecord("dump.csv", "row 2", 116, "csv", '"2"', "wrong number of fields")
    records: list[RawRecord | BadRecord] = [split(with_serial(lima_text(), s)) for s in (1, 2, 3)]
    records += [bare(header_only, source="cut.txt", line=100), bad]
    records += [split(with_serial(lima_text(), s)) for s in (4, 5, 6)]
    records.append(bare(with_serial(lima_text(), 7)))
    return records


@pytest.fixture
def workers_after_two_records(monkeypatch):
    monkeypatch.setattr(importing, "PARALLEL_AFTER", 2)


def test_parse_workers_keep_the_input_order(workers_after_two_records):
    summary = import_records(mixed_records(), batch_size=2, workers=2)
    assert summary.new_refids == [f"07LIMA{s}" for s in range(1, 8)]
    assert Cable.objects.count() == 7


def test_parse_workers_quarantine_like_one_process_with_the_line_in_the_file(
    workers_after_two_records,
):
    records = mixed_records()
    in_process = [importing._parse_one(record) for record in records[3:5]]
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

    monkeypatch.setattr(importing, "_start_pool", no_pool)
    summary = import_records(mixed_records(), batch_size=2, workers=2)
    assert (summary.new, summary.rejected) == (7, 2)


def test_connection_settings_are_put_back_after_an_import():
    query = "PRAGMA cache_size" if connection.vendor == "sqlite" else "SHOW gin_pending_list_limit"
    with connection.cursor() as cursor:
        cursor.execute(query)
        before = cursor.fetchone()[0]
        import_seed()
        cursor.execute(query)
        assert cursor.fetchone()[0] == before


def test_records_past_parallel_after_are_parsed_in_other_processes(
    workers_after_two_records, monkeypatch
):
    real = importing.parse_cable

    def noting_pid(header, body, metadata=None, *, warnings=()):
        return real(header, body, metadata, warnings=(*warnings, f"parsed by {os.getpid()}"))

    monkeypatch.setattr(importing, "parse_cable", noting_pid)
    import_records(mixed_records(), batch_size=2, workers=2)
    parsed_by = {note for c in Cable.objects.all() for note in c.warnings if "parsed by" in note}
    assert f"parsed by {os.getpid()}" in parsed_by
    assert len(parsed_by) > 1


def test_a_csv_row_without_its_reference_id_gets_one_derived_from_the_text(tmp_path):
    rows = (DATA / "cables_tiny.csv").read_bytes().split(b'"2","2/25/1972 9:30","72TEHRAN1164"')
    path = tmp_path / "cables.csv"
    path.write_bytes(rows[0] + b'"2","2/25/1972 9:30",""' + rows[1])
    summary = import_paths([path])
    assert summary.rejected == 0
    assert Cable.objects.filter(refid="72TEHRAN1164").exists()


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_new_cables_at_once_do_not_collide():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's shared-cache test database locks tables without waiting")
    records = [bare(lima_text()), bare(cited_cable_text())]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            import_records(records)
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Cable.objects.count() == 2
    assert Origin.objects.count() == 1
