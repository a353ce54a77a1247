"""The whole import flow in a real Chromium: log in, upload a zip, watch the job, open a cable."""

import io
import zipfile
from pathlib import Path

import pytest

from cables.models import Cable, ImportJob
from tests.browser import browser_marks, launch

ROOT = Path(__file__).resolve().parent.parent
HTML_FOLDER = ROOT / "sample/html/heuer_cablemap"
SEED = ROOT / "tests/data/seed.txt"
SCREENSHOTS = Path("/tmp")

pytestmark = browser_marks


@pytest.fixture
def browser_settings(settings, tmp_path) -> None:
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def page(live_server, browser_settings, transactional_db):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        yield page
        browser.close()


@pytest.fixture
def cables_zip(tmp_path) -> Path:
    path = tmp_path / "cables.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for html in sorted(HTML_FOLDER.rglob("*.html")):
            archive.write(html, html.relative_to(HTML_FOLDER.parent).as_posix())
        archive.write(SEED, "scoop/seed.txt")
    return path


def log_in(page, live_server, next_url: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", "archivist")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")


def test_a_staff_user_imports_a_zip_of_cables_from_the_browser(
    page, live_server, cables_zip, django_user_model
):
    django_user_model.objects.create_superuser("archivist", password="correct horse battery")
    log_in(page, live_server, "/admin/cables/cable/")
    page.click("text=Import cables")
    page.set_input_files("input[name=files]", str(cables_zip))
    page.screenshot(path=str(SCREENSHOTS / "admin_import_page.png"), full_page=True)
    page.click("input[name=_upload]")

    page.wait_for_selector(".import-job[data-status=done]")
    page.screenshot(path=str(SCREENSHOTS / "admin_job_page.png"), full_page=True)
    job = ImportJob.objects.get()
    assert page.inner_text("#job-status") == "done"
    assert job.new == len(list(HTML_FOLDER.rglob("*.html"))) + 1

    page.click("#job-new-cables a >> text=07LIMA3673")
    page.wait_for_load_state()
    assert "/cables/07LIMA3673/" in page.url
    assert "ONDCP DIRECTOR WALTERS" in page.content().upper()
    assert Cable.objects.filter(refid="07LIMA3673").exists()


def test_a_dangerous_zip_is_refused_on_the_form(page, live_server, tmp_path, django_user_model):
    django_user_model.objects.create_superuser("archivist", password="correct horse battery")
    evil = tmp_path / "evil.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../outside.txt", "x")
    evil.write_bytes(buffer.getvalue())
    log_in(page, live_server, "/admin/cables/cable/import/")
    page.set_input_files("input[name=files]", str(evil))
    page.click("input[name=_upload]")
    assert "path traversal" in page.inner_text(".errorlist")
    assert not ImportJob.objects.exists()
