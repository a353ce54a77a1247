#!/usr/bin/env python
"""Import rate: the sample cables repeated under fresh reference ids, into a fresh database.

    python bench/import_rate.py [--cables 10000] [--batch-size 500]
                                [--database-url postgres://postgres@127.0.0.1:5432/postgres]

Each copy of sample/ gets new reference ids (metadata and the classification line's serial), so
every cable is new. The import runs as a child `manage.py import_cables`; its peak RSS is read
from the child's own resource usage. With --database-url a scratch database is created on that
server and dropped afterwards; by default a temporary SQLite file is used.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cables.readers import RawRecord, read_records  # noqa: E402

SAMPLE = ROOT / "sample"
REFID = re.compile(r"^(\d\d)(.*?)(\d+)$")
CLASSIFICATION_SERIAL = re.compile(
    r"((?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|C O N F I D E N T I A L"
    r"|S E C R E T|U N C L A S S I F I E D)[^\n&<]*?\s)0*(\d+)(?=[ \t]*(?:\r?\n|&#x000A;|$))"
)


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="cablearchive-bench-") as tmp:
        corpus, cables = build_corpus(Path(tmp) / "corpus", args.cables)
        print(f"corpus: {cables:,} cables from {SAMPLE} ({_size(corpus) / 1e6:.0f} MB)")
        with scratch_database(args.database_url, Path(tmp)) as url:
            _manage(url, "migrate", "--noinput", "-v0")
            elapsed, rss_kb, output = import_in_child(url, corpus, args.batch_size)
    print(output.strip())
    print(f"database: {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}")
    print(f"elapsed (child process, wall): {elapsed:.1f} s")
    print(f"rate: {cables / elapsed:,.0f} cables/s")
    print(f"peak RSS of the import process: {rss_kb / 1024:.0f} MB")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cables", type=int, default=10_000, help="at least this many cables")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database-url", help="a PostgreSQL server to create a scratch db on")
    return parser.parse_args()


def build_corpus(folder: Path, wanted: int) -> tuple[Path, int]:
    files = sorted(p for p in SAMPLE.rglob("*") if p.is_file())
    refids = {r.metadata.refid for r in read_records([SAMPLE]) if isinstance(r, RawRecord)}
    refids.discard(None)
    per_copy = sum(1 for r in read_records([SAMPLE]) if isinstance(r, RawRecord))
    copies = math.ceil(wanted / per_copy)
    any_refid = re.compile(r"\b(" + "|".join(sorted(refids, key=len, reverse=True)) + r")\b")
    for copy in range(1, copies + 1):
        for file in files:
            # latin-1 maps bytes one to one, so whatever the encoding only the ids change.
            text = file.read_bytes().decode("latin-1")
            text = any_refid.sub(lambda m, c=copy: _new_refid(m.group(1), c), text)
            text = CLASSIFICATION_SERIAL.sub(
                lambda m, c=copy: m.group(1) + _new_serial(m.group(2), c), text
            )
            target = folder / f"copy{copy:04d}" / file.relative_to(SAMPLE)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("latin-1"))
    return folder, copies * per_copy


def _new_serial(serial: str, copy: int) -> str:
    return str(int(f"{copy}{int(serial):06d}"))


def _new_refid(refid: str, copy: int) -> str:
    year, station, serial = REFID.match(refid).groups()
    return f"{year}{station}{_new_serial(serial, copy)}"


class scratch_database:
    """A temporary SQLite file, or a database created on the given PostgreSQL server."""

    def __init__(self, server_url: str | None, tmp: Path) -> None:
        self.server_url = server_url
        self.name = f"cablearchive_bench_{os.getpid()}"
        self.url = f"sqlite:///{tmp / 'bench.sqlite3'}"

    def __enter__(self) -> str:
        if self.server_url:
            self._admin(f'CREATE DATABASE "{self.name}"')
            parts = urlsplit(self.server_url)
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        return self.url

    def __exit__(self, *exc) -> None:
        if self.server_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(statement)


def import_in_child(url: str, corpus: Path, batch_size: int) -> tuple[float, int, str]:
    """Run the import command; (wall seconds, peak RSS in KiB, its summary line)."""
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "manage.py", "import_cables", "--batch-size", str(batch_size), corpus],
        cwd=ROOT,
        env=_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    if child.returncode not in (0, 1):
        raise SystemExit(f"import_cables failed with status {child.returncode}")
    return elapsed, usage.ru_maxrss, output


def _manage(url: str, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=_env(url), check=True)


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SECRET_KEY": "bench", "DJANGO_DEBUG": "0"}


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


if __name__ == "__main__":
    main()
