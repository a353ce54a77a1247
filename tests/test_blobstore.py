"""Files kept in the database: written and read one fixed-size chunk at a time."""

import io
import random
import zipfile

import pytest
from django.core.files import File
from django.core.files.base import ContentFile

from cables.blobstore import DatabaseStorage
from cables.models import StoredUpload, StoredUploadChunk

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage() -> DatabaseStorage:
    return DatabaseStorage(chunk_bytes=10)


class Dribble(io.RawIOBase):
    """A stream whose reads return a few bytes at a time, as a socket's do."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.data.read(min(len(buffer), 3))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("size", [0, 1, 9, 10, 11, 20, 95])
def test_a_file_reads_back_byte_for_byte_at_every_size(storage, size):
    data = random.Random(size).randbytes(size)
    name = storage.save("job/000/a.bin", ContentFile(data))
    with storage.open(name) as handle:
        assert handle.read() == data
    assert storage.size(name) == size


def test_every_chunk_but_the_last_is_full_whatever_the_reads_return(storage):
    data = bytes(range(256)) * 2
    storage.save("job/000/a.bin", File(Dribble(data), name="a.bin"))
    sizes = list(StoredUploadChunk.objects.order_by("index").values_list("data", flat=True))
    assert [len(chunk) for chunk in sizes[:-1]] == [10] * (len(sizes) - 1)
    with storage.open("job/000/a.bin") as handle:
        assert handle.read() == data


def test_reading_holds_one_chunk_not_the_file(storage, django_assert_max_num_queries):
    storage.save("job/000/a.bin", ContentFile(b"x" * 100))
    with storage.open("job/000/a.bin") as handle, django_assert_max_num_queries(1):
        assert handle.read(5) == b"xxxxx"


def test_a_zip_in_the_database_opens_without_a_copy(storage):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "first")
        archive.writestr("b.txt", "second " * 20)
    storage.save("job/000/x.zip", ContentFile(buffer.getvalue()))
    with storage.open("job/000/x.zip") as handle, zipfile.ZipFile(handle) as archive:
        assert archive.read("b.txt") == b"second " * 20


def test_seeking_reads_from_anywhere(storage):
    storage.save("job/000/a.bin", ContentFile(bytes(range(50))))
    with storage.open("job/000/a.bin") as handle:
        handle.seek(-3, io.SEEK_END)
        assert handle.read() == bytes([47, 48, 49])
        handle.seek(12)
        assert handle.read(4) == bytes([12, 13, 14, 15])


def test_a_taken_name_gets_another(storage):
    first = storage.save("job/000/a.txt", ContentFile(b"1"))
    second = storage.save("job/000/a.txt", ContentFile(b"2"))
    assert first != second
    assert storage.open(second).read() == b"2"


def test_deleting_removes_the_file_and_its_chunks(storage):
    storage.save("job/000/a.bin", ContentFile(b"x" * 35))
    storage.delete("job/000/a.bin")
    assert not storage.exists("job/000/a.bin")
    assert not StoredUploadChunk.objects.exists()
    storage.delete("job/000/a.bin")  # deleting what is gone is no error


def test_listing_shows_folders_then_files(storage):
    for name in ("j1/000/a.txt", "j1/001/b.txt", "j2/000/c.txt", "top.txt"):
        storage.save(name, ContentFile(b"x"))
    assert storage.listdir("") == (["j1", "j2"], ["top.txt"])
    assert storage.listdir("j1") == (["000", "001"], [])
    assert storage.listdir("j1/000/") == ([], ["a.txt"])


def test_a_missing_file_is_a_clear_error(storage):
    with pytest.raises(FileNotFoundError, match="no stored upload named 'nope'"):
        storage.open("nope")


def test_files_are_never_opened_to_write_nor_served(storage):
    storage.save("a.txt", ContentFile(b"x"))
    with pytest.raises(ValueError):
        storage.open("a.txt", "wb")
    with pytest.raises(NotImplementedError):
        storage.url("a.txt")


def test_a_failed_save_stores_nothing(storage):
    class Broken(io.RawIOBase):
        calls = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.calls += 1
            if self.calls > 2:
                raise OSError("connection reset")
            buffer[:10] = b"y" * 10
            return 10

    with pytest.raises(OSError):
        storage.save("a.bin", File(Broken(), name="a.bin"))
    assert not StoredUpload.objects.exists()
    assert not StoredUploadChunk.objects.exists()
