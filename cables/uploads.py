"""Uploaded files: streamed to local disk under a size limit, sniffed and checked there, then
kept in the "uploads" storage (a folder, the database, or any Django storage) for the import job.

The admin's import page stores them; the job, in `cables.tasks`, fetches them wherever it runs.
"""

from __future__ import annotations

import gzip
import os
import secrets
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.utils import timezone
from django.utils.text import get_valid_filename

from .archives import DEFAULT_LIMITS, ArchiveRejected, check_archive
from .readers.sniff import head_text, looks_binary, sniff_format, text_encoding

ARCHIVE_LIMITS = DEFAULT_LIMITS
SNIFF_BYTES = 8192
# Multipart boundaries and field headers ride on top of the files themselves.
MULTIPART_SLACK = 1024 * 1024
COPY_BYTES = 1024 * 1024

ARCHIVE_KINDS = {"zip": ".zip", "tar.gz": ".tar.gz", "tar": ".tar", "gz": ".gz"}
TEXT_KINDS = {"html": ".html", "csv": ".csv", "text": ".txt"}
REFUSED_MAGIC = {
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"7z\xbc\xaf\x27\x1c": "7-Zip",
    b"Rar!": "RAR",
    b"%PDF": "PDF",
}


class UploadRejected(Exception):
    """An upload refused before anything was queued; the message is shown on the form."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    name: str  # as the browser sent it, for display only
    key: str  # its name in the uploads storage
    kind: str  # "zip", "tar.gz", "tar", "gz", "html", "csv" or "text"
    size: int

    def as_json(self) -> dict[str, str | int]:
        return {"name": self.name, "key": self.key, "kind": self.kind, "size": self.size}


def max_upload_bytes() -> int:
    return int(settings.CABLEARCHIVE_MAX_UPLOAD_BYTES)


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Writes every file to a temporary file and stops reading once the request passes the limit."""

    def __init__(self, request=None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes() if limit is None else limit
        self.received = 0
        self.exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # Refuse a declared oversize body before writing any of it to disk.
        if content_length and content_length > self.limit + MULTIPART_SLACK:
            self.exceeded = True

    def new_file(self, *args, **kwargs) -> None:
        if self.exceeded:
            raise StopUpload(connection_reset=False)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


def too_large_message(limit: int | None = None) -> str:
    limit = max_upload_bytes() if limit is None else limit
    return f"The upload is larger than the limit of {limit:,} bytes; nothing was stored."


def sniff(path: Path) -> str:
    """The kind of file by its first bytes, whatever its name says."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "tar.gz" if _is_tar(_gunzip_head(path)) else "gz"
    if _is_tar(head):
        return "tar"
    for magic, label in REFUSED_MAGIC.items():
        if head.startswith(magic):
            raise UploadRejected(f"it is a {label} file; upload raw text, CSV, HTML, .zip or .gz")
    # The readers' own sniffing: UTF-16 and a NUL in one CSV row are text the import can read.
    encoding, bom = text_encoding(head)
    text = head_text(head, encoding, bom)
    found = sniff_format(text)
    if found is None and looks_binary(text):
        raise UploadRejected("it is a binary file, not cable text or a supported archive")
    return found if found in ("csv", "html") else "text"


def _is_tar(head: bytes) -> bool:
    return head[257:262] == b"ustar"


def _gunzip_head(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read(512)
    except (OSError, EOFError, zlib.error) as exc:
        raise UploadRejected(f"it looks like gzip but cannot be read: {exc}") from exc


def stored_name(original: str, kind: str) -> str:
    suffix = ARCHIVE_KINDS.get(kind) or TEXT_KINDS[kind]
    name = get_valid_filename(Path(original).name) if original.strip() else ""
    name = name.lstrip(".") or "upload"
    return name if name.lower().endswith(suffix) else name + suffix


class UploadFolderStorage(FileSystemStorage):
    """Uploads under UPLOAD_ROOT, read from the settings each time so a test can move it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(self._location or settings.UPLOAD_ROOT)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def upload_storage() -> Storage:
    return storages["uploads"]


def store_uploads(files: Iterable[UploadedFile]) -> list[StoredFile]:
    """Check each upload on local disk, then save it in the uploads storage under a fresh folder.

    Any refusal removes everything stored so far, so a refused form leaves nothing behind.
    """
    folder = f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    stored: list[StoredFile] = []
    try:
        for index, upload in enumerate(files):
            stored.append(_store_one(upload, f"{folder}/{index:03d}"))
    except BaseException:
        remove_stored(item.key for item in stored)
        raise
    return stored


def _store_one(upload: UploadedFile, folder: str) -> StoredFile:
    name = upload.name or "upload"
    with _local_copy(upload) as local:
        try:
            kind = sniff(local)
        except UploadRejected as exc:
            raise UploadRejected(f"{name}: {exc}") from exc
        if kind in ARCHIVE_KINDS:
            try:
                check_archive(local, ARCHIVE_LIMITS)
            except ArchiveRejected as exc:
                reason = str(exc).removeprefix(f"{local.name}: ")
                raise UploadRejected(f"{name}: {reason}") from exc
        size = local.stat().st_size
        with local.open("rb") as handle:
            key = upload_storage().save(f"{folder}/{stored_name(name, kind)}", _LocalFile(handle))
    return StoredFile(name=name, key=key, kind=kind, size=size)


class _LocalFile(File):
    """A checked upload on local disk: a file-system storage moves it instead of copying it."""

    def temporary_file_path(self) -> str:
        return str(self.file.name)


@contextmanager
def _local_copy(upload: UploadedFile) -> Iterator[Path]:
    if hasattr(upload, "temporary_file_path"):
        path = Path(upload.temporary_file_path())
    else:
        with tempfile.NamedTemporaryFile(
            dir=settings.FILE_UPLOAD_TEMP_DIR, prefix="upload-", delete=False
        ) as out:
            for chunk in upload.chunks():
                out.write(chunk)
        path = Path(out.name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


@contextmanager
def fetched(keys: Sequence[str]) -> Iterator[list[Path]]:
    """The stored uploads as local files, for the readers: in place on a file system, else copied
    into a temporary folder that is removed afterwards."""
    storage = upload_storage()
    missing = [key for key in keys if not storage.exists(key)]
    if missing:
        raise FileNotFoundError("the uploaded file is gone: " + ", ".join(missing))
    try:
        in_place = [Path(storage.path(key)) for key in keys]
    except NotImplementedError:
        pass
    else:
        yield in_place
        return
    with tempfile.TemporaryDirectory(dir=settings.FILE_UPLOAD_TEMP_DIR, prefix="job-") as tmp:
        paths = []
        for index, key in enumerate(keys):
            target = Path(tmp) / f"{index:03d}" / PurePosixPath(key).name
            target.parent.mkdir()
            with storage.open(key) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, COPY_BYTES)
            paths.append(target)
        yield paths


def kept(keys: Iterable[str]) -> list[str]:
    """Those of `keys` still in the uploads storage."""
    storage = upload_storage()
    return [key for key in keys if key and storage.exists(key)]


def remove_stored(keys: Iterable[str]) -> None:
    """Delete stored uploads by key, and on a file system the folders they leave empty."""
    storage = upload_storage()
    for key in keys:
        if not key:
            continue
        storage.delete(key)
        _remove_empty_folders(storage, key)


def _remove_empty_folders(storage: Storage, key: str) -> None:
    parent = PurePosixPath(key).parent
    while str(parent) not in ("", "."):
        try:
            Path(storage.path(str(parent))).rmdir()
        except (NotImplementedError, OSError):
            return
        parent = parent.parent
