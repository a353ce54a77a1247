#!/usr/bin/env python
"""Import rate: real cables repeated under fresh reference ids, into a fresh database.

    python bench/import_rate.py [--cables 10000] [--corpus csv|sample] [--batch-size 500]
                                [--database-url postgres://postgres@127.0.0.1:5432/postgres]

The default corpus is one file in the cables.csv format (8 quoted columns, backslash escapes,
CRLF inside fields) built from every distinct real cable in ../shared/data: the CSV rows, the
WikiLeaks pages and the Scoop seed, read with `cables.readers.read_records`. Each copy gets new
reference ids (the refid column and the classification line's serial), so every cable is new.
`--corpus sample` copies the sample/ folder instead (HTML pages, a Scoop page, CSV files).

The import runs as a child `manage.py import_cables`. Its peak RSS is read from the child's own
resource usage; the peak of the child with its parse workers is sampled from /proc. With
--database-url a scratch database is created on that server and dropped afterwards; by default a
temporary SQLite file is used.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cables.readers import RawRecord, read_records  # noqa: E402

SAMPLE = ROOT / "sample"
SHARED_DATA = ROOT.parent / "shared" / "data"
REFID = re.compile(r"^(\d\d)(.*?)(\d+)$")
CLASSIFICATION_SERIAL = re.compile(
    r"((?:UNCLASSIFIED|UNCLAS|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|C O N F I D E N T I A L"
    r"|S E C R E T|U N C L A S S I F I E D)[^\n&<]*?\s)0*(\d+)(?=[ \t]*(?:\r?\n|&#x000A;|$))"
)
CSV_DATE = "%m/%d/%Y %H:%M"


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="cablearchive-bench-") as tmp:
        if args.corpus == "sample":
            corpus, cables = build_sample_corpus(Path(tmp) / "corpus", args.cables)
            origin = SAMPLE
        else:
            corpus, cables = build_csv_corpus(Path(tmp) / "cables.csv", args.cables, args.data)
            origin = args.data
        print(f"corpus: {cables:,} cables, {_size(corpus) / 1e6:.0f} MB, from {origin}")
        with scratch_database(args.database_url, Path(tmp)) as url:
            _manage(url, "migrate", "--noinput", "-v0")
            run = import_in_child(url, corpus, args.batch_size)
    print(run.output.strip())
    print(f"database: {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}")
    print(f"elapsed (child process, wall): {run.elapsed:.1f} s")
    print(f"rate: {cables / run.elapsed:,.0f} cables/s")
    print(
        f"CPU: {run.cpu_seconds:.1f} s in the import process and its workers; "
        f"all {os.cpu_count()} CPUs {run.busy:.0%} busy during the run"
    )
    print(f"peak RSS of the import process: {run.rss_kb / 1024:.0f} MB")
    print(f"peak PSS of the import process with its parse workers: {run.tree_kb / 1024:.0f} MB")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cables", type=int, default=10_000, help="how many cables")
    parser.add_argument("--corpus", choices=["csv", "sample"], default="csv")
    parser.add_argument(
        "--data", type=Path, default=SHARED_DATA, help="real cables for --corpus csv"
    )
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database-url", help="a PostgreSQL server to create a scratch db on")
    return parser.parse_args()


# --- the cables.csv corpus -----------------------------------------------------------------------


def build_csv_corpus(target: Path, wanted: int, data: Path) -> tuple[Path, int]:
    """One cables.csv file of `wanted` rows, the real cables repeated under fresh ids."""
    templates = _distinct_cables(data)
    if not templates:
        raise SystemExit(f"no cables found in {data}")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        for row in _rows(templates, wanted):
            out.write(row)
            written += 1
    return target, written


def _distinct_cables(data: Path) -> list[RawRecord]:
    seen: dict[str, RawRecord] = {}
    for record in read_records([data]):
        refid = record.metadata.refid if isinstance(record, RawRecord) else None
        if refid and REFID.match(refid) and record.metadata.created:
            seen.setdefault(refid, record)
    return list(seen.values())


def _rows(templates: list[RawRecord], wanted: int) -> Iterator[str]:
    dump_id = 0
    for copy in range(1, math.ceil(wanted / len(templates)) + 1):
        for record in templates:
            dump_id += 1
            if dump_id > wanted:
                return
            yield _csv_row(dump_id, record, copy)


def _csv_row(dump_id: int, record: RawRecord, copy: int) -> str:
    meta = record.metadata
    body = CLASSIFICATION_SERIAL.sub(
        lambda m: m.group(1) + _new_serial(m.group(2), copy), record.body
    )
    fields = [
        str(dump_id),
        meta.created.strftime(CSV_DATE),
        _new_refid(meta.refid, copy),
        meta.origin or "",
        meta.classification or "",
        "|".join(meta.references),
        record.header,
        body,
    ]
    return ",".join(_quoted(field) for field in fields) + "\r\n"


def _quoted(field: str) -> str:
    escaped = field.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\r\n")
    return f'"{escaped}"'


# --- the sample corpus ---------------------------------------------------------------------------


def build_sample_corpus(folder: Path, wanted: int) -> tuple[Path, int]:
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


# --- running the import --------------------------------------------------------------------------


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


class Run:
    def __init__(self, elapsed: float, rss_kb: int, tree_kb: int, output: str) -> None:
        self.elapsed, self.rss_kb, self.tree_kb, self.output = elapsed, rss_kb, tree_kb, output
        self.cpu_seconds = 0.0  # the import process and its parse workers
        self.busy = 0.0  # share of all CPUs busy during the run, whoever used them


def import_in_child(url: str, corpus: Path, batch_size: int) -> Run:
    """Run the import command: wall seconds, its peak RSS and its tree's peak PSS (KiB), summary."""
    started, ticks = time.monotonic(), _cpu_ticks()
    child = subprocess.Popen(
        [sys.executable, "manage.py", "import_cables", "--batch-size", str(batch_size), corpus],
        cwd=ROOT,
        env=_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    sampler = TreeSampler(child.pid)
    sampler.start()
    output = child.stdout.read()
    sampler.stop()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    if child.returncode not in (0, 1):
        raise SystemExit(f"import_cables failed with status {child.returncode}")
    run = Run(elapsed, usage.ru_maxrss, sampler.peak_kb, output)
    run.cpu_seconds = usage.ru_utime + usage.ru_stime
    busy, total = (now - then for now, then in zip(_cpu_ticks(), ticks, strict=True))
    run.busy = busy / total if total else 0.0
    return run


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


class TreeSampler(threading.Thread):
    """The largest summed PSS of a process and its descendants, read from /proc 10 times a second.

    PSS, not RSS: forked workers share most of their pages with the parent, and RSS would count
    those once per process.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.1):
            self.peak_kb = max(self.peak_kb, sum(map(_pss_kb, _tree(self.pid))))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return pids


def _pss_kb(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
    return int(found.group(1)) if found else 0


def _manage(url: str, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=_env(url), check=True)


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SECRET_KEY": "bench", "DJANGO_DEBUG": "0"}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


if __name__ == "__main__":
    main()
