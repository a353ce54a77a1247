"""Archives are read member by member without extraction, and malicious ones are refused."""

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
    archive_kind,
    check_archive,
    iter_members,
)

BOMB_SIZE = 20 * 1024 * 1024  # zeros; deflate squeezes them about 1000:1


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def make_tar(path: Path, members: list[tarfile.TarInfo], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as archive:
        for info in members:
            archive.addfile(info, io.BytesIO(b"x" * info.size) if info.isreg() else None)
    return path


def regular(name: str, size: int = 10) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    return info


def read_all(path: Path, limits: Limits = DEFAULT_LIMITS) -> dict[str, bytes]:
    with path.open("rb") as file:
        return {name: stream.read() for name, stream in iter_members(file, path.name, limits)}


def lie_about_size(path: Path, declared: int) -> None:
    """Rewrite the uncompressed size in the zip's local and central headers."""
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))


def test_archive_kind_is_read_from_the_magic_bytes_not_the_name(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "cables.csv", {"a.txt": b"text"})
    assert archive_kind(path.read_bytes()[:512]) == "zip"


def test_a_clean_zip_of_real_data_passes_the_check(tmp_path: Path, data_dir: Path) -> None:
    seed = (data_dir / "seed.txt").read_bytes()
    path = make_zip(tmp_path / "cables.zip", {"pages/seed.txt": seed})
    assert check_archive(path) is None


def test_zip_members_come_out_in_order_with_their_bytes(tmp_path: Path, data_dir: Path) -> None:
    seed = (data_dir / "seed.txt").read_bytes()
    path = make_zip(tmp_path / "cables.zip", {"b/seed.txt": seed, "a/empty.txt": b""})
    assert read_all(path) == {"b/seed.txt": seed, "a/empty.txt": b""}


def test_tar_gz_members_are_read_without_extraction(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "cables.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(data_dir / "seed.txt", arcname="scoop/seed.txt")
    assert read_all(path) == {"scoop/seed.txt": (data_dir / "seed.txt").read_bytes()}


def test_a_single_gz_file_is_one_member_named_without_the_suffix(
    tmp_path: Path, data_dir: Path
) -> None:
    path = tmp_path / "seed.txt.gz"
    path.write_bytes(gzip.compress((data_dir / "seed.txt").read_bytes()))
    assert list(read_all(path)) == ["seed.txt"]


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


def test_tar_member_with_parent_path_is_refused(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "evil.tar.gz", [regular("cables/../../evil")])
    with pytest.raises(ArchiveRejected, match="path traversal"):
        check_archive(path)


def test_tar_symlink_is_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("passwd")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    path = make_tar(tmp_path / "evil.tar.gz", [regular("ok.txt"), link])
    with pytest.raises(ArchiveRejected, match="'passwd' is a symbolic link"):
        check_archive(path)


def test_tar_hard_link_is_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("shadow")
    link.type, link.linkname = tarfile.LNKTYPE, "/etc/shadow"
    path = make_tar(tmp_path / "evil.tar", [link], mode="w")
    with pytest.raises(ArchiveRejected, match="'shadow' is a hard link"):
        check_archive(path)


def test_tar_device_is_refused(tmp_path: Path) -> None:
    device = tarfile.TarInfo("sda")
    device.type = tarfile.BLKTYPE
    path = make_tar(tmp_path / "evil.tar", [device], mode="w")
    with pytest.raises(ArchiveRejected, match="device or special file"):
        check_archive(path)


def test_zip_with_too_many_members_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "many.zip", {f"{n}.txt": b"x" for n in range(4)})
    with pytest.raises(ArchiveRejected, match="more than 3 members"):
        check_archive(path, Limits(max_members=3))


def test_tar_with_too_many_members_is_refused(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "many.tar.gz", [regular(f"{n}.txt") for n in range(4)])
    with pytest.raises(ArchiveRejected, match="more than 3 members"):
        check_archive(path, Limits(max_members=3))


def test_zip_bomb_is_refused_from_its_declared_ratio(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "bomb.zip", {"zeros.txt": bytes(BOMB_SIZE)})
    with pytest.raises(ArchiveRejected, match="compression ratio of .* over the limit of 100:1"):
        check_archive(path)


def test_zip_over_the_declared_total_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "big.zip", {"a.txt": b"a" * 600, "b.txt": b"b" * 600})
    with pytest.raises(ArchiveRejected, match="exceeds the limit of 1000 bytes"):
        check_archive(path, Limits(max_total_bytes=1000))


def test_tar_over_the_declared_total_is_refused(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "big.tar.gz", [regular("a.txt", 600), regular("b.txt", 600)])
    with pytest.raises(ArchiveRejected, match="exceeds the limit of 1000 bytes"):
        check_archive(path, Limits(max_total_bytes=1000))


def test_zip_with_a_lying_size_header_passes_the_check(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "liar.zip", {"zeros.txt": bytes(BOMB_SIZE)})
    lie_about_size(path, 100_000)
    assert check_archive(path) is None


def test_zip_with_a_lying_size_header_is_caught_while_reading(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "liar.zip", {"zeros.txt": bytes(BOMB_SIZE)})
    lie_about_size(path, 100_000)
    with pytest.raises(ArchiveRejected, match="'zeros.txt' is corrupt or does not match"):
        read_all(path)


def test_gzip_bomb_is_caught_while_reading_by_its_ratio(tmp_path: Path) -> None:
    path = tmp_path / "zeros.gz"
    path.write_bytes(gzip.compress(bytes(BOMB_SIZE)))
    with pytest.raises(ArchiveRejected, match="beyond a compression ratio of 100:1 while reading"):
        read_all(path)


def test_gzip_bomb_with_an_honest_trailer_is_refused_by_the_check(tmp_path: Path) -> None:
    path = tmp_path / "zeros.gz"
    path.write_bytes(gzip.compress(bytes(BOMB_SIZE)))
    with pytest.raises(ArchiveRejected, match="compression ratio"):
        check_archive(path)


def test_reading_past_the_total_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "text.gz"
    path.write_bytes(gzip.compress(b"TAGS: PREL\n" * 1000))
    with pytest.raises(ArchiveRejected, match="limit of 5000 bytes .found while reading"):
        read_all(path, Limits(max_total_bytes=5000))


def test_zip_cannot_be_read_from_a_pipe(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "a.zip", {"a.txt": b"x"})
    pipe = io.BufferedReader(io.BytesIO(path.read_bytes()))  # type: ignore[arg-type]
    pipe.seekable = lambda: False  # type: ignore[method-assign]
    with pytest.raises(ArchiveRejected, match="cannot be read from a pipe"):
        list(iter_members(pipe, "a.zip"))
