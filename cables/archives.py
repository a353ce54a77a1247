"""Members of .zip, .tar, .tar.gz and .gz archives as binary streams, each bad member refused alone.

Nothing is extracted to disk. Each member's name, type and declared sizes are checked before it is
read, and its stream counts what it really produces, because headers can lie. A refused member
comes out as `Refused` and the others are still read; a limit over the whole archive, or data that
runs out (a cut download), comes out as `Stopped` or as the `cut` of the member it fell in, after
everything before it. A zip without its central directory (cut, or read from a pipe) is read from
its local headers in order. Archives inside archives are not opened here: the reader reports such
a member as bad. Pure Python, no Django.
"""

from __future__ import annotations

import io
import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, cast

from .readers.records import DEFAULT_LIMITS, Limits

__all__ = [
    "DEFAULT_LIMITS",
    "ArchiveRejected",
    "Limits",
    "Member",
    "Refused",
    "Stopped",
    "archive_kind",
    "check_archive",
    "iter_members",
]

_MIB = 1024 * 1024
_RATIO_FLOOR = _MIB  # below this output size a high ratio is normal (padding, blank lines)
_STREAM_BUFFER = _MIB
_BLOCK = 512
_MAX_TAR_META = _MIB  # a long name or a pax header larger than this is not a real one
_INFLATE_INPUT = 16 * 1024  # small, as what is read past a member's end is handed back
_DRIVE = re.compile(r"^[A-Za-z]:")
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")
_ZIP_END = (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06")  # the central directory begins
_FILE_TYPES = {0o010000: "a FIFO", 0o020000: "a character device", 0o060000: "a block device"}
_FILE_TYPES |= {0o140000: "a socket", 0o120000: "a symbolic link"}


class ArchiveRejected(ValueError):
    """An archive refused as malicious or beyond the limits; the message says why."""


@dataclass(frozen=True, slots=True)
class Refused:
    """A member that is not read; `reason` names the archive and the member."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Stopped:
    """The end of the reading, before the archive's own end; `reason` says why."""

    reason: str


class _Cut(Exception):
    """Raised under a member stream: its data ends here, for the reason given."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Budget:
    """Uncompressed bytes produced so far by one archive, against its total limit."""

    def __init__(self, archive: str, limits: Limits) -> None:
        self.archive = archive
        self.limits = limits
        self.left = limits.max_total_bytes


class _Guarded(io.RawIOBase):
    """A member's data that ends, rather than raises, where it breaks a limit or runs out.

    Ending cleanly keeps every byte before the cut for the reader; `cut` then says why, and
    `fatal` whether the archive can go on to its next member.
    """

    def __init__(
        self,
        read: Callable[[int], bytes],
        archive: str,
        name: str,
        *,
        budget: _Budget | None,
        declared: int | None,
        consumed: Callable[[], int] | None,
        fatal: bool,
    ) -> None:
        self._read = read
        self._archive = archive
        self._name = name
        self._budget = budget
        self._declared = declared
        self._consumed = consumed
        self.fatal = fatal
        self.count = 0
        self.cut: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.cut is not None:
            return 0
        try:
            data = self._read(len(buffer))
        except _Cut as exc:
            return self._stop(exc.reason, fatal=True)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            # zipfile stops at the declared size and then fails the CRC: a lying header.
            reason = f"member {self._name!r} is corrupt or does not match its header ({exc})"
            return self._stop(f"{self._archive}: {reason}", fatal=self.fatal)
        data = self._limit(data)
        buffer[: len(data)] = data
        return len(data)

    def _stop(self, reason: str, *, fatal: bool) -> int:
        self.cut, self.fatal = reason, fatal
        return 0

    def _limit(self, data: bytes) -> bytes:
        archive, name = self._archive, self._name
        if self._declared is not None and self.count + len(data) > self._declared:
            data = data[: self._declared - self.count]
            self.cut = (
                f"{archive}: member {name!r} produced more than the {self._declared} bytes its "
                "header declares (lying header, zip bomb?)"
            )
        if self._budget is not None:
            if len(data) > self._budget.left:
                data = data[: self._budget.left]
                self.cut, self.fatal = _over_total(archive, self._budget.limits, "reading"), True
            self._budget.left -= len(data)
        self.count += len(data)
        limits = self._budget.limits if self._budget else None
        if (
            self._consumed is not None
            and limits
            and self.count > _RATIO_FLOOR
            and self.count > limits.max_ratio * max(self._consumed(), 1)
        ):
            self.cut = (
                f"{archive}: member {name!r} expanded beyond a compression ratio of "
                f"{limits.max_ratio:.0f}:1 while reading (zip bomb?)"
            )
        return data


class Member:
    """One regular file of an archive. Read `stream`, then call `finish()`."""

    def __init__(
        self, name: str, guard: _Guarded, *, drain: bool, stream: BinaryIO | None = None
    ) -> None:
        self.name = name
        self.stream = stream or _buffered(guard)
        self._guard = guard
        self._drain = drain

    def finish(self) -> str | None:
        """Why the member's data ended early (cut, corrupt, over a limit), or None if it did not.

        Reads what the reader left when the next member can only be reached through it.
        """
        if self._drain:
            while self.stream.read(_STREAM_BUFFER):
                pass
        return self._guard.cut

    @property
    def fatal(self) -> bool:
        return self._guard.cut is not None and self._guard.fatal


Item = Member | Refused | Stopped


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
    """Raise ArchiveRejected at the first refused member or limit of the archive; plain files pass.

    Headers are walked, members are not read, except that a .tar.gz is decompressed once to find
    its headers (keeping nothing), so that a bad member near the end is found before any import.
    """
    path = Path(path)
    with path.open("rb") as file:
        kind = archive_kind(file.read(512))
        file.seek(0)
        if kind is None:
            return
        try:
            for item in iter_members(file, path.name, limits):
                reason = item.finish() if isinstance(item, Member) else item.reason
                if reason:
                    raise ArchiveRejected(reason)
        except OSError as exc:
            raise ArchiveRejected(f"{path.name}: cannot read: {exc}") from exc
        if kind == "gzip":
            _check_gzip_trailer(file, path.name, limits)


def iter_members(file: BinaryIO, name: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    """Each member of the archive open in `file`, in order: a Member to read, or Refused.

    A Stopped, when it comes, is the last item. `file` may be a pipe (a zip is then read from
    its local headers). A single-file .gz is one member named after the archive less its suffix.
    A Member's stream is valid until the next item is requested. Bad content never raises; an
    OSError of the file itself does.
    """
    head = _peek(file, 512)
    kind = archive_kind(head or b"")
    if head is None:
        yield Stopped(f"{name}: cannot inspect a stream that is neither seekable nor buffered")
    elif kind == "zip":
        yield from _zip_members(file, name, limits)
    elif kind == "tar":
        yield from _tar_members(file, name, limits, outer=None)
    elif kind == "gzip":
        yield from _gzip_members(file, name, limits)
    else:
        yield Stopped(f"{name}: not a zip, tar or gzip archive")


def _peek(file: BinaryIO, size: int) -> bytes | None:
    if file.seekable():
        start = file.tell()
        head = file.read(size)
        file.seek(start)
        return head
    if isinstance(file, io.BufferedReader):
        return file.peek(size)[:size]
    return None


def _buffered(raw: io.RawIOBase) -> BinaryIO:
    return io.BufferedReader(raw, buffer_size=_STREAM_BUFFER)


# Checks -----------------------------------------------------------------------------------


def _name_problem(name: str) -> str | None:
    normal = name.replace("\\", "/")
    if normal.startswith("/") or _DRIVE.match(normal):
        return "has an absolute path"
    if ".." in normal.split("/"):
        return "escapes the archive (path traversal)"
    return None


def _ratio_problem(size: int, compressed: int, limits: Limits) -> str | None:
    if size > _RATIO_FLOOR and size > limits.max_ratio * max(compressed, 1):
        return (
            f"declares a compression ratio of {size / max(compressed, 1):.0f}:1, over the limit "
            f"of {limits.max_ratio:.0f}:1 (zip bomb?)"
        )
    return None


def _over_total(archive: str, limits: Limits, found: str) -> str:
    if found == "reading":
        return (
            f"{archive}: uncompressed data exceeds the limit of {limits.max_total_bytes} bytes "
            "(found while reading)"
        )
    return (
        f"{archive}: declared uncompressed size exceeds the limit of {limits.max_total_bytes} bytes"
    )


def _too_many(archive: str, limits: Limits) -> Stopped:
    return Stopped(f"{archive}: more than {limits.max_members} members")


def _refused(archive: str, name: str, problem: str) -> Refused:
    return Refused(name, f"{archive}: member {name!r} {problem}")


def _check_gzip_trailer(file: BinaryIO, archive: str, limits: Limits) -> None:
    # ISIZE is the last member's size modulo 2**32: a hint only; reading counts the real bytes.
    file.seek(0, io.SEEK_END)
    compressed = file.tell()
    if compressed < 18:
        raise ArchiveRejected(f"{archive}: corrupt archive: gzip file too short")
    file.seek(-4, io.SEEK_END)
    (declared,) = struct.unpack("<I", file.read(4))
    if declared > limits.max_total_bytes:
        raise ArchiveRejected(_over_total(archive, limits, "declared"))
    problem = _ratio_problem(declared, compressed, limits)
    if problem:
        raise ArchiveRejected(f"{archive}: its gzip trailer {problem} (or the file was cut)")


# Sequential reading ----------------------------------------------------------------------


class _Exact:
    """Reads a stream to the byte, counting the offset; can take back bytes read too far."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._back = b""
        self._at = 0  # in _back: an index, so small reads never copy what is left of it
        self.offset = 0

    def read(self, size: int) -> bytes:
        """`size` bytes, fewer only at the end of the data."""
        parts = [self._back[self._at : self._at + size]]
        self._at += len(parts[0])
        wanted = size - len(parts[0])
        while wanted > 0 and (data := self._file.read(wanted)):
            parts.append(data)
            wanted -= len(data)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self.offset += len(data)
        return data

    def unread(self, data: bytes) -> None:
        self._back, self._at = data + self._back[self._at :], 0
        self.offset -= len(data)

    def skip(self, size: int) -> bool:
        """Whether `size` bytes were there to skip."""
        while size > 0:
            data = self.read(min(size, _STREAM_BUFFER))
            if not data:
                return False
            size -= len(data)
        return True


# gzip -------------------------------------------------------------------------------------


class _Gunzip:
    """gzip data decompressed, every member of a concatenated file in turn."""

    def __init__(self, file: BinaryIO, archive: str) -> None:
        self._file = file
        self._archive = archive
        self._inflate = zlib.decompressobj(31)  # 31: gzip wrapper, its CRC and size checked
        self._input = b""
        self.consumed = 0  # compressed bytes read so far
        self._produced = 0

    def read(self, size: int) -> bytes:
        while True:
            if self._inflate.eof and not self._next_member():
                return b""
            data = self._input or self._more()
            if not data:
                raise _Cut(
                    f"{self._archive}: truncated at byte {self.consumed} of the compressed file "
                    f"({self._produced} bytes decompressed): the gzip data ends before its end"
                )
            out = self._inflate.decompress(data, size)
            self._input = self._inflate.unconsumed_tail
            if out:
                self._produced += len(out)
                return out

    def _more(self) -> bytes:
        data = self._file.read(_STREAM_BUFFER)
        self.consumed += len(data)
        return data

    def _next_member(self) -> bool:
        rest = self._inflate.unused_data.lstrip(b"\0")  # some writers pad with zeros
        while len(rest) < 2:
            more = self._more()
            if not more:
                if rest:
                    break
                return False
            rest = (rest + more).lstrip(b"\0")
        if not rest.startswith(b"\x1f\x8b"):
            raise _Cut(
                f"{self._archive}: data that is not gzip after byte {self.consumed - len(rest)}"
            )
        self._inflate = zlib.decompressobj(31)
        self._input = rest
        return True


def _gzip_members(file: BinaryIO, archive: str, limits: Limits) -> Iterator[Item]:
    gunzip = _Gunzip(file, archive)
    budget = _Budget(archive, limits)
    guard = _Guarded(
        gunzip.read,
        archive,
        archive,
        budget=budget,
        declared=None,
        consumed=lambda: gunzip.consumed,
        fatal=True,
    )
    stream = _buffered(guard)
    if archive_kind(stream.peek(512)[:512]) == "tar":  # type: ignore[attr-defined]
        yield from _tar_members(stream, archive, limits, outer=guard)
        return
    yield Member(_strip_gzip_suffix(archive), guard, drain=False, stream=stream)


def _strip_gzip_suffix(name: str) -> str:
    for suffix in (".gz", ".gzip"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


# tar --------------------------------------------------------------------------------------


class _Slice:
    """The next `size` bytes of a tar stream: one member's data."""

    def __init__(self, source: _Exact, size: int, short: Callable[[], str]) -> None:
        self._source = source
        self._left = size
        self._short = short

    def read(self, size: int) -> bytes:
        if not self._left:
            return b""
        data = self._source.read(min(size, self._left))
        if not data:
            raise _Cut(self._short())
        self._left -= len(data)
        return data


def _tar_members(
    file: BinaryIO, archive: str, limits: Limits, *, outer: _Guarded | None
) -> Iterator[Item]:
    """Headers parsed one by one with TarInfo.frombuf, so a cut is found to the byte."""
    source = _Exact(file)
    budget = None if outer else _Budget(archive, limits)  # a .tar.gz is counted as it inflates

    def cut(what: str) -> str:
        if outer is not None and outer.cut:
            return outer.cut
        return f"{archive}: truncated at byte {source.offset} of the tar data: {what}"

    count = declared_total = 0
    long_name: str | None = None
    pax: dict[str, str] = {}
    while True:
        at = source.offset
        block = source.read(_BLOCK)
        if len(block) < _BLOCK:
            yield Stopped(cut("it ends without the end-of-archive blocks"))
            return
        if not block.strip(b"\0"):
            return
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError as exc:
            yield Stopped(f"{archive}: corrupt archive: bad tar header at byte {at} ({exc})")
            return
        size = _pax_size(pax.get("size")) if "size" in pax else info.size
        if size < 0:  # a base-256 size field can say so
            yield Stopped(
                f"{archive}: corrupt archive: negative size in the tar header at byte {at}"
            )
            return
        padding = -size % _BLOCK
        if info.type in (
            tarfile.GNUTYPE_LONGNAME,
            tarfile.XHDTYPE,
            tarfile.XGLTYPE,
            tarfile.GNUTYPE_LONGLINK,
        ):
            if size > _MAX_TAR_META:
                yield Stopped(f"{archive}: corrupt archive: a {size}-byte tar header at byte {at}")
                return
            data = source.read(size + padding)
            if len(data) < size + padding:
                yield Stopped(cut("in a long-name or pax header"))
                return
            if info.type == tarfile.GNUTYPE_LONGNAME:
                long_name = data[:size].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            elif info.type == tarfile.XHDTYPE:
                pax = _pax_fields(data[:size])
            continue
        name = pax.get("path") or long_name or info.name
        pax, long_name = {}, None
        count += 1
        if count > limits.max_members:
            yield _too_many(archive, limits)
            return
        problem = _name_problem(name) or _tar_type_problem(info)
        if problem is None and info.isreg():
            declared_total += size
            if declared_total > limits.max_total_bytes:
                yield Stopped(_over_total(archive, limits, "declared"))
                return
            data_slice = _Slice(source, size, partial(cut, f"member {name!r} ends early"))
            guard = _Guarded(
                data_slice.read,
                archive,
                name,
                budget=budget,
                declared=size,
                consumed=None,
                fatal=True,
            )
            member = Member(name, guard, drain=True)
            yield member
            if member.finish():
                return
            size = 0  # read already; only the padding is left
        elif problem is not None:
            yield _refused(archive, name, problem)
        if not source.skip(size + padding):
            yield Stopped(cut("it ends inside a member"))
            return


def _tar_type_problem(info: tarfile.TarInfo) -> str | None:
    if info.isreg() or info.isdir():
        return None
    if info.issym():
        return "is a symbolic link"
    if info.islnk():
        return "is a hard link"
    return "is a device or special file"


def _pax_size(value: str | None) -> int:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 19 else 0


def _pax_fields(data: bytes) -> dict[str, str]:
    """The records of a pax header: `<length> <key>=<value>\\n`, each."""
    fields: dict[str, str] = {}
    at = 0
    while at < len(data):
        space = data.find(b" ", at, at + 20)
        if space < 0 or not data[at:space].isdigit():
            break
        length = int(data[at:space])
        if length <= space - at:
            break
        key, _, value = data[space + 1 : at + length - 1].partition(b"=")
        fields[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        at += length
    return fields


# zip --------------------------------------------------------------------------------------


def _zip_members(file: BinaryIO, archive: str, limits: Limits) -> Iterator[Item]:
    start = file.tell() if file.seekable() else 0
    try:
        zipped = zipfile.ZipFile(file) if file.seekable() else None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error):
        zipped = None  # no central directory: the file was cut
        file.seek(start)
    if zipped is None:
        yield from _local_members(file, archive, limits)
        return
    budget = _Budget(archive, limits)
    declared_total = 0
    with zipped:
        for count, info in enumerate(zipped.infolist(), 1):
            if count > limits.max_members:
                yield _too_many(archive, limits)
                return
            problem = _zip_problem(info, limits)
            if problem:
                yield _refused(archive, info.filename, problem)
                continue
            declared_total += info.file_size
            if declared_total > limits.max_total_bytes:
                yield Stopped(_over_total(archive, limits, "declared"))
                return
            if info.is_dir():
                continue
            try:
                opened = zipped.open(info)
            except (zipfile.BadZipFile, NotImplementedError, OSError, ValueError, EOFError) as exc:
                yield _refused(archive, info.filename, f"cannot be opened ({exc})")
                continue
            with opened:
                guard = _Guarded(
                    cast(zipfile.ZipExtFile, opened).read1,
                    archive,
                    info.filename,
                    budget=budget,
                    declared=info.file_size,
                    consumed=lambda info=info: info.compress_size,  # type: ignore[misc]
                    fatal=False,
                )
                member = Member(info.filename, guard, drain=False)
                yield member
                if member.fatal:
                    return


def _zip_problem(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    mode = info.external_attr >> 16
    kind = mode & 0o170000
    if problem := _name_problem(info.filename):
        return problem
    if mode and kind not in (0, 0o100000, 0o040000):
        return f"is a link or special file ({_FILE_TYPES.get(kind, 'not a regular file')})"
    if info.flag_bits & 0x1:
        return "is encrypted"
    return _ratio_problem(info.file_size, info.compress_size, limits)


class _LocalData:
    """One member's data found by its local header: stored or deflated, with the CRC checked."""

    def __init__(
        self,
        source: _Exact,
        archive: str,
        name: str,
        header: tuple[int, int, int, int],  # flags, method, crc, compressed size
        zip64: bool,
    ) -> None:
        flags, method, self._crc, size = header
        self._source = source
        self._where = f"{archive}: member {name!r}"
        self._described = bool(flags & 0x8)  # sizes and CRC follow the data
        self._left = None if self._described else size
        self._inflate = zlib.decompressobj(-15) if method == 8 else None
        self._zip64 = zip64
        self._input = b""
        self._sum = 0
        self.consumed = 0
        self.done = False

    def read(self, size: int) -> bytes:
        while not self.done:
            if self._inflate is None:
                data = self._take(min(size, self._left or 0))
            elif self._inflate.eof:
                self._source.unread(self._inflate.unused_data)
                self.consumed -= len(self._inflate.unused_data)
                data = b""
            else:
                chunk = self._input or self._take(_INFLATE_INPUT)
                if not chunk:
                    raise _Cut(f"{self._where} is corrupt: its deflate data runs past its size")
                data = self._inflate.decompress(chunk, size)
                self._input = self._inflate.unconsumed_tail
                if not data:
                    continue
            if not data:
                self._end()
                return b""
            self._sum = zlib.crc32(data, self._sum)
            return data
        return b""

    def _take(self, size: int) -> bytes:
        if self._left is not None:
            size = min(size, self._left)
            if not size:
                return b""
        data = self._source.read(size)
        if not data:
            raise _Cut(f"{self._where}: truncated at byte {self._source.offset} of the archive")
        self.consumed += len(data)
        if self._left is not None:
            self._left -= len(data)
        return data

    def _end(self) -> None:
        self.done = True
        if self._described:
            signature = self._source.read(4)
            if signature != b"PK\x07\x08":
                self._source.unread(signature)
            descriptor = self._source.read(20 if self._zip64 else 12)
            if len(descriptor) < (20 if self._zip64 else 12):
                raise _Cut(f"{self._where}: truncated at byte {self._source.offset} of the archive")
            (self._crc,) = struct.unpack_from("<I", descriptor)
        if self._sum != self._crc:
            raise _Cut(f"{self._where} is corrupt or does not match its header (CRC)")


def _local_members(file: BinaryIO, archive: str, limits: Limits) -> Iterator[Item]:
    source = _Exact(file)
    budget = _Budget(archive, limits)
    count = declared_total = 0
    while True:
        at = source.offset
        head = source.read(_LOCAL_HEADER.size)
        if head[:4] in _ZIP_END:
            return
        if len(head) < _LOCAL_HEADER.size:
            yield Stopped(
                f"{archive}: truncated at byte {at + len(head)} of the archive: it ends without "
                "its central directory"
            )
            return
        if not head.startswith(b"PK\x03\x04"):
            yield Stopped(f"{archive}: corrupt archive: no member header at byte {at}")
            return
        _, _, flags, method, _, _, crc, compressed, size, name_size, extra_size = (
            _LOCAL_HEADER.unpack(head)
        )
        names = source.read(name_size + extra_size)
        if len(names) < name_size + extra_size:
            yield Stopped(f"{archive}: truncated at byte {source.offset}: inside a member header")
            return
        name = names[:name_size].decode("utf-8" if flags & 0x800 else "cp437", "replace")
        zip64, size, compressed = _zip64_sizes(names[name_size:], size, compressed)
        count += 1
        if count > limits.max_members:
            yield _too_many(archive, limits)
            return
        described = bool(flags & 0x8)
        problem = _name_problem(name) or ("is encrypted" if flags & 0x1 else None)
        if problem is None and method not in (0, 8):
            problem = f"uses compression method {method}, which is not supported"
        if problem is None and not described:
            problem = _ratio_problem(size, compressed, limits)
            declared_total += size
            if declared_total > limits.max_total_bytes:
                yield Stopped(_over_total(archive, limits, "declared"))
                return
        if problem is None and method == 0 and described:
            problem = "is stored with its size after the data, which needs the central directory"
        if problem is not None or name.endswith("/"):
            if problem is not None:
                yield _refused(archive, name, problem)
            if described:
                yield Stopped(
                    f"{archive}: cannot find where {name!r} ends without the central directory"
                )
                return
            if not source.skip(compressed):
                yield Stopped(f"{archive}: truncated at byte {source.offset}: inside {name!r}")
                return
            continue
        data = _LocalData(source, archive, name, (flags, method, crc, compressed), zip64)
        guard = _Guarded(
            data.read,
            archive,
            name,
            budget=budget,
            declared=None if described else size,
            consumed=lambda data=data: data.consumed,  # type: ignore[misc]
            fatal=True,
        )
        member = Member(name, guard, drain=True)
        yield member
        if member.finish():
            return  # without the central directory, the next header is only found past this one


def _zip64_sizes(extra: bytes, size: int, compressed: int) -> tuple[bool, int, int]:
    """Whether the header has a ZIP64 field, and the sizes it gives in place of 0xFFFFFFFF."""
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        if tag == 1:
            fields = min(length, 16, len(extra) - at - 4) // 8
            values = list(struct.unpack_from(f"<{fields}Q", extra, at + 4))
            if size == 0xFFFFFFFF and values:
                size = values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            return True, size, compressed
        at += 4 + length
    return False, size, compressed
