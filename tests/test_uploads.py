"""Uploads: the size-limited streaming handler, content sniffing, storage and cleanup."""

import codecs
import gzip
import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload

from cablearchive.settings import upload_storage
from cables import uploads
from cables.models import StoredUpload
from cables.uploads import (
    SizeLimitedUploadHandler,
    UploadRejected,
    fetched,
    remove_stored,
    sniff,
    store_uploads,
    stored_name,
)
from tests.stored import nothing_stored

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SAMPLE = ROOT / "sample"
LIMA_RAW = DATA / "import_07LIMA3673.txt"
HTML_PAGE = SAMPLE / "html/heuer_cablemap/cable/2010/01/10STATE284.html"


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path) -> Path:
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    return settings.UPLOAD_ROOT


@pytest.fixture
def on_disk(settings):
    settings.STORAGES = {**settings.STORAGES, "uploads": upload_storage("filesystem", "")}


@pytest.fixture
def in_database(settings):
    settings.STORAGES = {**settings.STORAGES, "uploads": upload_storage("database", "")}


def written(tmp_path: Path, content: bytes, name: str = "upload.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def tarred(compress: bool) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if compress else "w") as archive:
        archive.add(LIMA_RAW, arcname="lima.txt")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (zipped("lima.txt", LIMA_RAW.read_bytes()), "zip"),
        (tarred(compress=True), "tar.gz"),
        (tarred(compress=False), "tar"),
        (gzip.compress(LIMA_RAW.read_bytes()), "gz"),
        (HTML_PAGE.read_bytes(), "html"),
        ((DATA / "cables_tiny.csv").read_bytes(), "csv"),
        ((DATA / "seed.txt").read_bytes(), "text"),
        (LIMA_RAW.read_bytes(), "text"),
    ],
    ids=["zip", "tar.gz", "tar", "gz", "html", "csv", "scoop", "raw"],
)
def test_the_kind_of_file_is_read_from_its_content(tmp_path, content, kind):
    assert sniff(written(tmp_path, content)) == kind


def test_a_binary_file_is_refused(tmp_path):
    with pytest.raises(UploadRejected, match="binary file"):
        sniff(written(tmp_path, b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100))


def test_an_unsupported_compressed_file_is_refused_by_name(tmp_path):
    with pytest.raises(UploadRejected, match="xz"):
        sniff(written(tmp_path, b"\xfd7zXZ\x00\x00\x04"))


def test_a_truncated_gzip_file_is_refused(tmp_path):
    with pytest.raises(UploadRejected, match="cannot be read"):
        sniff(written(tmp_path, gzip.compress(LIMA_RAW.read_bytes())[:30]))


@pytest.mark.parametrize(
    ("original", "kind", "stored"),
    [
        ("cables.zip", "zip", "cables.zip"),
        ("cables.txt", "zip", "cables.txt.zip"),
        ("../../etc/passwd", "text", "passwd.txt"),
        ("cables.csv", "csv", "cables.csv"),
        (".bashrc", "text", "bashrc.txt"),
        ("", "gz", "upload.gz"),
    ],
)
def test_the_stored_name_is_safe_and_ends_with_the_sniffed_suffix(original, kind, stored):
    assert stored_name(original, kind) == stored


def test_uploads_are_kept_in_the_uploads_storage_as_sent():
    (stored,) = store_uploads([SimpleUploadedFile("lima", LIMA_RAW.read_bytes())])
    with uploads.upload_storage().open(stored.key) as handle:
        assert handle.read() == LIMA_RAW.read_bytes()
    assert (stored.kind, stored.size) == ("text", LIMA_RAW.stat().st_size)
    assert stored.key.endswith("/000/lima.txt")


def test_on_a_file_system_uploads_are_private_files_under_the_upload_root(on_disk, upload_root):
    (stored,) = store_uploads([SimpleUploadedFile("lima", LIMA_RAW.read_bytes())])
    path = upload_root / stored.key
    assert path.read_bytes() == LIMA_RAW.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_in_the_database_uploads_leave_nothing_on_disk(in_database, upload_root):
    (stored,) = store_uploads([SimpleUploadedFile("lima", LIMA_RAW.read_bytes())])
    assert StoredUpload.objects.get().name == stored.key
    assert not upload_root.exists()


def test_a_job_reads_its_files_in_place_on_a_file_system(on_disk, upload_root):
    (stored,) = store_uploads([SimpleUploadedFile("lima", LIMA_RAW.read_bytes())])
    with fetched([stored.key]) as (path,):
        assert path == upload_root / stored.key


def test_a_job_reads_a_copy_of_files_kept_elsewhere_and_removes_it_after(in_database):
    (stored,) = store_uploads([SimpleUploadedFile("lima", LIMA_RAW.read_bytes())])
    with fetched([stored.key]) as (path,):
        assert path.read_bytes() == LIMA_RAW.read_bytes()
        assert path.name == "lima.txt"
    assert not path.parent.parent.exists()


def test_a_job_whose_file_is_gone_is_told_which_one():
    gone = pytest.raises(FileNotFoundError, match="the uploaded file is gone: x/000/a.txt")
    with gone, fetched(["x/000/a.txt"]):
        pass


def test_a_refused_upload_leaves_nothing_stored():
    files = [
        SimpleUploadedFile("lima.txt", LIMA_RAW.read_bytes()),
        SimpleUploadedFile("evil.zip", zipped("../evil.txt", b"x")),
    ]
    with pytest.raises(UploadRejected, match=r"^evil\.zip: .*path traversal"):
        store_uploads(files)
    assert nothing_stored()


def test_the_handler_stops_reading_once_past_the_limit():
    handler = SizeLimitedUploadHandler(limit=10)
    handler.new_file("files", "big.txt", "text/plain", 20)
    handler.receive_data_chunk(b"12345", 0)
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"123456", 5)
    assert handler.exceeded


def test_the_handler_refuses_a_declared_oversize_body_before_reading_it():
    handler = SizeLimitedUploadHandler(limit=10)
    handler.handle_raw_input(None, {}, 10 + uploads.MULTIPART_SLACK + 1, b"boundary")
    with pytest.raises(StopUpload):
        handler.new_file("files", "big.txt", "text/plain", 20)


def test_the_handler_accepts_an_upload_up_to_the_limit():
    handler = SizeLimitedUploadHandler(limit=10)
    handler.new_file("files", "ok.txt", "text/plain", 10)
    handler.receive_data_chunk(b"1234567890", 0)
    assert handler.file_complete(10).size == 10


def test_removing_a_stored_upload_leaves_nothing_stored():
    (stored,) = store_uploads([SimpleUploadedFile("lima.txt", LIMA_RAW.read_bytes())])
    remove_stored([stored.key])
    assert nothing_stored()


def test_removing_on_a_file_system_deletes_the_folders_left_empty(on_disk, upload_root):
    (stored,) = store_uploads([SimpleUploadedFile("lima.txt", LIMA_RAW.read_bytes())])
    remove_stored([stored.key])
    assert list(upload_root.iterdir()) == []


def test_removing_refuses_anything_outside_the_upload_root(on_disk, upload_root, tmp_path):
    outside = written(tmp_path, b"keep me", "precious.txt")
    upload_root.mkdir()
    with pytest.raises(SuspiciousFileOperation):
        remove_stored(["../precious.txt"])
    assert outside.exists()
    assert upload_root.exists()


def test_a_utf16_csv_and_a_csv_with_a_nul_in_one_row_are_uploads_not_binary(tmp_path):
    rows = (DATA / "cables_tiny.csv").read_bytes()
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(codecs.BOM_UTF16_LE + rows.decode("utf-8").encode("utf-16-le"))
    nul = tmp_path / "nul.csv"
    nul.write_bytes(rows.replace(b"TEHRAN", b"TEH\0RAN", 1))
    assert (sniff(utf16), sniff(nul)) == ("csv", "csv")
