"""Records come out of files, folders, archives and stdin; bad inputs are named, never raised,
and never cost the records around them."""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import socket
import tarfile
import threading
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from cables import readers
from cables.readers import BadRecord, Limits, RawRecord, count_records, read_records

TINY_ROWS = 12
T = TypeVar("T")


@pytest.fixture
def tiny_csv(data_dir: Path) -> Path:
    return data_dir / "cables_tiny.csv"


@pytest.fixture
def seed(data_dir: Path) -> bytes:
    return (data_dir / "seed.txt").read_bytes()


def read(*paths: str | Path, **kwargs: object) -> list[RawRecord | BadRecord]:
    return list(read_records(paths, **kwargs))  # type: ignore[arg-type]


def only(*paths: str | Path, **kwargs: object) -> RawRecord | BadRecord:
    [record] = read(*paths, **kwargs)
    return record


def good(*paths: str | Path, **kwargs: object) -> RawRecord:
    record = only(*paths, **kwargs)
    assert isinstance(record, RawRecord), record
    return record


def bad(*paths: str | Path, **kwargs: object) -> BadRecord:
    record = only(*paths, **kwargs)
    assert isinstance(record, BadRecord), record
    return record


def summary(records: list[RawRecord | BadRecord]) -> list[tuple[str, str, str]]:
    """(kind, source less its folder, position) of each record."""
    return [(type(r).__name__, Path(r.source).name, r.position) for r in records]


def within(seconds: float, function: Callable[[], T]) -> T:
    """The function's result, or a failure if it has not returned in time (it blocked)."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(function()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: blocked on a special file?"
    return result[0]


# Bare cable text ---------------------------------------------------------------------------


def test_bare_cable_is_all_body_for_the_parser_to_split(data_dir: Path) -> None:
    path = data_dir / "raw/66BUENOSAIRES2481.txt"
    record = good(path)
    assert (record.format, record.header, record.body) == ("raw", "", path.read_text())


def test_format_can_be_forced(data_dir: Path) -> None:
    assert good(data_dir / "seed.txt", format="raw").format == "raw"


def test_unknown_forced_format_is_refused(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        read(data_dir / "seed.txt", format="xml")


# Folders, archives, stdin ------------------------------------------------------------------


def test_folder_is_read_recursively_in_sorted_order(data_dir: Path) -> None:
    sources = [Path(r.source).relative_to(data_dir).as_posix() for r in read(data_dir / "html")]
    assert sources == [
        "html/2011/08BRASILIA93.html",
        "html/2011/66BUENOSAIRES2481.html",
        "html/dec2010/09KUWAIT110.html",
        "html/dec2010/66BUENOSAIRES2481.html",
        "html/early/10STATE17263.html",
    ]


def test_zip_members_are_read_with_their_formats(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "cables.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(data_dir / "seed.txt", "seed.txt")
        archive.write(data_dir / "html/early/10STATE17263.html", "page.dat")
    records = read(path)
    assert [(r.source, r.format) for r in records] == [
        (f"{path}!seed.txt", "scoop"),
        (f"{path}!page.dat", "html"),
    ]


def test_tar_gz_members_are_read(data_dir: Path, tiny_csv: Path, tmp_path: Path) -> None:
    path = tmp_path / "cables.tgz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(tiny_csv, "dump/cables.csv")
        archive.add(data_dir / "seed.txt", "dump/seed.txt")
    assert len(read(path)) == TINY_ROWS + 1


def test_gz_file_is_read(tiny_csv: Path, tmp_path: Path) -> None:
    path = tmp_path / "cables.csv.gz"
    path.write_bytes(gzip.compress(tiny_csv.read_bytes()))
    records = read(path)
    assert (len(records), records[0].source) == (TINY_ROWS, f"{path}!cables.csv")


def test_gz_on_stdin_is_read(data_dir: Path) -> None:
    stdin = io.BytesIO(gzip.compress((data_dir / "seed.txt").read_bytes()))
    assert good("-", stdin=stdin).metadata.refid == "07LIMA3673"


def test_nested_archive_is_reported_not_opened(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "outer.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner.gz", gzip.compress((data_dir / "seed.txt").read_bytes()))
    assert bad(path).error == "nested archive (gzip) not read; extract it first"


# Bad inputs --------------------------------------------------------------------------------


def test_binary_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    assert bad(path).error == "binary file, not cable text"


def test_empty_file_is_bad(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    record = bad(path)
    assert (record.position, record.error) == ("file", "empty file")


def test_blank_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("\n  \n")
    assert bad(path).error == "empty file"


def test_unknown_format_is_bad_with_its_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# shared/data — real cables for tests\n")
    record = bad(path)
    assert record.error.startswith("unknown format:")
    assert record.raw == "# shared/data — real cables for tests\n"


def test_missing_path_is_bad(tmp_path: Path) -> None:
    assert bad(tmp_path / "nowhere.csv").error == "no such file or folder"


def test_oversize_bare_cable_is_bad(data_dir: Path) -> None:
    record = bad(data_dir / "raw/66BUENOSAIRES2481.txt", limits=Limits(max_record_bytes=1000))
    assert (record.error, len(record.raw)) == ("oversize record: more than 1000 bytes", 1001)


# Special files are refused, never opened -------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pipe.txt"
    os.mkfifo(path)
    yield path
    with contextlib.suppress(OSError):  # should a reader be stuck on it after all, let it go
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def test_a_fifo_given_directly_is_refused_and_the_next_file_read(
    fifo: Path, data_dir: Path
) -> None:
    records = within(10, lambda: read(fifo, data_dir / "seed.txt"))
    assert summary(records) == [
        ("BadRecord", "pipe.txt", "file"),
        ("RawRecord", "seed.txt", "page 1"),
    ]
    assert records[0].error == "not a regular file: a FIFO"  # type: ignore[union-attr]


def test_a_fifo_in_a_folder_is_refused_between_its_neighbours(tmp_path: Path, seed: bytes) -> None:
    folder = tmp_path / "cables"
    folder.mkdir()
    (folder / "a.txt").write_bytes(seed)
    os.mkfifo(folder / "b.txt")
    (folder / "c.txt").write_bytes(seed)
    records = within(10, lambda: read(folder))
    assert summary(records) == [
        ("RawRecord", "a.txt", "page 1"),
        ("BadRecord", "b.txt", "file"),
        ("RawRecord", "c.txt", "page 1"),
    ]
    assert records[1].error == "not a regular file: a FIFO"  # type: ignore[union-attr]


def test_a_socket_in_a_folder_is_refused(tmp_path: Path, seed: bytes) -> None:
    (tmp_path / "a.txt").write_bytes(seed)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "b.sock"))
        records = within(10, lambda: read(tmp_path))
    assert [getattr(r, "error", "") for r in records] == ["", "not a regular file: a socket"]


def test_a_character_device_is_refused() -> None:
    assert within(10, lambda: bad("/dev/zero")).error == "not a regular file: a character device"


def test_counting_never_opens_a_fifo(fifo: Path, tiny_csv: Path) -> None:
    assert within(10, lambda: count_records([fifo, tiny_csv])) == 1 + TINY_ROWS


# Read errors become bad records ------------------------------------------------------------


class FailingStream(io.RawIOBase):
    """Gives its bytes, then fails as a disk would."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._data:
            raise OSError(5, "Input/output error")
        size = min(len(buffer), len(self._data))
        buffer[:size], self._data = self._data[:size], self._data[size:]
        return size


def test_a_read_error_keeps_the_records_before_it(tiny_csv: Path) -> None:
    stdin = io.BufferedReader(FailingStream(tiny_csv.read_bytes() * 40))
    records = read("-", stdin=stdin)
    assert len(records) > TINY_ROWS
    assert {type(r).__name__ for r in records[:-1]} == {"RawRecord"}
    assert records[-1].error == "cannot read: Input/output error"  # type: ignore[union-attr]


def test_a_broken_link_in_a_folder_is_bad_and_its_neighbours_read(
    tmp_path: Path, seed: bytes
) -> None:
    (tmp_path / "a.txt").write_bytes(seed)
    (tmp_path / "b.txt").symlink_to(tmp_path / "gone")
    (tmp_path / "c.txt").write_bytes(seed)
    records = read(tmp_path)
    assert [type(r).__name__ for r in records] == ["RawRecord", "BadRecord", "RawRecord"]
    assert records[1].error == "cannot read: No such file or directory"  # type: ignore[union-attr]


def test_a_reader_bug_costs_its_file_only(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, seed: bytes
) -> None:
    def broken(source: str, stream: object, limits: object) -> Iterator[RawRecord]:
        raise RuntimeError("a bug")
        yield

    monkeypatch.setitem(readers._READERS, "raw", broken)
    records = read(data_dir / "raw/66BUENOSAIRES2481.txt", data_dir / "seed.txt")
    assert [type(r).__name__ for r in records] == ["BadRecord", "RawRecord"]
    assert records[0].error == "reader error: RuntimeError: a bug"  # type: ignore[union-attr]


# Cut archives keep every complete record ---------------------------------------------------


def gzip_cut_at(data: bytes, cut: int) -> bytes:
    """The gzip of `data` as if the file ended after its first `cut` uncompressed bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(data[:cut]) + compressor.flush(zlib.Z_FULL_FLUSH)


def test_a_gz_cut_inside_its_last_row_keeps_every_complete_row(
    tiny_csv: Path, tmp_path: Path
) -> None:
    data = tiny_csv.read_bytes()
    last_row = data.rindex(b'\n"12","') + 1
    cut = (last_row + len(data)) // 2
    path = tmp_path / "cables.csv.gz"
    path.write_bytes(gzip_cut_at(data, cut))
    records = read(path)
    assert [type(r).__name__ for r in records] == ["RawRecord"] * (TINY_ROWS - 1) + ["BadRecord"]
    last = records[-1]
    assert (last.source, last.position, last.line) == (f"{path}!cables.csv", "row 12", 697)
    assert last.error.startswith(  # type: ignore[union-attr]
        f"cables.csv.gz: truncated at byte {path.stat().st_size} of the compressed file "
        f"({cut} bytes decompressed)"
    )
    assert last.raw == data[last_row:cut].decode()


def test_a_bare_cable_in_a_cut_gz_is_not_taken_for_whole(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "raw/66BUENOSAIRES2481.txt").read_bytes()
    path = tmp_path / "cable.txt.gz"
    path.write_bytes(gzip_cut_at(text, len(text) // 2))
    record = bad(path)
    assert "truncated at byte" in record.error and "the cable may be incomplete" in record.error
    assert record.raw == text[: len(text) // 2].decode()


def test_a_zip_cut_inside_a_member_keeps_the_members_and_rows_before(
    tiny_csv: Path, tmp_path: Path, seed: bytes
) -> None:
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("seed.txt", seed)
        archive.writestr("cables.csv", tiny_csv.read_bytes())
        archive.writestr("later.txt", seed)
    data = whole.read_bytes()
    cut = data.index(b'\n"12","') + 100
    path = tmp_path / "cut.zip"
    path.write_bytes(data[:cut])
    records = read(path)
    assert summary(records)[:2] == [
        ("RawRecord", "cut.zip!seed.txt", "page 1"),
        ("RawRecord", "cut.zip!cables.csv", "row 1"),
    ]
    assert [type(r).__name__ for r in records[1:]] == ["RawRecord"] * 11 + ["BadRecord"]
    assert records[-1].error.startswith(  # type: ignore[union-attr]
        f"cut.zip: member 'cables.csv': truncated at byte {cut} of the archive:"
    )


def test_a_tar_gz_cut_inside_a_member_keeps_the_members_before(
    tiny_csv: Path, tmp_path: Path, seed: bytes
) -> None:
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as archive:
        for name, data in (("seed.txt", seed), ("cables.csv", tiny_csv.read_bytes())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    cut = tar.getvalue().index(b'\n"5","') + 10
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(gzip_cut_at(tar.getvalue(), cut))
    records = read(path)
    assert [type(r).__name__ for r in records] == ["RawRecord"] * 5 + ["BadRecord"]
    assert (records[-1].source, records[-1].position) == (f"{path}!cables.csv", "row 5")
    assert "cut.tar.gz: truncated at byte" in records[-1].error  # type: ignore[union-attr]


# Refused members are quarantined by name; the others are read -----------------------------


def test_refused_zip_members_are_quarantined_by_name_and_the_others_read(
    tmp_path: Path, seed: bytes
) -> None:
    path = tmp_path / "mixed.zip"
    link = zipfile.ZipInfo("passwd")
    link.external_attr = 0o120777 << 16
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", seed)
        archive.writestr("../evil.txt", seed)
        archive.writestr("/etc/cron.d/evil", seed)
        archive.writestr(link, "/etc/passwd")
        archive.writestr("inner.gz", gzip.compress(seed))
        archive.writestr("zeros.txt", bytes(20 * 1024 * 1024))
        archive.writestr("z.txt", seed)
    records = read(path)
    assert [(type(r).__name__, r.source.removeprefix(f"{path}!")) for r in records] == [
        ("RawRecord", "a.txt"),
        ("BadRecord", "../evil.txt"),
        ("BadRecord", "/etc/cron.d/evil"),
        ("BadRecord", "passwd"),
        ("BadRecord", "inner.gz"),
        ("BadRecord", "zeros.txt"),
        ("RawRecord", "z.txt"),
    ]
    errors = [r.error for r in records if isinstance(r, BadRecord)]
    assert errors[0] == "mixed.zip: member '../evil.txt' escapes the archive (path traversal)"
    assert errors[1] == "mixed.zip: member '/etc/cron.d/evil' has an absolute path"
    assert "is a link or special file" in errors[2]
    assert errors[3] == "nested archive (gzip) not read; extract it first"
    assert "compression ratio" in errors[4]
    assert sorted(tmp_path.iterdir()) == [path]  # nothing extracted


def test_refused_tar_members_are_quarantined_by_name_and_the_others_read(
    tmp_path: Path, seed: bytes
) -> None:
    path = tmp_path / "mixed.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, kind in (("a.txt", tarfile.REGTYPE), ("link", tarfile.SYMTYPE),
                           ("hard", tarfile.LNKTYPE), ("fifo", tarfile.FIFOTYPE),
                           ("tty", tarfile.CHRTYPE), ("../up.txt", tarfile.REGTYPE),
                           ("z.txt", tarfile.REGTYPE)):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd" if kind != tarfile.REGTYPE else ""
            info.size = len(seed) if kind == tarfile.REGTYPE else 0
            archive.addfile(info, io.BytesIO(seed) if kind == tarfile.REGTYPE else None)
    records = read(path)
    assert [(type(r).__name__, r.source.removeprefix(f"{path}!"), r.position) for r in records] == [
        ("RawRecord", "a.txt", "page 1"),
        ("BadRecord", "link", "member"),
        ("BadRecord", "hard", "member"),
        ("BadRecord", "fifo", "member"),
        ("BadRecord", "tty", "member"),
        ("BadRecord", "../up.txt", "member"),
        ("RawRecord", "z.txt", "page 1"),
    ]
    assert records[1].error == "mixed.tar.gz: member 'link' is a symbolic link"  # type: ignore[union-attr]


def test_nested_archive_is_reported_not_opened_and_its_neighbours_read(
    tmp_path: Path, seed: bytes
) -> None:
    path = tmp_path / "outer.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inner.tar", b"\0" * 257 + b"ustar" + b"\0" * 250)
        archive.writestr("seed.txt", seed)
    assert [type(r).__name__ for r in read(path)] == ["BadRecord", "RawRecord"]


# Limits over the whole archive stop the reading where they are met -------------------------


def test_the_member_count_stops_the_reading_after_the_members_before(
    tmp_path: Path, seed: bytes
) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(5):
            archive.writestr(f"cable{index}.txt", seed)
    records = read(path, limits=Limits(max_members=3))
    assert [type(r).__name__ for r in records] == ["RawRecord"] * 3 + ["BadRecord"]
    assert (records[-1].source, records[-1].position) == (str(path), "archive")
    assert records[-1].error == "many.zip: more than 3 members"  # type: ignore[union-attr]


def test_the_total_size_stops_the_reading_after_the_rows_before(
    tiny_csv: Path, tmp_path: Path
) -> None:
    data = tiny_csv.read_bytes()
    path = tmp_path / "cables.csv.gz"
    path.write_bytes(gzip.compress(data))
    limit = data.index(b'\n"4","') + 50
    records = read(path, limits=Limits(max_total_bytes=limit))
    assert [type(r).__name__ for r in records] == ["RawRecord"] * 3 + ["BadRecord"]
    assert records[-1].position == "row 4"
    assert records[-1].error.startswith(  # type: ignore[union-attr]
        f"cables.csv.gz: uncompressed data exceeds the limit of {limit} bytes (found while reading)"
    )


def test_a_zip_on_stdin_is_read_from_its_local_headers(seed: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("seed.txt", seed)
        archive.writestr("../evil", b"x")
        archive.writestr("again.txt", seed)
    records = read("-", stdin=io.BytesIO(buffer.getvalue()))
    assert [(type(r).__name__, r.source) for r in records] == [
        ("RawRecord", "-!seed.txt"),
        ("BadRecord", "-!../evil"),
        ("RawRecord", "-!again.txt"),
    ]


# Streaming and counting --------------------------------------------------------------------


def test_a_50_mb_csv_is_streamed_in_bounded_memory(tiny_csv: Path, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    chunk = tiny_csv.read_bytes()
    with path.open("wb") as file:
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            file.write(chunk)
    tracemalloc.start()
    try:
        rows = sum(1 for _ in read_records([path]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows > 10_000
    assert peak < 10 * 1024 * 1024 < path.stat().st_size // 5


def test_csv_rows_are_counted_without_parsing(tiny_csv: Path) -> None:
    assert count_records([tiny_csv]) == TINY_ROWS


def test_count_covers_folders_and_archives(data_dir: Path, tiny_csv: Path, tmp_path: Path) -> None:
    path = tmp_path / "cables.csv.gz"
    path.write_bytes(gzip.compress(tiny_csv.read_bytes()))
    assert count_records([path, data_dir / "html", data_dir / "seed.txt"]) == TINY_ROWS + 5 + 1


def test_count_of_stdin_is_unknown(tiny_csv: Path) -> None:
    assert count_records([tiny_csv, "-"]) is None


def test_count_takes_each_refused_member_as_one(tmp_path: Path, seed: bytes) -> None:
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", seed)
        archive.writestr("../evil", seed)
    assert count_records([path]) == 2
