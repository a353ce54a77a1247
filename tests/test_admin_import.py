"""The admin's "Import cables" page and job pages: permissions, every format, refusals, jobs."""

import gzip
import io
import tarfile
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cables import uploads
from cables.archives import Limits
from cables.models import Cable, ImportJob, RejectedRecord
from tests.stored import is_kept, nothing_stored, store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "sample"
IMPORT_URL = "/admin/cables/cable/import/"
LIMA_RAW = DATA / "import_07LIMA3673.txt"
SEED = DATA / "seed.txt"
TINY_CSV = DATA / "cables_tiny.csv"
HTML_PAGE = SAMPLE / "html/heuer_cablemap/cable/2010/01/10STATE284.html"
HTML_FOLDER = SAMPLE / "html/heuer_cablemap"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path) -> Path:
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # The manifest storage needs collectstatic, which tests do not run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return settings.UPLOAD_ROOT


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def post_files(client, *files, **fields):
    return client.post(IMPORT_URL, {"files": list(files), "format": "", **fields})


def zip_of(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.html")):
            archive.write(path, path.relative_to(folder.parent).as_posix())
    return buffer.getvalue()


def tar_gz_of(*paths: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in paths:
            archive.add(path, arcname=f"cables/{path.name}")
    return buffer.getvalue()


def html_refids(folder: Path) -> set[str]:
    return {path.stem for path in folder.rglob("*.html")}


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("created_at")


# Permissions


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_users_who_are_not_staff_are_sent_to_the_login_page(client, django_user_model):
    user = django_user_model.objects.create_user("reader", password="pw")
    client.force_login(user)
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_without_the_add_cable_permission_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403


def test_staff_without_the_add_cable_permission_cannot_post_an_upload(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(user)
    response = post_files(client, upload("lima.txt", LIMA_RAW.read_bytes()))
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_staff_who_may_add_but_not_change_cables_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user("adder", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_cable"))
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 403


def test_staff_with_the_add_and_change_cable_permissions_see_the_upload_form(
    client, django_user_model
):
    user = django_user_model.objects.create_user("archivist", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_cable", "change_cable"])
    )
    client.force_login(user)
    response = client.get(IMPORT_URL)
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content


def test_an_upload_without_the_csrf_token_is_refused(django_user_model):
    from django.test import Client

    user = django_user_model.objects.create_superuser("boss", password="pw")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = post_files(client, upload("lima.txt", LIMA_RAW.read_bytes()))
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_the_cable_list_links_to_the_import_page_for_importers(admin_client):
    response = admin_client.get(reverse("admin:cables_cable_changelist"))
    assert IMPORT_URL.encode() in response.content


# Each format


def test_a_raw_cable_upload_imports_the_cable(admin_client):
    response = post_files(admin_client, upload("07LIMA3673", LIMA_RAW.read_bytes()))
    job = latest_job()
    assert response.status_code == 302
    assert response.url == reverse("admin:cables_importjob_progress", args=[job.pk])
    assert Cable.objects.get(refid="07LIMA3673").origin.name == "Embassy Lima"


def test_a_scoop_page_upload_imports_its_cable(admin_client):
    post_files(admin_client, upload("seed.txt", SEED.read_bytes()))
    cable = Cable.objects.get(refid="07LIMA3673")
    assert cable.classification == "CONFIDENTIAL"


def test_a_cables_csv_upload_imports_its_rows(admin_client):
    post_files(admin_client, upload("cables.csv", TINY_CSV.read_bytes()))
    refids = set(Cable.objects.values_list("refid", flat=True))
    assert {"66BUENOSAIRES2481", "72TEHRAN1164", "78KABUL3619"} <= refids


def test_a_wikileaks_html_page_upload_imports_its_cable(admin_client):
    post_files(admin_client, upload("10STATE284.html", HTML_PAGE.read_bytes()))
    assert Cable.objects.filter(refid="10STATE284").exists()


def test_a_zip_of_html_pages_imports_every_cable(admin_client):
    post_files(admin_client, upload("cables.zip", zip_of(HTML_FOLDER)))
    assert set(Cable.objects.values_list("refid", flat=True)) == html_refids(HTML_FOLDER)


def test_a_tar_gz_upload_imports_every_cable_inside(admin_client):
    post_files(admin_client, upload("cables.tar.gz", tar_gz_of(LIMA_RAW, HTML_PAGE)))
    assert set(Cable.objects.values_list("refid", flat=True)) == {"07LIMA3673", "10STATE284"}


def test_a_gzipped_cable_upload_imports_the_cable(admin_client):
    post_files(admin_client, upload("lima.txt.gz", gzip.compress(LIMA_RAW.read_bytes())))
    assert Cable.objects.filter(refid="07LIMA3673").exists()


def test_several_files_in_one_upload_make_one_job(admin_client):
    post_files(
        admin_client,
        upload("lima.txt", LIMA_RAW.read_bytes()),
        upload("10STATE284.html", HTML_PAGE.read_bytes()),
    )
    job = latest_job()
    assert ImportJob.objects.count() == 1
    assert sorted(job.new_refids) == ["07LIMA3673", "10STATE284"]


def test_a_zip_named_as_text_is_still_read_as_a_zip(admin_client):
    post_files(admin_client, upload("notes.txt", zip_of(HTML_FOLDER)))
    assert latest_job().files[0]["kind"] == "zip"
    assert Cable.objects.count() == len(html_refids(HTML_FOLDER))


# Preview


def test_the_preview_writes_no_cable(admin_client):
    post_files(admin_client, upload("cables.zip", zip_of(HTML_FOLDER)), dry_run="on")
    assert not Cable.objects.exists()
    assert not RejectedRecord.objects.exists()


def test_the_preview_lists_the_cables_as_they_would_be_stored(admin_client):
    post_files(admin_client, upload("lima.txt", LIMA_RAW.read_bytes()), dry_run="on")
    job = latest_job()
    response = admin_client.get(reverse("admin:cables_importjob_progress", args=[job.pk]))
    assert job.preview[0]["refid"] == "07LIMA3673"
    assert job.preview[0]["origin"] == "Embassy Lima"
    assert job.preview[0]["date"] == "2007-11-20T13:37:00+00:00"
    assert len(job.preview[0]["recipients"]) == 11
    assert b"07LIMA3673" in response.content
    assert b"2007-11-20T13:37:00+00:00" in response.content


# Job pages


def test_the_job_page_summarises_a_finished_job_with_links_to_the_new_cables(admin_client):
    post_files(admin_client, upload("lima.txt", LIMA_RAW.read_bytes()))
    job = latest_job()
    response = admin_client.get(reverse("admin:cables_importjob_progress", args=[job.pk]))
    detail_url = reverse("cables:cable_detail", args=["07LIMA3673"])
    assert job.status == ImportJob.Status.DONE
    assert f'href="{detail_url}"'.encode() in response.content
    assert b'http-equiv="refresh"' not in response.content


def test_the_job_page_links_to_the_rejected_records_of_the_job(admin_client):
    post_files(
        admin_client,
        upload("lima.txt", LIMA_RAW.read_bytes()),
        upload("empty.txt", b"   \n"),
    )
    job = latest_job()
    response = admin_client.get(reverse("admin:cables_importjob_progress", args=[job.pk]))
    changelist = reverse("admin:cables_rejectedrecord_changelist")
    assert job.rejected == 1
    assert f"{changelist}?job__id__exact={job.pk}".encode() in response.content


def test_a_queued_job_page_refreshes_itself(admin_client):
    job = ImportJob.objects.create(files=[])
    response = admin_client.get(reverse("admin:cables_importjob_progress", args=[job.pk]))
    assert b'http-equiv="refresh"' in response.content


def test_the_progress_endpoint_reports_done_of_total_and_rejected(admin_client):
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING, total=200, done=50, rejected=3)
    response = admin_client.get(reverse("admin:cables_importjob_progress_json", args=[job.pk]))
    data = response.json()
    assert (data["done"], data["total"], data["percent"], data["rejected"]) == (50, 200, 25, 3)
    assert data["running"] is True


def test_the_upload_is_deleted_once_its_job_is_done(admin_client, upload_root):
    post_files(admin_client, upload("lima.txt", LIMA_RAW.read_bytes()))
    assert not is_kept(latest_job().files[0]["key"])
    assert nothing_stored()


def test_the_upload_is_kept_while_its_job_has_a_pending_rejection(admin_client, upload_root):
    post_files(admin_client, upload("lima.txt", LIMA_RAW.read_bytes()), upload("e.txt", b" \n"))
    assert all(is_kept(key) for key in latest_job().upload_keys())


def test_the_job_page_says_which_files_are_kept_and_why(admin_client, upload_root):
    post_files(admin_client, upload("lima.txt", LIMA_RAW.read_bytes()), upload("e.txt", b" \n"))
    job = latest_job()
    response = admin_client.get(reverse("admin:cables_importjob_progress", args=[job.pk]))
    kept = response.content.decode().split('id="job-kept-files"')[1]
    assert "e.txt (1 pending rejected record from it)" in kept
    assert str(upload_root) not in kept
    assert "1 pending rejected record" in kept


def test_resolving_the_last_rejection_of_a_job_deletes_its_upload(
    admin_client, upload_root, django_capture_on_commit_callbacks
):
    post_files(admin_client, upload("e.txt", b" \n"))
    record = latest_job().rejections.get()
    url = reverse("admin:cables_rejectedrecord_change", args=[record.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"raw": LIMA_RAW.read_text(), "_retry": "x"})
    record.refresh_from_db()
    assert record.status == RejectedRecord.Status.RESOLVED
    assert nothing_stored()


def test_deleting_the_last_rejection_of_a_job_deletes_its_upload(
    admin_client, upload_root, django_capture_on_commit_callbacks
):
    post_files(admin_client, upload("e.txt", b" \n"))
    record = latest_job().rejections.get()
    url = reverse("admin:cables_rejectedrecord_delete", args=[record.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"post": "yes"})
    assert not RejectedRecord.objects.exists()
    assert nothing_stored()


def test_deleting_a_job_deletes_the_uploads_it_kept(
    admin_client, upload_root, django_capture_on_commit_callbacks
):
    post_files(admin_client, upload("e.txt", b" \n"))
    job = latest_job()
    assert not nothing_stored()
    url = reverse("admin:cables_importjob_delete", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"post": "yes"})
    assert not ImportJob.objects.exists()
    assert nothing_stored()


def test_deleting_rejections_in_bulk_deletes_the_upload_once_none_is_left(
    admin_client, upload_root, django_capture_on_commit_callbacks
):
    post_files(admin_client, upload("e.txt", b" \n"), upload("f.txt", b"  \n"))
    first, second = latest_job().rejections.all()
    changelist = reverse("admin:cables_rejectedrecord_changelist")
    delete = {"action": "delete_selected", "post": "yes"}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {**delete, "_selected_action": [first.pk]})
    assert not nothing_stored()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {**delete, "_selected_action": [second.pk]})
    assert nothing_stored()


def test_retrying_a_job_keeps_a_rejection_the_operator_edited(admin_client, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"  \n")
    kept = store(empty, "kept/000/empty.txt")
    job = ImportJob.objects.create(
        status=ImportJob.Status.FAILED,
        files=[{"name": "empty.txt", "key": kept, "kind": "text", "size": 3}],
    )
    record = RejectedRecord.objects.create(
        source=kept, position="file", error="empty", raw="  \n", job=job
    )
    change = reverse("admin:cables_rejectedrecord_change", args=[record.pk])
    admin_client.post(change, {"raw": "hand-fixed text, not yet re-run"})
    admin_client.post(reverse("admin:cables_importjob_retry", args=[job.pk]))
    record.refresh_from_db()
    assert record.raw == "hand-fixed text, not yet re-run"


def running_job(minutes_ago: int) -> ImportJob:
    started = timezone.now() - timedelta(minutes=minutes_ago)
    job = ImportJob.objects.create(status=ImportJob.Status.RUNNING, started_at=started, done=7)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=started)  # no progress since
    job.refresh_from_db()
    return job


def test_a_job_running_past_the_threshold_is_shown_as_stalled_with_a_retry(admin_client):
    job = running_job(minutes_ago=60)
    response = admin_client.get(reverse("admin:cables_importjob_progress", args=[job.pk]))
    assert b"stalled?" in response.content
    assert reverse("admin:cables_importjob_retry", args=[job.pk]).encode() in response.content


def test_a_stalled_job_can_be_retried(admin_client, upload_root):
    kept = store(LIMA_RAW, "kept/000/lima.txt")
    job = running_job(minutes_ago=60)
    files = [{"name": "lima.txt", "key": kept, "kind": "text", "size": 1}]
    ImportJob.objects.filter(pk=job.pk).update(files=files)  # save() would count as progress
    admin_client.post(reverse("admin:cables_importjob_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert Cable.objects.filter(refid="07LIMA3673").exists()


def test_a_job_running_within_the_threshold_cannot_be_retried(admin_client):
    job = running_job(minutes_ago=1)
    response = admin_client.post(reverse("admin:cables_importjob_retry", args=[job.pk]))
    assert response.status_code == 403


def test_a_failed_job_says_why_and_offers_a_retry(admin_client):
    job = ImportJob.objects.create(status=ImportJob.Status.FAILED, error="OSError: disk full")
    response = admin_client.get(reverse("admin:cables_importjob_progress", args=[job.pk]))
    assert b"OSError: disk full" in response.content
    assert reverse("admin:cables_importjob_retry", args=[job.pk]).encode() in response.content


def test_retrying_a_failed_job_imports_its_kept_file(admin_client, upload_root):
    kept = store(LIMA_RAW, "kept/000/lima.txt")
    job = ImportJob.objects.create(
        status=ImportJob.Status.FAILED,
        error="OperationalError: database is locked",
        files=[{"name": "lima.txt", "key": kept, "kind": "text", "size": 1}],
    )
    admin_client.post(reverse("admin:cables_importjob_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.error == ""
    assert Cable.objects.filter(refid="07LIMA3673").exists()


def test_a_job_that_did_not_fail_cannot_be_retried(admin_client):
    job = ImportJob.objects.create(status=ImportJob.Status.DONE)
    response = admin_client.post(reverse("admin:cables_importjob_retry", args=[job.pk]))
    assert response.status_code == 403


def test_the_import_job_change_page_leads_to_its_progress_page(admin_client):
    job = ImportJob.objects.create()
    response = admin_client.get(reverse("admin:cables_importjob_change", args=[job.pk]))
    assert response.url == reverse("admin:cables_importjob_progress", args=[job.pk])


# Refusals: each with its message on the form, nothing stored, nothing queued


def malicious_zip(name: str, content: bytes = b"x") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def tar_gz_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        link = tarfile.TarInfo("cables/passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (malicious_zip("../../etc/cron.d/evil"), "path traversal"),
        (malicious_zip("/etc/passwd"), "absolute path"),
        (tar_gz_with_symlink(), "symbolic link"),
        (zip_bomb(), "compression ratio"),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, "binary file"),
        (b"BZh91AY&SY" + b"\x00" * 32, "bzip2"),
    ],
    ids=["traversal", "absolute", "symlink", "bomb", "binary", "bzip2"],
)
def test_a_dangerous_upload_is_refused_with_its_reason(admin_client, upload_root, content, message):
    response = post_files(admin_client, upload("evil.zip", content))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["files"])
    assert not ImportJob.objects.exists()
    assert not Cable.objects.exists()
    assert nothing_stored()


def test_an_archive_with_too_many_members_is_refused(admin_client, upload_root, monkeypatch):
    monkeypatch.setattr(uploads, "ARCHIVE_LIMITS", Limits(max_members=3))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(5):
            archive.writestr(f"cable{index}.txt", LIMA_RAW.read_bytes())
    response = post_files(admin_client, upload("many.zip", buffer.getvalue()))
    assert "more than 3 members" in str(response.context["form"].errors["files"])
    assert not ImportJob.objects.exists()


def test_one_bad_file_refuses_the_whole_upload(admin_client, upload_root):
    post_files(
        admin_client,
        upload("lima.txt", LIMA_RAW.read_bytes()),
        upload("evil.zip", malicious_zip("../evil")),
    )
    assert not ImportJob.objects.exists()
    assert nothing_stored()


def test_an_upload_over_the_size_limit_is_refused(admin_client, settings, upload_root):
    settings.CABLEARCHIVE_MAX_UPLOAD_BYTES = 1000
    response = post_files(admin_client, upload("lima.txt", LIMA_RAW.read_bytes()))
    assert "larger than the limit of 1,000 bytes" in str(
        response.context["form"].non_field_errors()
    )
    assert not ImportJob.objects.exists()
    assert nothing_stored()


def test_the_uploaded_text_is_shown_escaped(admin_client):
    job = ImportJob.objects.create(
        files=[
            {
                "name": "<script>alert(1)</script>.txt",
                "key": "nowhere/x.txt",
                "kind": "text",
                "size": 1,
            }
        ]
    )
    response = admin_client.get(reverse("admin:cables_importjob_progress", args=[job.pk]))
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content
