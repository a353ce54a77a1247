"""Members of .zip, .tar, .tar.gz and .gz archives as binary streams; malicious archives refused.

Nothing is extracted to disk. Names, member types, member counts and declared sizes are checked
before a member is read, and every member stream counts what it really produces, because headers
can lie. Archives inside archives are not opened here: the reader reports such a member as bad.
Pure Python, no Django.
"""

from __future__ import annotations

import gzip
import io
import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_MIB = 1024 * 1024
_RATIO_FLOOR = _MIB  # below this output size a high ratio is normal (padding, blank lines)
_STREAM_BUFFER = _MIB
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class Limits:
    max_members: int = 500_000
    max_total_bytes: int = 8 * 1024 * _MIB  # uncompressed, over the whole archive
    max_ratio: float = 100.0  # uncompressed / compressed, per member (per stream for gzip)
    max_record_bytes: int = 5 * _MIB


DEFAULT_LIMITS = Limits()


class ArchiveRejected(ValueError):
    """An archive refused as malicious or beyond the limits; the message says why."""


def archive_kind(head: bytes) -> str | None:
    """ "zip", "gzip" or "tar" from the first bytes of a file (at least 262 for tar), else None."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head[257:262] == b"ustar":
        return "tar"
    return None


def check_archive(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise ArchiveRejected if the archive at `path` is unsafe; plain files pass.

    A .tar.gz is decompressed once to walk its headers (without keeping anything), so that a bad
    member near the end refuses the archive before any of it is imported.
    """
    path = Path(path)
    with path.open("rb") as file:
        kind = archive_kind(file.read(512))
        file.seek(0)
        try:
            if kind == "zip":
                with zipfile.ZipFile(file) as archive:
                    _check_zip(archive.infolist(), path.name, limits)
            elif kind == "gzip":
                _check_gzip_trailer(file, path.name, limits)
                file.seek(0)
                if _gzip_holds_tar(file):
                    file.seek(0)
                    for _ in _tar_members(file, path.name, limits, compressed=True, read=False):
                        pass
            elif kind == "tar":
                for _ in _tar_members(file, path.name, limits, compressed=False, read=False):
                    pass
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
            raise ArchiveRejected(f"{path.name}: corrupt archive: {exc}") from exc


def iter_members(
    file: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[str, BinaryIO]]:
    """Yield (member name, binary stream) for each regular file of the archive open in `file`.

    `file` may be a pipe for gzip and tar; zip needs a seekable file. A single-file .gz yields one
    member named after the archive without its suffix. Streams are only valid until the next
    member is requested. Raises ArchiveRejected (also part-way, when a stream overruns a limit).
    """
    head = _peek(file, 512)
    kind = archive_kind(head)
    if kind == "zip":
        yield from _zip_members(file, name, limits)
    elif kind == "tar":
        yield from _tar_members(file, name, limits, compressed=False, read=True)
    elif kind == "gzip":
        yield from _gzip_members(file, name, limits)
    else:
        raise ArchiveRejected(f"{name}: not a zip, tar or gzip archive")


def _peek(file: BinaryIO, size: int) -> bytes:
    if file.seekable():
        start = file.tell()
        head = file.read(size)
        file.seek(start)
        return head
    if isinstance(file, io.BufferedReader):
        return file.peek(size)[:size]
    raise ArchiveRejected("cannot inspect a stream that is neither seekable nor buffered")


def _check_name(name: str, archive: str) -> None:
    normal = name.replace("\\", "/")
    if normal.startswith("/") or _DRIVE.match(normal):
        raise ArchiveRejected(f"{archive}: member {name!r} has an absolute path")
    if ".." in normal.split("/"):
        raise ArchiveRejected(f"{archive}: member {name!r} escapes the archive (path traversal)")


def _check_ratio(name: str, archive: str, size: int, compressed: int, limits: Limits) -> None:
    if size > _RATIO_FLOOR and size > limits.max_ratio * max(compressed, 1):
        raise ArchiveRejected(
            f"{archive}: member {name!r} declares a compression ratio of "
            f"{size / max(compressed, 1):.0f}:1, over the limit of {limits.max_ratio:.0f}:1 "
            "(zip bomb?)"
        )


def _check_total(total: int, archive: str, limits: Limits) -> None:
    if total > limits.max_total_bytes:
        raise ArchiveRejected(
            f"{archive}: declared uncompressed size exceeds the limit of "
            f"{limits.max_total_bytes} bytes"
        )


def _check_count(count: int, archive: str, limits: Limits) -> None:
    if count > limits.max_members:
        raise ArchiveRejected(f"{archive}: more than {limits.max_members} members")


def _check_zip(infos: list[zipfile.ZipInfo], archive: str, limits: Limits) -> None:
    _check_count(len(infos), archive, limits)
    total = 0
    for info in infos:
        _check_name(info.filename, archive)
        mode = info.external_attr >> 16
        if mode and (mode & 0o170000) not in (0, 0o100000, 0o040000):
            raise ArchiveRejected(f"{archive}: member {info.filename!r} is a link or special file")
        if info.flag_bits & 0x1:
            raise ArchiveRejected(f"{archive}: member {info.filename!r} is encrypted")
        _check_ratio(info.filename, archive, info.file_size, info.compress_size, limits)
        total += info.file_size
    _check_total(total, archive, limits)


def _check_tar_member(info: tarfile.TarInfo, archive: str) -> None:
    _check_name(info.name, archive)
    if info.issym():
        raise ArchiveRejected(f"{archive}: member {info.name!r} is a symbolic link")
    if info.islnk():
        raise ArchiveRejected(f"{archive}: member {info.name!r} is a hard link")
    if not (info.isreg() or info.isdir()):
        raise ArchiveRejected(f"{archive}: member {info.name!r} is a device or special file")


def _check_gzip_trailer(file: BinaryIO, archive: str, limits: Limits) -> None:
    # ISIZE is the last member's size modulo 2**32: a hint only; reading counts the real bytes.
    file.seek(0, io.SEEK_END)
    compressed = file.tell()
    if compressed < 18:
        raise ArchiveRejected(f"{archive}: corrupt archive: gzip file too short")
    file.seek(-4, io.SEEK_END)
    (declared,) = struct.unpack("<I", file.read(4))
    _check_total(declared, archive, limits)
    _check_ratio(archive, archive, declared, compressed, limits)


def _gzip_holds_tar(file: BinaryIO) -> bool:
    with gzip.GzipFile(fileobj=file, mode="rb") as inner:
        return archive_kind(inner.read(512)) == "tar"


class _Budget:
    """Uncompressed bytes produced so far by one archive, against its total limit."""

    def __init__(self, archive: str, limits: Limits) -> None:
        self.archive = archive
        self.limits = limits
        self.total = 0

    def spend(self, size: int) -> None:
        self.total += size
        if self.total > self.limits.max_total_bytes:
            raise ArchiveRejected(
                f"{self.archive}: uncompressed data exceeds the limit of "
                f"{self.limits.max_total_bytes} bytes (found while reading)"
            )


class _Counting(io.RawIOBase):
    """Counts the compressed bytes a decompressor has consumed."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


class _Guarded(io.RawIOBase):
    """A member stream that raises ArchiveRejected as soon as its output breaks a limit."""

    def __init__(
        self,
        inner: BinaryIO,
        name: str,
        budget: _Budget,
        *,
        declared: int | None,
        compressed: Callable[[], int] | None,
    ) -> None:
        self._inner = inner
        self._name = name
        self._budget = budget
        self._declared = declared
        self._compressed = compressed
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(buffer))
        except (zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, EOFError) as exc:
            # zipfile stops at the declared size and then fails the CRC: a lying header.
            raise ArchiveRejected(
                f"{self._budget.archive}: member {self._name!r} is corrupt or does not match "
                f"its header ({exc})"
            ) from exc
        size = len(data)
        buffer[:size] = data
        self.count += size
        self._budget.spend(size)
        self._check()
        return size

    def _check(self) -> None:
        archive, limits = self._budget.archive, self._budget.limits
        if self._declared is not None and self.count > self._declared:
            raise ArchiveRejected(
                f"{archive}: member {self._name!r} produced more than the {self._declared} "
                "bytes its header declares (lying header, zip bomb?)"
            )
        if self._compressed is not None and self.count > _RATIO_FLOOR:
            consumed = max(self._compressed(), 1)
            if self.count > limits.max_ratio * consumed:
                raise ArchiveRejected(
                    f"{archive}: member {self._name!r} expanded beyond a compression ratio of "
                    f"{limits.max_ratio:.0f}:1 while reading (zip bomb?)"
                )


def _buffered(raw: io.RawIOBase) -> BinaryIO:
    return io.BufferedReader(raw, buffer_size=_STREAM_BUFFER)  # type: ignore[return-value]


def _zip_members(file: BinaryIO, archive: str, limits: Limits) -> Iterator[tuple[str, BinaryIO]]:
    if not file.seekable():
        raise ArchiveRejected(f"{archive}: a zip archive cannot be read from a pipe; pass a file")
    budget = _Budget(archive, limits)
    with zipfile.ZipFile(file) as zipped:
        infos = zipped.infolist()
        _check_zip(infos, archive, limits)
        for info in infos:
            if info.is_dir():
                continue
            with zipped.open(info) as member:
                guarded = _Guarded(
                    member,  # type: ignore[arg-type]
                    info.filename,
                    budget,
                    declared=info.file_size,
                    compressed=lambda info=info: info.compress_size,
                )
                yield info.filename, _buffered(guarded)


def _tar_members(
    file: BinaryIO, archive: str, limits: Limits, *, compressed: bool, read: bool
) -> Iterator[tuple[str, BinaryIO]]:
    budget = _Budget(archive, limits)
    source: BinaryIO = file
    if compressed:
        counting = _Counting(file)
        unzipped = gzip.GzipFile(fileobj=_buffered(counting), mode="rb")
        source = _buffered(
            _Guarded(unzipped, archive, budget, declared=None, compressed=lambda: counting.count)
        )
    declared_total = 0
    count = 0
    with tarfile.open(fileobj=source, mode="r|") as tar:
        # next() rather than iteration, so the member list can be dropped as we go.
        while (info := tar.next()) is not None:
            tar.members.clear()
            count += 1
            _check_count(count, archive, limits)
            _check_tar_member(info, archive)
            declared_total += info.size
            _check_total(declared_total, archive, limits)
            if read and info.isreg():
                member = tar.extractfile(info)
                if member is not None:
                    guarded = _Guarded(
                        member, info.name, budget, declared=info.size, compressed=None
                    )
                    yield info.name, _buffered(guarded)


def _gzip_members(file: BinaryIO, archive: str, limits: Limits) -> Iterator[tuple[str, BinaryIO]]:
    counting = _Counting(file)
    budget = _Budget(archive, limits)
    unzipped = gzip.GzipFile(fileobj=_buffered(counting), mode="rb")
    stream = _buffered(
        _Guarded(unzipped, archive, budget, declared=None, compressed=lambda: counting.count)
    )
    if archive_kind(stream.peek(512)[:512]) == "tar":
        yield from _tar_members(stream, archive, limits, compressed=False, read=True)
        return
    yield _strip_gzip_suffix(archive), stream


def _strip_gzip_suffix(name: str) -> str:
    for suffix in (".gz", ".gzip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name
