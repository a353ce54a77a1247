"""The importing entry points: a whole import, its observer, a retry from the quarantine."""

from datetime import UTC, datetime

import pytest

from cables import importing
from cables.importing import ImportObserver, ImportSummary, RetryError, import_paths, import_records
from cables.models import Cable, ImportJob, RejectedRecord
from tests.lima_records import (
    DATA,
    EDIT,
    SEED,
    bare,
    header_only,
    lima_text,
    with_serial,
    without_refid,
)

pytestmark = pytest.mark.django_db


def import_seed() -> Cable:
    import_paths([SEED])
    return Cable.objects.get(refid="07LIMA3673")


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


def test_a_csv_row_without_its_reference_id_gets_one_derived_from_the_text(tmp_path):
    rows = (DATA / "cables_tiny.csv").read_bytes().split(b'"2","2/25/1972 9:30","72TEHRAN1164"')
    path = tmp_path / "cables.csv"
    path.write_bytes(rows[0] + b'"2","2/25/1972 9:30",""' + rows[1])
    summary = import_paths([path])
    assert summary.rejected == 0
    assert Cable.objects.filter(refid="72TEHRAN1164").exists()


def test_records_read_always_equal_the_sum_of_the_outcomes():
    records = [bare(lima_text()), bare(lima_text()), bare(header_only()), bare(lima_text() + EDIT)]
    summary = import_records(records, batch_size=3)
    assert summary.records == 4
    assert (summary.new, summary.updated, summary.unchanged, summary.rejected) == (1, 1, 1, 1)


# --- dry runs ------------------------------------------------------------------------------------


def test_dry_run_writes_nothing_not_even_rejections():
    summary = import_records([bare(lima_text()), bare(header_only())], dry_run=True)
    assert (summary.new, summary.rejected) == (1, 1)
    assert not Cable.objects.exists()
    assert not RejectedRecord.objects.exists()


# --- the observer --------------------------------------------------------------------------------


class Recorder(ImportObserver):
    """Notes each call with the figures of the moment (the summary changes as the import runs)."""

    def __init__(self, job: ImportJob | None = None) -> None:
        self.job = job
        self.calls: list[tuple] = []

    def parsed(self, record, cable):
        self.calls.append(("parsed", cable.refid))

    def rejected(self, record, rejection):
        quarantined = RejectedRecord.objects.filter(source=record.source).exists()
        self.calls.append(("rejected", record.source, rejection.line, quarantined))

    def progress(self, summary):
        self.calls.append(("progress", summary.records, summary.new, summary.rejected))

    def finished(self, summary):
        self.calls.append(("finished", summary.records, summary.new, summary.rejected))


def three_cables_and_a_cut_one():
    cables = [bare(with_serial(lima_text(), serial)) for serial in (1, 2, 3)]
    return [cables[0], bare(header_only(), source="cut.txt", line=40), *cables[1:]]


def test_the_observer_hears_each_cable_rejection_batch_and_the_end_in_order():
    recorder = Recorder()
    import_records(three_cables_and_a_cut_one(), batch_size=2, observer=recorder)
    assert [call[:2] for call in recorder.calls] == [
        ("parsed", "07LIMA1"),
        ("rejected", "cut.txt"),
        ("progress", 2),
        ("parsed", "07LIMA2"),
        ("parsed", "07LIMA3"),
        ("progress", 4),
        ("finished", 4),
    ]


def test_the_observer_sees_the_figures_as_they_stand_after_each_batch():
    recorder = Recorder()
    import_records(three_cables_and_a_cut_one(), batch_size=2, observer=recorder)
    figures = [call for call in recorder.calls if call[0] in ("progress", "finished")]
    assert figures == [("progress", 2, 1, 1), ("progress", 4, 3, 1), ("finished", 4, 3, 1)]


def test_the_observer_hears_a_rejection_once_it_is_quarantined_with_its_line():
    recorder = Recorder()
    import_records(three_cables_and_a_cut_one(), batch_size=2, observer=recorder)
    (rejected,) = [call for call in recorder.calls if call[0] == "rejected"]
    line, quarantined = rejected[2:]
    assert line >= 40
    assert quarantined is True


def test_the_observer_finishes_with_the_summary_the_import_returns():
    seen: list[ImportSummary] = []

    class Last(ImportObserver):
        def finished(self, summary):
            seen.append(summary)

    summary = import_records([bare(lima_text())], observer=Last())
    assert seen == [summary]
    assert seen[0].elapsed > 0


def test_a_dry_run_observer_hears_every_cable_that_parsed():
    recorder = Recorder()
    import_records([bare(lima_text()), bare("")], dry_run=True, observer=recorder)
    assert [call[1] for call in recorder.calls if call[0] == "parsed"] == ["07LIMA3673"]


def test_rejected_records_are_filed_under_the_observers_job():
    job = ImportJob.objects.create()
    import_records([bare("")], observer=Recorder(job))
    assert job.rejections.count() == 1


def test_without_a_job_rejected_records_belong_to_none():
    import_records([bare("")], observer=Recorder())
    assert RejectedRecord.objects.get().job is None


# --- retries from the quarantine -----------------------------------------------------------------


def test_retry_imports_the_corrected_text_and_resolves_the_record():
    import_records([bare(without_refid(lima_text()), source="cut.txt")])
    rejected = RejectedRecord.objects.get()
    rejected.raw = lima_text()
    rejected.save()
    cable = importing.retry_rejected(rejected)
    rejected.refresh_from_db()
    assert cable.refid == "07LIMA3673"
    assert (rejected.status, rejected.cable) == (RejectedRecord.Status.RESOLVED, cable)


def test_retry_of_still_broken_text_raises_and_leaves_the_record_pending():
    import_records([bare(without_refid(lima_text()))])
    rejected = RejectedRecord.objects.get()
    with pytest.raises(RetryError):
        importing.retry_rejected(rejected)
    rejected.refresh_from_db()
    assert rejected.status == RejectedRecord.Status.PENDING
    assert rejected.retried_at is not None


def test_retry_of_a_resolved_record_is_refused():
    import_records([bare(without_refid(lima_text()))])
    rejected = RejectedRecord.objects.get()
    rejected.raw = lima_text()
    importing.retry_rejected(rejected)
    with pytest.raises(RetryError, match="already imported"):
        importing.retry_rejected(rejected)
