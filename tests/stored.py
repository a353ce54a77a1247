"""What the uploads storage holds, whichever the settings chose (a folder or the database)."""

from pathlib import Path

from django.core.files import File

from cables import uploads


def store(source: Path, key: str) -> str:
    """Save a file in the uploads storage, as the admin upload would."""
    with source.open("rb") as handle:
        return uploads.upload_storage().save(key, File(handle))


def is_kept(key: str) -> bool:
    return uploads.kept([key]) == [key]


def nothing_stored() -> bool:
    storage = uploads.upload_storage()
    try:
        folders, files = storage.listdir("")
    except FileNotFoundError:
        return True
    return folders == [] and files == []


def drop(key: str) -> None:
    """Lose a stored file behind the job's back."""
    uploads.upload_storage().delete(key)
