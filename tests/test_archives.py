"""Archives are read member by member without extraction; a bad member is refused alone."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from cables.archives import (
    DEFAULT_LIMITS,
    ArchiveRejected,
    Limits,
    Member,
    Refused,
    Stopped,
    archive_kind,
    check_archive,
    iter_members,
)
from cables.readers.records import MAX_RECORD_BYTES

BOMB_SIZE = 20 * 1024 * 1024  # zeros; deflate squeezes them about 1000:1


def make_zip(path: Path, members: dict[str, bytes], **options: object) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, **options) as archive:  # type: ignore[arg-type]
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def make_tar(path: Path, members: list[tarfile.TarInfo], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as archive:  # type: ignore[call-overload]
        for info in members:
            archive.addfile(info, io.BytesIO(b"x" * info.size) if info.isreg() else None)
    return path


def regular(name: str, size: int = 10) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    return info


def special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def walk(file: io.BufferedIOBase | io.BytesIO, name: str, limits: Limits) -> list[tuple[str, ...]]:
    """("member", name, data, cut or ""), ("refused", name, reason) or ("stopped", why)."""
    out: list[tuple[str, ...]] = []
    for item in iter_members(file, name, limits):  # type: ignore[arg-type]
        if isinstance(item, Member):
            data = item.stream.read()
            out.append(("member", item.name, data.decode("latin-1"), item.finish() or ""))
        elif isinstance(item, Refused):
            out.append(("refused", item.name, item.reason))
        else:
            out.append(("stopped", item.reason))
    return out


def read_all(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[tuple[str, ...]]:
    with path.open("rb") as file:
        return walk(file, path.name, limits)


def through_a_pipe(data: bytes) -> io.BufferedReader:
    pipe = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    pipe.seekable = lambda: False  # type: ignore[method-assign]
    return pipe


def kinds(items: list[tuple[str, ...]]) -> list[tuple[str, str]]:
    return [(item[0], item[1]) if item[0] != "stopped" else ("stopped", "") for item in items]


def lie_about_size(path: Path, declared: int) -> None:
    """Rewrite the uncompressed size in the zip's local and central headers."""
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))


def mark_encrypted(path: Path, name: bytes) -> None:
    """Set the encryption flag of one member in its local and central headers."""
    data = bytearray(path.read_bytes())
    for signature, flags_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = data.find(signature)
        while data[at + name_at : at + name_at + len(name)] != name:
            at = data.find(signature, at + 1)
        data[at + flags_at] |= 0x1
    path.write_bytes(bytes(data))


@pytest.fixture
def seed(data_dir: Path) -> bytes:
    return (data_dir / "seed.txt").read_bytes()


# Reading ----------------------------------------------------------------------------------


def test_the_record_limit_has_one_home() -> None:
    assert DEFAULT_LIMITS.max_record_bytes == MAX_RECORD_BYTES == 5 * 1024 * 1024


def test_archive_kind_is_read_from_the_magic_bytes_not_the_name(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "cables.csv", {"a.txt": b"text"})
    assert archive_kind(path.read_bytes()[:512]) == "zip"


def test_zip_members_come_out_in_order_with_their_bytes(tmp_path: Path, seed: bytes) -> None:
    path = make_zip(tmp_path / "cables.zip", {"b/seed.txt": seed, "a/empty.txt": b""})
    assert read_all(path) == [
        ("member", "b/seed.txt", seed.decode("latin-1"), ""),
        ("member", "a/empty.txt", "", ""),
    ]


def test_tar_gz_members_are_read_without_extraction(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "cables.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(data_dir / "seed.txt", arcname="scoop/seed.txt")
    text = (data_dir / "seed.txt").read_bytes().decode("latin-1")
    assert read_all(path) == [("member", "scoop/seed.txt", text, "")]
    assert list(tmp_path.iterdir()) == [path]


def test_tar_long_names_and_pax_paths_name_their_members(tmp_path: Path) -> None:
    long = "cables/" + "x" * 120 + ".txt"
    gnu = make_tar(tmp_path / "gnu.tar", [regular(long)], mode="w")
    with tarfile.open(tmp_path / "pax.tar", "w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(regular("späť/" + long), io.BytesIO(b"x" * 10))
    assert [item[1] for item in read_all(gnu)] == [long]
    assert [item[1] for item in read_all(tmp_path / "pax.tar")] == ["späť/" + long]


def test_a_single_gz_file_is_one_member_named_without_the_suffix(
    tmp_path: Path, seed: bytes
) -> None:
    path = tmp_path / "seed.txt.gz"
    path.write_bytes(gzip.compress(seed))
    assert kinds(read_all(path)) == [("member", "seed.txt")]


def test_concatenated_gzip_streams_are_one_member(tmp_path: Path) -> None:
    path = tmp_path / "parts.gz"
    path.write_bytes(gzip.compress(b"first\n") + gzip.compress(b"second\n"))
    assert read_all(path) == [("member", "parts", "first\nsecond\n", "")]


def test_a_zip_from_a_pipe_is_read_from_its_local_headers(tmp_path: Path, seed: bytes) -> None:
    path = make_zip(tmp_path / "a.zip", {"seed.txt": seed, "b.txt": b"bee"})
    items = walk(through_a_pipe(path.read_bytes()), "a.zip", DEFAULT_LIMITS)
    assert items == [
        ("member", "seed.txt", seed.decode("latin-1"), ""),
        ("member", "b.txt", "bee", ""),
    ]


class Sink:
    """Somewhere to write that cannot seek, so zipfile puts sizes after the data."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        pass


def test_a_zip_written_to_a_pipe_is_read_through_its_data_descriptors(seed: bytes) -> None:
    sink = Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:  # type: ignore[arg-type]
        archive.writestr("seed.txt", seed)
        archive.writestr("b.txt", b"bee")
    data = bytes(sink.data)
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x8
    items = walk(through_a_pipe(data), "a.zip", DEFAULT_LIMITS)
    assert kinds(items) == [("member", "seed.txt"), ("member", "b.txt")]
    assert items[0][2] == seed.decode("latin-1") and items[0][3] == ""


def test_zip64_local_headers_give_their_sizes(tmp_path: Path, seed: bytes) -> None:
    path = tmp_path / "big.zip"
    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
    with archive, archive.open("seed.txt", "w", force_zip64=True) as member:
        member.write(seed)
    items = walk(through_a_pipe(path.read_bytes()), "big.zip", DEFAULT_LIMITS)
    assert items == [("member", "seed.txt", seed.decode("latin-1"), "")]


# Cut archives keep what came before the cut ---------------------------------------------


def test_a_zip_cut_short_keeps_its_complete_members(tmp_path: Path, seed: bytes) -> None:
    whole = make_zip(tmp_path / "whole.zip", {"a.txt": seed, "b.txt": seed}).read_bytes()
    second = whole.find(b"PK\x03\x04", 4)
    path = tmp_path / "cut.zip"
    path.write_bytes(whole[: second + 500])
    items = read_all(path)
    assert kinds(items) == [("member", "a.txt"), ("member", "b.txt")]
    assert items[0][2:] == (seed.decode("latin-1"), "")
    assert (
        items[1][3] == f"cut.zip: member 'b.txt': truncated at byte {second + 500} of the archive"
    )


def test_a_zip_cut_between_members_says_where(tmp_path: Path, seed: bytes) -> None:
    whole = make_zip(tmp_path / "whole.zip", {"a.txt": seed, "b.txt": seed}).read_bytes()
    second = whole.find(b"PK\x03\x04", 4)
    path = tmp_path / "cut.zip"
    path.write_bytes(whole[:second])
    assert read_all(path)[1] == (
        "stopped",
        f"cut.zip: truncated at byte {second} of the archive: "
        "it ends without its central directory",
    )


def test_a_tar_gz_cut_short_names_the_compressed_offset(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "whole.tar.gz", [regular("a.txt", 5000), regular("b.txt", 90_000)])
    whole = path.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) - 40])
    items = read_all(cut)
    assert kinds(items) == [("member", "a.txt"), ("member", "b.txt")]
    assert items[0][3] == ""
    assert items[1][3].startswith(
        f"cut.tar.gz: truncated at byte {len(whole) - 40} of the compressed"
    )


def test_a_plain_tar_cut_short_names_the_offset(tmp_path: Path) -> None:
    whole = make_tar(tmp_path / "whole.tar", [regular("a.txt", 600)], mode="w").read_bytes()
    path = tmp_path / "cut.tar"
    path.write_bytes(whole[:1000])
    [item] = read_all(path)
    assert item[3] == "cut.tar: truncated at byte 1000 of the tar data: member 'a.txt' ends early"


def test_a_cut_tar_gz_is_refused_by_the_check(tmp_path: Path, data_dir: Path) -> None:
    whole = tmp_path / "whole.tar.gz"
    with tarfile.open(whole, "w:gz") as archive:
        archive.add(data_dir / "cables_tiny.csv", "cables.csv")
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(whole.read_bytes()[:5000])
    with pytest.raises(ArchiveRejected, match="truncated at byte"):
        check_archive(path)


# Refused members, and the others still read ---------------------------------------------


def test_a_clean_zip_of_real_data_passes_the_check(tmp_path: Path, seed: bytes) -> None:
    path = make_zip(tmp_path / "cables.zip", {"pages/seed.txt": seed})
    assert check_archive(path) is None


def test_a_plain_file_passes_the_check(data_dir: Path) -> None:
    assert check_archive(data_dir / "seed.txt") is None


def test_zip_member_with_parent_path_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "evil.zip", {"../evil": b"x"})
    with pytest.raises(ArchiveRejected, match=r"'\.\./evil' escapes the archive"):
        check_archive(path)


def test_zip_member_with_absolute_path_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "evil.zip", {"/etc/cron.d/evil": b"x"})
    with pytest.raises(ArchiveRejected, match="has an absolute path"):
        check_archive(path)


def test_refused_zip_members_leave_the_others_readable(tmp_path: Path) -> None:
    members = {"a.txt": b"a", "../evil": b"x", "C:/evil": b"x", "b.txt": b"b"}
    path = make_zip(tmp_path / "evil.zip", members)
    assert read_all(path) == [
        ("member", "a.txt", "a", ""),
        ("refused", "../evil", "evil.zip: member '../evil' escapes the archive (path traversal)"),
        ("refused", "C:/evil", "evil.zip: member 'C:/evil' has an absolute path"),
        ("member", "b.txt", "b", ""),
    ]


def test_an_encrypted_zip_member_is_refused_alone(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "locked.zip", {"a.txt": b"a", "secret.txt": b"s", "b.txt": b"b"})
    mark_encrypted(path, b"secret.txt")
    expected = [
        ("member", "a.txt", "a", ""),
        ("refused", "secret.txt", "locked.zip: member 'secret.txt' is encrypted"),
        ("member", "b.txt", "b", ""),
    ]
    assert read_all(path) == expected
    assert walk(through_a_pipe(path.read_bytes()), "locked.zip", DEFAULT_LIMITS) == expected


def test_a_zip_symlink_member_is_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("passwd")
    link.external_attr = 0o120777 << 16
    path = tmp_path / "links.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(link, "/etc/passwd")
        archive.writestr("a.txt", b"a")
    assert kinds(read_all(path)) == [("refused", "passwd"), ("member", "a.txt")]
    assert "is a link or special file (a symbolic link)" in read_all(path)[0][2]


def test_tar_member_with_parent_path_is_refused(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "evil.tar.gz", [regular("cables/../../evil")])
    with pytest.raises(ArchiveRejected, match="path traversal"):
        check_archive(path)


def test_tar_symlink_is_refused(tmp_path: Path) -> None:
    link = special("passwd", tarfile.SYMTYPE, "/etc/passwd")
    path = make_tar(tmp_path / "evil.tar.gz", [regular("ok.txt"), link])
    with pytest.raises(ArchiveRejected, match="'passwd' is a symbolic link"):
        check_archive(path)


def test_tar_hard_link_is_refused(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "evil.tar", [special("shadow", tarfile.LNKTYPE, "/etc/shadow")], "w")
    with pytest.raises(ArchiveRejected, match="'shadow' is a hard link"):
        check_archive(path)


def test_tar_device_is_refused(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "evil.tar", [special("sda", tarfile.BLKTYPE)], mode="w")
    with pytest.raises(ArchiveRejected, match="device or special file"):
        check_archive(path)


def test_refused_tar_members_leave_the_others_readable(tmp_path: Path) -> None:
    members = [
        regular("a.txt", 3),
        special("passwd", tarfile.SYMTYPE, "/etc/passwd"),
        special("shadow", tarfile.LNKTYPE, "/etc/shadow"),
        special("pipe", tarfile.FIFOTYPE),
        regular("../evil", 700),
        regular("b.txt", 4),
    ]
    path = make_tar(tmp_path / "evil.tar.gz", members)
    assert read_all(path) == [
        ("member", "a.txt", "xxx", ""),
        ("refused", "passwd", "evil.tar.gz: member 'passwd' is a symbolic link"),
        ("refused", "shadow", "evil.tar.gz: member 'shadow' is a hard link"),
        ("refused", "pipe", "evil.tar.gz: member 'pipe' is a device or special file"),
        (
            "refused",
            "../evil",
            "evil.tar.gz: member '../evil' escapes the archive (path traversal)",
        ),
        ("member", "b.txt", "xxxx", ""),
    ]


# Limits over the whole archive ----------------------------------------------------------


def test_zip_with_too_many_members_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "many.zip", {f"{n}.txt": b"x" for n in range(4)})
    with pytest.raises(ArchiveRejected, match="more than 3 members"):
        check_archive(path, Limits(max_members=3))


def test_reading_stops_at_the_member_over_the_count(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "many.zip", {f"{n}.txt": b"x" for n in range(4)})
    assert kinds(read_all(path, Limits(max_members=3))) == [
        ("member", "0.txt"),
        ("member", "1.txt"),
        ("member", "2.txt"),
        ("stopped", ""),
    ]


def test_tar_with_too_many_members_is_refused(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "many.tar.gz", [regular(f"{n}.txt") for n in range(4)])
    with pytest.raises(ArchiveRejected, match="more than 3 members"):
        check_archive(path, Limits(max_members=3))


def test_zip_over_the_declared_total_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "big.zip", {"a.txt": b"a" * 600, "b.txt": b"b" * 600})
    with pytest.raises(ArchiveRejected, match="exceeds the limit of 1000 bytes"):
        check_archive(path, Limits(max_total_bytes=1000))


def test_reading_stops_at_the_member_over_the_declared_total(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "big.zip", {"a.txt": b"a" * 600, "b.txt": b"b" * 600})
    items = read_all(path, Limits(max_total_bytes=1000))
    assert items == [
        ("member", "a.txt", "a" * 600, ""),
        ("stopped", "big.zip: declared uncompressed size exceeds the limit of 1000 bytes"),
    ]


def test_tar_over_the_declared_total_is_refused(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "big.tar.gz", [regular("a.txt", 600), regular("b.txt", 600)])
    with pytest.raises(ArchiveRejected, match="exceeds the limit of 1000 bytes"):
        check_archive(path, Limits(max_total_bytes=1000))


def test_reading_past_the_total_limit_keeps_the_bytes_before_it(tmp_path: Path) -> None:
    path = tmp_path / "text.gz"
    path.write_bytes(gzip.compress(b"TAGS: PREL\n" * 1000))
    [(_, _, data, cut)] = read_all(path, Limits(max_total_bytes=5000))
    assert data == ("TAGS: PREL\n" * 1000)[:5000]
    assert cut == "text.gz: uncompressed data exceeds the limit of 5000 bytes (found while reading)"


# Bombs ------------------------------------------------------------------------------------


def test_zip_bomb_is_refused_from_its_declared_ratio(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "bomb.zip", {"zeros.txt": bytes(BOMB_SIZE)})
    with pytest.raises(ArchiveRejected, match="compression ratio of .* over the limit of 100:1"):
        check_archive(path)


def test_a_zip_bomb_member_is_refused_and_its_neighbours_read(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "bomb.zip", {"zeros.txt": bytes(BOMB_SIZE), "a.txt": b"a"})
    assert kinds(read_all(path)) == [("refused", "zeros.txt"), ("member", "a.txt")]


def test_zip_with_a_lying_size_header_passes_the_check(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "liar.zip", {"zeros.txt": bytes(BOMB_SIZE)})
    lie_about_size(path, 100_000)
    assert check_archive(path) is None


def test_zip_with_a_lying_size_header_is_caught_while_reading(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "liar.zip", {"zeros.txt": bytes(BOMB_SIZE), "a.txt": b"a"})
    lie_about_size(path, 100_000)
    items = read_all(path)
    assert len(items[0][2]) <= 100_000
    assert "'zeros.txt' is corrupt or does not match its header" in items[0][3]
    assert items[1] == ("member", "a.txt", "a", "")


def test_gzip_bomb_is_caught_while_reading_by_its_ratio(tmp_path: Path) -> None:
    path = tmp_path / "zeros.gz"
    path.write_bytes(gzip.compress(bytes(BOMB_SIZE)))
    [(_, _, data, cut)] = read_all(path)
    assert len(data) < BOMB_SIZE // 4
    assert "beyond a compression ratio of 100:1 while reading" in cut


def test_tar_gz_bomb_stops_the_archive_by_its_ratio(tmp_path: Path) -> None:
    path = tmp_path / "zeros.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.addfile(regular("zeros.txt", BOMB_SIZE), io.BytesIO(bytes(BOMB_SIZE)))
        archive.addfile(regular("a.txt", 1), io.BytesIO(b"a"))
    items = read_all(path)
    assert kinds(items) == [("member", "zeros.txt")]
    assert "beyond a compression ratio of 100:1 while reading" in items[0][3]


def test_gzip_bomb_with_an_honest_trailer_is_refused_by_the_check(tmp_path: Path) -> None:
    path = tmp_path / "zeros.gz"
    path.write_bytes(gzip.compress(bytes(BOMB_SIZE)))
    with pytest.raises(ArchiveRejected, match="compression ratio"):
        check_archive(path)


def test_a_stream_neither_seekable_nor_buffered_is_stopped_not_raised() -> None:
    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

    [item] = iter_members(Pipe(), "odd.zip")  # type: ignore[arg-type]
    assert isinstance(item, Stopped) and "neither seekable nor buffered" in item.reason
