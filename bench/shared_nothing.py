#!/usr/bin/env python
"""Shared-nothing import, end to end: upload through one web server, import on a worker, read on
another; against the bare `import_cables` of the same file in the same run.

    python bench/shared_nothing.py [--cables 10000] [--database-url postgres://postgres@127.0.0.1:5432/postgres]
                                   [--cache-url redis://127.0.0.1:6379/13]

Three processes with their own temporary and upload folders (tests/cluster.py) share one
PostgreSQL and one Redis. The corpus is recombined real text (bench/corpus.py). Prints the upload
(request to redirect, MB/s), the job (queued to done as the other server reports it), the bare
import of the same file into an empty database, their ratio, and the other server's page times
while the job runs.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import build  # noqa: E402

from tests.cluster import Browser, cluster, scratch_database, wait_until  # noqa: E402

PAGES = ("/", "/cables/", "/cables/?q=government", "/cables/?tag=SNAR")


def main() -> None:
    args = _arguments()
    corpus = build(args.cables, report=lambda *a: None)
    megabytes = corpus.stat().st_size / 1e6
    print(f"corpus: {corpus.name}, {args.cables:,} cables, {megabytes:,.0f} MB")
    bare = _bare_import(args.database_url, corpus)
    with (
        tempfile.TemporaryDirectory(prefix="cablearchive-cluster-") as tmp,
        cluster(args.database_url, args.cache_url, Path(tmp)) as machines,
    ):
        (web_a, web_b, worker), a, b = machines.two_webs_and_a_worker()
        staff = Browser()
        staff.log_in(a)
        started = time.monotonic()
        landed = staff.post(
            f"{a}/admin/cables/cable/import/",
            {"format": ""},
            files=[(corpus.name, corpus.read_bytes())],
        )
        uploaded = time.monotonic() - started
        job = re.search(r"/importjob/(\d+)/", landed).group(1)  # type: ignore[union-attr]
        during = _page_times_until_done(staff, b, job)
        done = time.monotonic() - started
        progress = json.loads(staff.get(f"{b}/admin/cables/importjob/{job}/progress.json")[1])
        left = [m.files_left() for m in (web_a, web_b, worker)]
    print(f"bare import_cables, empty database:   {bare:8.1f} s")
    print(
        f"upload through web-a (to redirect):   {uploaded:8.1f} s"
        f"  ({megabytes / uploaded:,.1f} MB/s)"
    )
    print(f"upload to done, as web-b reports it:  {done:8.1f} s")
    print(
        f"  the job itself (worker):            {progress['elapsed']:8.1f} s"
        f"  ({progress['new']:,} new, {progress['rejected']} rejected)"
    )
    print(f"  ratio end to end / bare:            {done / bare:8.2f}")
    print(f"files left on the three machines:     {sum(len(f) for f in left)}")
    print("web-b while the worker imports (ms):")
    for page, times in during.items():
        if times:
            print(
                f"  {page:28} n={len(times):3}  median {statistics.median(times):7.1f}"
                f"  max {max(times):7.1f}"
            )


def _bare_import(server_url: str, corpus: Path) -> float:
    with scratch_database(server_url) as url:
        env = {"DATABASE_URL": url, "DJANGO_DEBUG": "1", "PATH": "/usr/bin:/bin"}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "manage.py", "import_cables", str(corpus)],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        return time.monotonic() - started


def _page_times_until_done(staff: Browser, server: str, job: str) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {page: [] for page in PAGES}
    finished = threading.Event()
    reader = Browser()

    def browse() -> None:
        while not finished.is_set():
            for page in PAGES:
                started = time.monotonic()
                reader.get(server + page)
                times[page].append((time.monotonic() - started) * 1000)

    thread = threading.Thread(target=browse, daemon=True)
    thread.start()

    def is_done() -> bool:
        status, body = staff.get(f"{server}/admin/cables/importjob/{job}/progress.json")
        return status == 200 and json.loads(body)["status"] in ("done", "failed")

    wait_until(is_done, 3600, f"job {job}")
    finished.set()
    thread.join()
    return times


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cables", type=int, default=10_000)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/13")
    return parser.parse_args()


if __name__ == "__main__":
    main()
