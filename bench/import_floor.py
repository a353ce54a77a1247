#!/usr/bin/env python
"""What bounds the import: each of its stages alone, against the bare load, in one run.

    python bench/import_floor.py [--cables 25000] [--database sqlite|postgres|both]

On the recombined corpus of bench/corpus.py, per database, one after the other:
- the bare baseline of bench/import_rate.py (no parsing; the file loaded and full-text indexed);
- in one child process on a freshly migrated database, each stage of `import_cables` alone:
  reading the records, parsing them all in this one process, then writing the parsed batches
  with the import's own writer (and nothing else running), each timed in wall and CPU seconds;
- the real import (`import_cables`, its parse workers overlapping the writer).

It prints the stages per cable and the floor they set on this machine, whatever the overlap:
the writer is one process (`read + write`, since the records are read where they are written),
and every stage must fit on the CPUs (`(read + parse + write) / CPUs`). The larger of the two,
over the bare load, is the best ratio the import could reach without a faster parser or a
cheaper write.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import corpus as recombined  # noqa: E402
import import_rate  # noqa: E402

_STAGES = """
import json, resource, sys, time
import django
django.setup()
from cables import readers
from cables.importing import database
from cables.importing.parsing import parse_batch
from cables.importing.summary import ImportSummary
from cables.importing.writer import Writer

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def timed(work):
    wall, began = time.monotonic(), cpu()
    result = work()
    return result, time.monotonic() - wall, cpu() - began

size = int(sys.argv[2])
records, read_s, read_cpu = timed(lambda: list(readers.read_records([sys.argv[1]])))
chunks = [records[i : i + size] for i in range(0, len(records), size)]
batches, parse_s, parse_cpu = timed(lambda: [parse_batch(chunk) for chunk in chunks])
db = database.for_connection()
summary = ImportSummary()

def write():
    writer = Writer(db, quarantine=True, job=None)
    with db.session():
        for batch in batches:
            writer.write(batch, summary)
        db.flush_search_index()

_none, write_s, write_cpu = timed(write)
print(json.dumps({
    "records": len(records), "new": summary.new, "read": [read_s, read_cpu],
    "parse": [parse_s, parse_cpu], "write": [write_s, write_cpu],
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cables", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=import_rate.SHARED_DATA)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres", default=import_rate.POSTGRES)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    args.workers, args.profile = None, False  # as import_rate's import_in_child expects
    csv.field_size_limit(2**31 - 1)  # cable texts run past the 128 KB default
    vendors = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    recombined.OUT.mkdir(parents=True, exist_ok=True)
    path = recombined.build(args.cables, args.seed, data=args.data)
    import_rate._warm(path)
    cpus = len(os.sched_getaffinity(0))
    scratch = Path(tempfile.mkdtemp(prefix="scratch-", dir=recombined.OUT))
    try:
        for vendor in vendors:
            _database(vendor, path, scratch, args, cpus)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _database(vendor: str, path: Path, scratch: Path, args: argparse.Namespace, cpus: int) -> None:
    print(f"\n== {'SQLite' if vendor == 'sqlite' else 'PostgreSQL'}", flush=True)
    server = args.postgres if vendor == "postgres" else None
    with import_rate.scratch_database(server, scratch, "bare") as url:
        if vendor == "sqlite":
            bare = import_rate.bare_sqlite(path, scratch / "bare.sqlite3").seconds
            import_rate._remove_sqlite(scratch / "bare.sqlite3")
        else:
            bare = import_rate.bare_postgres(path, url).seconds
    with import_rate.scratch_database(server, scratch, "stages") as url:
        import_rate._manage(url, "migrate", "--noinput", "-v0")
        stages = _stages(url, path, args.batch_size)
        import_rate._remove_sqlite(scratch / "benchstages.sqlite3")
    with import_rate.scratch_database(server, scratch, "import") as url:
        imported = import_rate.import_in_child(url, path, args, scratch).seconds
        import_rate._remove_sqlite(scratch / "benchimport.sqlite3")
    _report(stages, bare, imported, cpus, vendor)


def _stages(url: str, path: Path, batch_size: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _STAGES, str(path), str(batch_size)],
        cwd=ROOT, env={**import_rate._env(url), "DJANGO_SETTINGS_MODULE": "cablearchive.settings"},
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _report(stages: dict, bare: float, imported: float, cpus: int, vendor: str) -> None:
    count = stages["records"]
    print(f"{count:,} cables ({stages['new']:,} new); per cable, wall / CPU of this process:")
    for name in ("read", "parse", "write"):
        wall, cpu = stages[name]
        per_cable = f"{wall / count * 1e3:6.3f} ms / {cpu / count * 1e3:6.3f} ms"
        print(f"  {name:<6} {per_cable}  ({wall:.1f} s)")
    read, parse, write = (stages[name][0] for name in ("read", "parse", "write"))
    writer_bound = read + write
    cpu_bound = (read + parse + write) / cpus
    floor = max(writer_bound, cpu_bound)
    if vendor == "postgres":
        print("  (PostgreSQL's own work is in its server processes: in the wall time, not the CPU)")
    print(f"bare load {bare:.1f} s; writer alone (read + write) {writer_bound:.1f} s = "
          f"{writer_bound / bare:.2f}x; every stage on {cpus} CPUs {cpu_bound:.1f} s = "
          f"{cpu_bound / bare:.2f}x")  # fmt: skip
    print(f"floor {floor / bare:.2f}x the bare load; the import took {imported:.1f} s = "
          f"{imported / bare:.2f}x ({imported / floor:.2f}x its floor)")  # fmt: skip


if __name__ == "__main__":
    main()
