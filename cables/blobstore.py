"""A Django storage that keeps files in the database, in fixed-size rows.

Uploads go here when web processes and import workers share nothing but the database
(`CABLEARCHIVE_UPLOAD_STORAGE=database`, the default on PostgreSQL). A file is written one chunk
per row as it streams in and read back one chunk at a time, so memory holds one chunk whatever
the file's size, and the whole file appears at once when its transaction commits.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils.deconstruct import deconstructible

from .models import StoredUpload, StoredUploadChunk

CHUNK_BYTES = 2 * 1024 * 1024


@deconstructible(path="cables.blobstore.DatabaseStorage")
class DatabaseStorage(Storage):
    def __init__(self, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.chunk_bytes = chunk_bytes

    def _save(self, name: str, content: File) -> str:
        with transaction.atomic():
            upload = StoredUpload.objects.create(name=name)
            size = 0
            for index, chunk in enumerate(_fixed_chunks(content, self.chunk_bytes)):
                StoredUploadChunk.objects.create(upload=upload, index=index, data=chunk)
                size += len(chunk)
            StoredUpload.objects.filter(pk=upload.pk).update(size=size)
        return name

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("files in the database are written with save(), not opened to write")
        upload = self._get(name)
        reader = ChunkReader(upload.pk, upload.size, self.chunk_bytes)
        return File(io.BufferedReader(reader, buffer_size=self.chunk_bytes), name=name)

    def exists(self, name: str) -> bool:
        return StoredUpload.objects.filter(name=name).exists()

    def delete(self, name: str) -> None:
        with transaction.atomic():
            StoredUploadChunk.objects.filter(upload__name=name).delete()
            StoredUpload.objects.filter(name=name).delete()

    def size(self, name: str) -> int:
        return self._get(name).size

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        names = StoredUpload.objects.filter(name__startswith=prefix).values_list("name", flat=True)
        folders, files = set(), []
        for name in names:
            head, slash, _rest = name[len(prefix) :].partition("/")
            if slash:
                folders.add(head)
            else:
                files.append(head)
        return sorted(folders), sorted(files)

    def get_created_time(self, name: str) -> datetime:
        return self._get(name).created_at

    get_modified_time = get_accessed_time = get_created_time

    def url(self, name: str | None) -> str:
        raise NotImplementedError("uploads are never served")

    def _get(self, name: str) -> StoredUpload:
        try:
            return StoredUpload.objects.only("pk", "size", "created_at").get(name=name)
        except StoredUpload.DoesNotExist:
            raise FileNotFoundError(f"no stored upload named {name!r}") from None


class ChunkReader(io.RawIOBase):
    """A stored upload as a seekable binary stream, one chunk fetched at a time."""

    def __init__(self, upload_id: int, size: int, chunk_bytes: int) -> None:
        self.upload_id = upload_id
        self.length = size
        self.chunk_bytes = chunk_bytes
        self.position = 0
        self.cached: tuple[int, bytes] = (-1, b"")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self.position = base + offset
        return self.position

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.length:
            return 0
        index, start = divmod(self.position, self.chunk_bytes)
        chunk = self._chunk(index)[start : start + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)

    def _chunk(self, index: int) -> bytes:
        if self.cached[0] != index:
            data = StoredUploadChunk.objects.values_list("data", flat=True).get(
                upload_id=self.upload_id, index=index
            )
            self.cached = (index, bytes(data))
        return self.cached[1]


def _fixed_chunks(content: IO[bytes] | File, size: int) -> Any:
    """Slices of exactly `size` bytes but the last, whatever sizes the file's reads return."""
    if hasattr(content, "seek") and getattr(content, "seekable", lambda: True)():
        content.seek(0)
    pending = b""
    while True:
        data = content.read(size - len(pending))
        if not data:
            break
        pending += data
        if len(pending) == size:
            yield pending
            pending = b""
    if pending:
        yield pending
