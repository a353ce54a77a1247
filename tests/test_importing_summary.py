"""The figures of an import and its rejections as they are reported."""

from cables.importing import ImportObserver, ImportSummary, Rejection
from cables.importing.summary import NEW_REFIDS_KEPT, REJECTIONS_KEPT


def test_summary_rate_is_records_per_second():
    summary = ImportSummary(new=10, unchanged=10, elapsed=4.0)
    assert summary.rate == 5.0


def test_a_summary_before_any_time_has_passed_has_no_rate():
    assert ImportSummary(new=3).rate == 0.0


def test_records_are_every_outcome_counted():
    summary = ImportSummary(new=1, updated=2, unchanged=3, rejected=4)
    assert summary.records == 10


def test_the_summary_keeps_the_first_new_reference_ids_and_counts_them_all():
    summary = ImportSummary()
    for serial in range(NEW_REFIDS_KEPT + 5):
        summary.add_new(f"07LIMA{serial}")
    assert summary.new == NEW_REFIDS_KEPT + 5
    assert summary.new_refids == [f"07LIMA{serial}" for serial in range(NEW_REFIDS_KEPT)]


def test_the_summary_keeps_the_first_rejections_and_counts_them_all():
    summary = ImportSummary()
    for line in range(REJECTIONS_KEPT + 1):
        summary.add_rejection(Rejection("dump.csv", f"row {line}", line, "bad"))
    assert summary.rejected == REJECTIONS_KEPT + 1
    assert len(summary.rejections) == REJECTIONS_KEPT


def test_a_rejection_reads_as_source_position_line_and_error():
    assert str(Rejection("dump.csv", "row 2", 116, "cut short")) == (
        "dump.csv: row 2, line 116: cut short"
    )


def test_a_rejection_without_a_line_names_its_position_only():
    assert str(Rejection("pages.zip", "member a.html", None, "empty")) == (
        "pages.zip: member a.html: empty"
    )


def test_the_base_observer_files_rejections_under_no_job():
    assert ImportObserver().job is None
