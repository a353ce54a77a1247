"""Writing a batch: stored state and re-imports, versions, related rows, references, quarantine."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cables.importing import import_paths, import_records
from cables.models import (
    Cable,
    CableTag,
    CableVersion,
    Origin,
    Recipient,
    Reference,
    RejectedRecord,
    Tag,
)
from cables.parser.types import Metadata
from cables.readers import BadRecord, RawRecord
from tests.lima_records import (
    EDIT,
    SEED,
    bare,
    cited_cable_text,
    header_only,
    lima_text,
    with_serial,
)

pytestmark = pytest.mark.django_db


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


# --- references ----------------------------------------------------------------------------------


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


def test_the_same_cable_as_a_bare_file_after_its_scoop_page_is_unchanged():
    import_seed()
    summary = import_records([bare(lima_text(), source="lima.txt")])
    assert summary.unchanged == 1
    assert Cable.objects.get().source_format == "scoop"


def test_a_format_without_the_dump_id_keeps_the_one_already_stored():
    import_seed()
    import_records([bare(lima_text() + EDIT, source="lima.txt")])
    cable = Cable.objects.get()
    assert cable.source_format == "raw"
    assert cable.dump_id == 130835


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


def test_dry_run_counts_like_a_real_run_across_batches():
    import_records([bare(cited_cable_text())])
    records = [bare(lima_text()), bare(lima_text()), bare(cited_cable_text() + EDIT)]
    summary = import_records(records, dry_run=True, batch_size=1)
    assert (summary.new, summary.updated, summary.unchanged) == (1, 1, 1)


# --- search index, tags, origins -----------------------------------------------------------------


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
    summary = import_records([bare(header_only(), source="cut.txt")])
    rejected = RejectedRecord.objects.get()
    assert summary.rejected == 1
    assert (rejected.source, rejected.source_format, rejected.raw) == (
        "cut.txt",
        "raw",
        header_only(),
    )
    assert rejected.error.startswith("cut.txt: file, line ")
    assert not Cable.objects.exists()


def test_a_bad_record_imported_again_is_counted_but_not_quarantined_twice():
    import_records([bare(header_only(), source="cut.txt")])
    summary = import_records([bare(header_only(), source="cut.txt")])
    assert summary.rejected == 1
    assert RejectedRecord.objects.count() == 1


def test_bad_record_from_the_reader_is_quarantined():
    bad = BadRecord(
        "dump.csv", "row 2", 116, "csv", '"2","2/25/1972 9:30"', "wrong number of fields"
    )
    summary = import_records([bad])
    rejected = RejectedRecord.objects.get()
    assert summary.rejections == [("dump.csv", "row 2", 116, "wrong number of fields")]
    assert (rejected.position, rejected.line, rejected.raw) == ("row 2", 116, bad.raw)


def test_text_with_nul_bytes_is_quarantined_without_them():
    text = lima_text().replace("SIPDIS", "SIP\x00DIS", 1)
    summary = import_records([bare(text)])
    assert summary.rejected == 1
    assert "\x00" not in RejectedRecord.objects.get().raw


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


# --- concurrent imports --------------------------------------------------------------------------


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
