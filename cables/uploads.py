"""Uploaded files: streamed to disk under a size limit, sniffed, stored outside anything served.

The admin's import page is the only caller; the import itself runs later in `cables.tasks`.
"""

from __future__ import annotations

import gzip
import secrets
import shutil
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.move import file_move_safe
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
    path: Path
    kind: str  # "zip", "tar.gz", "tar", "gz", "html", "csv" or "text"
    size: int

    def as_json(self) -> dict[str, str | int]:
        return {"name": self.name, "path": str(self.path), "kind": self.kind, "size": self.size}


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


def new_upload_dir() -> Path:
    root = Path(settings.UPLOAD_ROOT)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = root / f"{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    folder.mkdir(mode=0o700)
    return folder


def store_uploads(files: Iterable[UploadedFile]) -> list[StoredFile]:
    """Move each upload into a fresh folder under UPLOAD_ROOT, sniffed and checked.

    Any refusal removes everything stored so far, so a refused form leaves nothing behind.
    """
    folder = new_upload_dir()
    try:
        return [_store_one(upload, folder, index) for index, upload in enumerate(files)]
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _store_one(upload: UploadedFile, folder: Path, index: int) -> StoredFile:
    name = upload.name or "upload"
    target_dir = folder / f"{index:03d}"
    target_dir.mkdir(mode=0o700)
    temporary = target_dir / "incoming"
    _save(upload, temporary)
    try:
        kind = sniff(temporary)
    except UploadRejected as exc:
        raise UploadRejected(f"{name}: {exc}") from exc
    target = target_dir / stored_name(name, kind)
    temporary.rename(target)
    if kind in ARCHIVE_KINDS:
        try:
            check_archive(target, ARCHIVE_LIMITS)
        except ArchiveRejected as exc:
            reason = str(exc).removeprefix(f"{target.name}: ")
            raise UploadRejected(f"{name}: {reason}") from exc
    return StoredFile(name=name, path=target, kind=kind, size=target.stat().st_size)


def _save(upload: UploadedFile, target: Path) -> None:
    if hasattr(upload, "temporary_file_path"):
        file_move_safe(upload.temporary_file_path(), str(target))
        return
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


def remove_stored(paths: Iterable[str | Path]) -> None:
    """Delete a job's upload folder; refuses anything outside UPLOAD_ROOT."""
    root = Path(settings.UPLOAD_ROOT).resolve()
    for path in paths:
        folder = _job_folder(Path(path).resolve(), root)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _job_folder(path: Path, root: Path) -> Path | None:
    if not path.is_relative_to(root) or path == root:
        return None
    return root / path.relative_to(root).parts[0]
