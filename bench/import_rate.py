#!/usr/bin/env python
"""Import rate against a bare load of the same file, on SQLite and PostgreSQL.

    python bench/import_rate.py [--cables 251287] [--corpus recombined|repeated|sample]
                                [--database sqlite|postgres|both] [--baseline-only] [--profile]
                                [--postgres postgres://postgres@127.0.0.1:5432/postgres]

The default corpus is bench/corpus.py's cables.csv of recombined real text (built once, then
cached under bench/out/). `--corpus repeated` repeats the real cables of ../shared/data under fresh
reference ids and `--corpus sample` copies sample/; both are friendly data, kept for comparison.

On each database, one after the other, from an empty database to searchable, wall clock:
- the bare baseline: one table of the 8 CSV columns and the subject (a `str.find`, no parser),
  loaded with the csv module (SQLite: executemany in big transactions, then an external-content
  FTS5 index and btree indexes; PostgreSQL: a stored weighted tsvector column, two parallel COPY
  streams of the file's halves, then a GIN index and btree indexes);
- the project: `manage.py migrate` on a fresh database, then `manage.py import_cables` as a child
  process, with the peak RSS and PSS of its process tree (the import and its parse workers)
  sampled every 0.2 s, and a check of the result: cables, search hits, rejected records.
`--profile` runs the import under cProfile with `--workers 1` and prints its top functions.
Scratch databases and files are removed afterwards; only the corpus stays cached.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pstats
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import corpus as recombined  # noqa: E402

# admin_upload.py and search_rate.py take these from here.
from corpus import SHARED_DATA, build_csv_corpus, build_sample_corpus  # noqa: E402, F401

POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
GOALS = {"time": 1.3, "memory_mb": 400, "size": 1.5}  # what the project must meet, per database
SEARCH_WORD = "ambassador"
COLUMNS = "id, date, refid, origin, classification, refs, header, content, subject"
ROWS_PER_TRANSACTION = 20_000


def main() -> None:
    args = _arguments()
    csv.field_size_limit(2**31 - 1)  # cable texts run past the 128 KB default
    recombined.OUT.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=recombined.OUT))
    try:
        path, cables = _corpus(args, scratch)
        _warm(path)
        results = [_database(vendor, path, cables, scratch, args) for vendor in args.vendors]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _table(results, cables)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cables", type=int, default=recombined.RELEASE_CABLES)
    parser.add_argument(
        "--corpus", choices=["recombined", "repeated", "sample"], default="recombined"
    )
    parser.add_argument("--seed", type=int, default=1, help="for --corpus recombined")
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="the real cables")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default=POSTGRES, help="server to create scratch dbs on")
    parser.add_argument("--baseline-only", action="store_true", help="only the bare loads")
    parser.add_argument("--profile", action="store_true", help="import under cProfile, 1 worker")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--workers", type=int, help="passed to import_cables")
    parser.add_argument(
        "--reparse", action="store_true", help="then time `reparse`: as imported, and stale"
    )
    parser.add_argument(
        "--migrations",
        action="store_true",
        help="then time the migrations that reshape stored text, back and forth",
    )
    args = parser.parse_args()
    args.vendors = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    return args


def _corpus(args: argparse.Namespace, scratch: Path) -> tuple[Path, int]:
    if args.corpus == "recombined":
        return recombined.build(args.cables, args.seed, data=args.data), args.cables
    if args.corpus == "sample":
        path, cables = build_sample_corpus(scratch / "sample", args.cables)
    else:
        path, cables = build_csv_corpus(scratch / "cables.csv", args.cables, args.data)
    size = sum(file.stat().st_size for file in _files(path))
    print(f"corpus: {cables:,} cables, {size / 1e6:,.0f} MB ({args.corpus})")
    return path, cables


def _warm(path: Path) -> None:
    """Read the corpus once so that neither contender pays for the cold read."""
    for file in _files(path):
        with file.open("rb") as stream:
            while stream.read(1 << 24):
                pass


class Clock:
    """Wall seconds by phase, and how busy the machine's CPUs were meanwhile, whoever used them."""

    def __init__(self) -> None:
        self.started = self.last = time.monotonic()
        self.ticks = _cpu_ticks()
        self.phases: list[str] = []

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.phases.append(f"{name} {now - self.last:.1f} s")
        self.last = now

    def stop(self) -> tuple[float, float]:
        busy, total = (now - then for now, then in zip(_cpu_ticks(), self.ticks, strict=True))
        return time.monotonic() - self.started, busy / total if total else 0.0


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


@dataclass
class Baseline:
    seconds: float
    size: int
    hits: int
    phases: str
    busy: float


@dataclass
class Imported:
    seconds: float
    migrate_seconds: float
    peak_rss: int
    peak_pss: int
    cpu_seconds: float
    busy: float
    size: int
    summary: str
    check: dict


@dataclass
class Result:
    vendor: str
    baseline: Baseline | None
    imported: Imported | None


def _database(vendor: str, path: Path, cables: int, scratch: Path, args) -> Result:
    print(f"\n== {'SQLite' if vendor == 'sqlite' else 'PostgreSQL'}", flush=True)
    baseline = None
    if path.is_file():
        if vendor == "sqlite":
            baseline = bare_sqlite(path, scratch / "bare.sqlite3")
            _remove_sqlite(scratch / "bare.sqlite3")
        else:
            with scratch_database(args.postgres, scratch, "bare") as url:
                baseline = bare_postgres(path, url)
        print(
            f"bare baseline: {baseline.seconds:.1f} s ({cables / baseline.seconds:,.0f} cables/s), "
            f"{baseline.size / 1e6:,.0f} MB, {baseline.hits:,} hits for {SEARCH_WORD!r} "
            f"({baseline.phases}; the {os.cpu_count()} CPUs {baseline.busy:.0%} busy)"
        )
    imported = None
    if not args.baseline_only:
        if vendor == "sqlite":
            db = scratch / "import.sqlite3"
            imported = import_in_child(f"sqlite:///{db}", path, args, scratch)
            _report(imported, baseline, cables, args.profile)
            _afterwards(f"sqlite:///{db}", args, cables)
            _remove_sqlite(db)
        else:
            with scratch_database(args.postgres, scratch, "import") as url:
                imported = import_in_child(url, path, args, scratch)
                _report(imported, baseline, cables, args.profile)
                _afterwards(url, args, cables)
    return Result(vendor, baseline, imported)


# The migrations that rewrite every cable's stored text: undone to the one before them, redone.
TEXT_MIGRATIONS = [("0008_provenance", "0009_text_stored_once and 0010_text_spans")]


def _afterwards(url: str, args: argparse.Namespace, cables: int) -> None:
    """On the imported archive: a reparse with nothing to change, one where all changed, and
    the text-reshaping migrations undone and done again."""
    if args.reparse:
        for label, prepare in (
            ("nothing to change", None),
            ("every subject stale", "UPDATE cables_cable SET subject = 'stale'"),
        ):
            if prepare:
                _sql(url, prepare)
            started = time.monotonic()
            out = _manage(url, "reparse", "--restart", "--batch-size", str(args.batch_size))
            seconds = time.monotonic() - started
            print(f"reparse, {label}: {seconds:.1f} s ({cables / seconds:,.0f} cables/s)")
            print("  " + out.strip().replace("\n", "\n  "))
    if args.migrations:
        for before, migration in TEXT_MIGRATIONS:
            for target, label in ((before, "undone"), (None, "done")):
                started = time.monotonic()
                _manage(url, "migrate", "cables", *([target] if target else []), "--noinput")
                seconds = time.monotonic() - started
                print(f"migration {migration} {label}: {seconds:.1f} s")


def _sql(url: str, statement: str) -> None:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute(statement)
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement)


def _report(run: Imported, baseline: Baseline | None, cables: int, profiled: bool) -> None:
    check = run.check
    print(f"import: {run.summary}")
    print(
        f"import{' (under cProfile)' if profiled else ''}: {run.seconds:.1f} s "
        f"({cables / run.seconds:,.0f} cables/s) after a {run.migrate_seconds:.1f} s migrate; "
        f"CPU {run.cpu_seconds:.0f} s in the import and its workers, "
        f"the {os.cpu_count()} CPUs {run.busy:.0%} busy"
    )
    print(
        f"peak memory of the import's process tree: RSS {run.peak_rss / 2**20:,.0f} MB, "
        f"PSS {run.peak_pss / 2**20:,.0f} MB (goal < {GOALS['memory_mb']} MB)"
    )
    print(
        f"check: {check['cables']:,} cables, {check['hits']:,} hits for {SEARCH_WORD!r}, "
        f"{check['references']:,} references ({check['cited']:,} to cables in the archive), "
        f"{check['ref_warnings']:,} cables whose REF lines missed a listed reference"
    )
    print(f"rejected: {check['rejected']:,}")
    for error in check["errors"]:
        print(f"  {error}")
    print(f"database size: {run.size / 1e6:,.0f} MB")
    if baseline:
        print(
            f"ratio import/baseline: time {run.seconds / baseline.seconds:.2f}x "
            f"(goal <= {GOALS['time']}x), size {run.size / baseline.size:.2f}x "
            f"(goal <= {GOALS['size']}x)"
        )


def _table(results: list[Result], cables: int) -> None:
    print(f"\n{cables:,} cables")
    head = ("database", "bare s", "bare c/s", "bare MB", "import s", "import c/s", "RSS MB",
            "PSS MB", "import MB", "rejected", "time x", "size x")  # fmt: skip
    print(("{:<10}" + "{:>11}" * (len(head) - 1)).format(*head))
    for r in results:
        b, i = r.baseline, r.imported
        bare = (
            [f"{b.seconds:.1f}", f"{cables / b.seconds:,.0f}", f"{b.size / 1e6:,.0f}"] if b else []
        )
        run = [
            f"{i.seconds:.1f}", f"{cables / i.seconds:,.0f}", f"{i.peak_rss / 2**20:,.0f}",
            f"{i.peak_pss / 2**20:,.0f}", f"{i.size / 1e6:,.0f}", f"{i.check['rejected']:,}",
        ] if i else []  # fmt: skip
        ratios = [f"{i.seconds / b.seconds:.2f}", f"{i.size / b.size:.2f}"] if b and i else []
        cells = (bare or ["-"] * 3) + (run or ["-"] * 6) + (ratios or ["-"] * 2)
        print(("{:<10}" + "{:>11}" * len(cells)).format(r.vendor, *cells))


# --- the bare baselines --------------------------------------------------------------------------


def csv_rows(path: Path, start: int = 0, end: int | None = None) -> Iterator[tuple[str, ...]]:
    """The file's rows from byte `start` (a row start) to `end`, each with its subject added."""
    reader = csv.reader(_lines(path, start, end), escapechar="\\", doublequote=False)
    for row in reader:
        if row:
            yield (*row, _subject(row[7]))


def _lines(path: Path, start: int, end: int | None) -> Iterator[str]:
    with path.open("rb") as file:
        file.seek(start)
        position = start
        for line in file:
            if end is not None and position >= end:
                return
            position += len(line)
            yield line.decode("utf-8")


def _subject(content: str) -> str:
    start = content.find("SUBJECT:")
    if start < 0:
        return ""
    end = content.find("\n", start)
    return content[start + 8 : end if end >= 0 else None].strip()


def _middle(path: Path) -> int:
    """The offset of the first row that starts in the second half of the file."""
    size = path.stat().st_size
    with path.open("rb") as file:
        file.seek(size // 2)
        chunk = file.read(64 * 2**20)
    found = re.search(rb'\n"[0-9]+","', chunk)
    return size // 2 + found.start() + 1 if found else size


def bare_sqlite(path: Path, db: Path) -> Baseline:
    clock = Clock()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE cable (id INTEGER PRIMARY KEY, date TEXT, refid TEXT, origin TEXT, "
        "classification TEXT, refs TEXT, header TEXT, content TEXT, subject TEXT)"
    )
    rows = csv_rows(path)
    while True:
        conn.execute("BEGIN")
        before = conn.total_changes
        conn.executemany(f"INSERT INTO cable ({COLUMNS}) VALUES ({', '.join('?' * 9)})",
                         islice(rows, ROWS_PER_TRANSACTION))  # fmt: skip
        conn.execute("COMMIT")
        if conn.total_changes - before < ROWS_PER_TRANSACTION:
            break
    clock.lap("load")
    conn.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(subject, content, content='cable', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO fts(fts) VALUES('rebuild')")
    clock.lap("FTS5")
    for column in ("date", "refid", "origin"):
        conn.execute(f"CREATE INDEX cable_{column} ON cable ({column})")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    clock.lap("indexes and checkpoint")
    seconds, busy = clock.stop()
    hits = conn.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", [SEARCH_WORD]).fetchone()
    conn.close()
    return Baseline(
        seconds, database_size(f"sqlite:///{db}"), hits[0], ", ".join(clock.phases), busy
    )


def bare_postgres(path: Path, url: str) -> Baseline:
    clock = Clock()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE cable (id bigint, date text, refid text, origin text, "
            "classification text, refs text, header text, content text, subject text, "
            "tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(subject, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(content, '')), 'D')) STORED)"
        )
    # Forked with no connection open: a child closing an inherited one would end the parent's.
    middle = _middle(path)
    with ProcessPoolExecutor(2, mp_context=get_context("fork")) as pool:
        halves = [pool.submit(_copy, url, path, 0, middle), pool.submit(_copy, url, path, middle)]
        [half.result() for half in halves]
    clock.lap("2 COPY streams")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE INDEX cable_tsv ON cable USING gin (tsv)")
        clock.lap("GIN")
        for column in ("date", "refid", "origin"):
            conn.execute(f"CREATE INDEX cable_{column} ON cable ({column})")
        clock.lap("btree indexes")
        seconds, busy = clock.stop()
        query = "SELECT count(*) FROM cable WHERE tsv @@ plainto_tsquery('english', %s)"
        hits = conn.execute(query, [SEARCH_WORD]).fetchone()[0]
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return Baseline(seconds, size, hits, ", ".join(clock.phases), busy)


def _copy(url: str, path: Path, start: int, end: int | None = None) -> None:
    statement = f"COPY cable ({COLUMNS}) FROM STDIN"
    with psycopg.connect(url) as conn, conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in csv_rows(path, start, end):
            copy.write_row(row)


def database_size(url: str) -> int:
    """SQLite: the main file and the WAL after a checkpoint; PostgreSQL: pg_database_size."""
    if not url.startswith("sqlite:///"):
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    db = Path(url.removeprefix("sqlite:///"))
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    wal = db.with_name(db.name + "-wal")
    return db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


# --- the project's import ------------------------------------------------------------------------

_CHECK = f"""
import json
from cables import search
from cables.models import Cable, Reference, RejectedRecord
rejected = RejectedRecord.objects.order_by("id")
print(json.dumps({{
    "cables": Cable.objects.count(),
    "hits": search.matching(Cable.objects.all(), {SEARCH_WORD!r}).count(),
    "references": Reference.objects.count(),
    "cited": Reference.objects.filter(cited__isnull=False).count(),
    "ref_warnings": Cable.objects.filter(warnings__icontains="not found on REF lines").count(),
    "rejected": rejected.count(),
    "errors": [f"{{r.position}}: {{r.error[:300]}}" for r in rejected[:5]],
}}))
"""


def import_in_child(url: str, corpus: Path, args: argparse.Namespace, scratch: Path) -> Imported:
    began = time.monotonic()
    _manage(url, "migrate", "--noinput", "-v0")
    migrate_seconds = time.monotonic() - began
    command = ["manage.py", "import_cables", "--batch-size", str(args.batch_size)]
    profile = scratch / "import.prof"
    if args.profile:
        command = ["-m", "cProfile", "-o", str(profile), *command, "--workers", "1"]
    elif args.workers is not None:
        command += ["--workers", str(args.workers)]
    errors = scratch / "import.stderr"
    clock = Clock()
    with errors.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, *command, str(corpus)],
            cwd=ROOT, env=_env(url), stdout=subprocess.PIPE, stderr=stderr, text=True,
        )  # fmt: skip
        sampler = TreeSampler(child.pid)
        sampler.start()
        output = child.stdout.read()
        sampler.stop()
        _pid, status, usage = os.wait4(child.pid, 0)
    seconds, busy = clock.stop()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        tail = errors.read_text()[-3000:]
        raise SystemExit(f"import_cables failed with status {code}:\n{tail}")
    summary = (output.strip().splitlines() or ["(no summary)"])[-1]
    check = json.loads(_manage(url, "shell", "-c", _CHECK).strip().splitlines()[-1])
    run = Imported(
        seconds, migrate_seconds, sampler.peak_rss, sampler.peak_pss,
        usage.ru_utime + usage.ru_stime, busy, database_size(url), summary, check,
    )  # fmt: skip
    if args.profile:
        _print_profile(profile)
    return run


class TreeSampler(threading.Thread):
    """The peak summed RSS and PSS of a process and its descendants, sampled every 0.2 s.

    Both, because forked workers share most of their pages with the parent: RSS counts those once
    per process, PSS divides them among the processes that share them.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak_rss = self.peak_pss = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.2):
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            rss = pss = 0
            for process in processes:
                try:
                    memory = process.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                rss += memory.rss
                pss += getattr(memory, "pss", 0)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _print_profile(path: Path) -> None:
    for order in ("cumulative", "tottime"):
        print(f"\nprofile: top 25 by {order}")
        pstats.Stats(str(path), stream=sys.stdout).sort_stats(order).print_stats(25)


def _remove_sqlite(db: Path) -> None:
    for file in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        file.unlink(missing_ok=True)


class scratch_database:
    """A temporary SQLite file, or a database created on the given PostgreSQL server."""

    def __init__(self, server_url: str | None, tmp: Path, label: str = "") -> None:
        self.server_url = server_url
        self.name = f"bench_import_{os.getpid()}{'_' + label if label else ''}"
        self.url = f"sqlite:///{tmp / f'bench{label}.sqlite3'}"

    def __enter__(self) -> str:
        if self.server_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.url = urlunsplit(urlsplit(self.server_url)._replace(path=f"/{self.name}"))
        return self.url

    def __exit__(self, *exc) -> None:
        if self.server_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(statement)


def _manage(url: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=_env(url), check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SECRET_KEY": "bench", "DJANGO_DEBUG": "0"}


def _files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


if __name__ == "__main__":
    main()
