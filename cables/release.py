"""A digest of the code and templates that render the archive, the same on every process.

It changes with any upgrade, migrations included, so what is keyed by it (ETags, whole-archive
caches) never outlives the code that made it.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


@cache
def release() -> str:
    digest = hashlib.sha1()
    for folder, pattern in (("cables", "**/*.py"), ("templates", "**/*.html")):
        for path in sorted((_ROOT / folder).glob(pattern)):
            digest.update(path.relative_to(_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
