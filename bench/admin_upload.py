#!/usr/bin/env python
"""Admin bulk import end to end: log in, upload a cables.csv through the admin, run the worker.

    python bench/admin_upload.py [--cables 20000] [--gzip]
                                 [--database-url postgres://postgres@127.0.0.1:5432/postgres]

Builds a cables.csv-shaped corpus (real cables under fresh ids, as bench/import_rate.py does),
starts the site with the database task queue, logs in as a fresh superuser with curl, uploads the
file to the "Import cables" page, then drains the queue with `manage.py db_worker --batch`.
Prints the upload time, the web server's peak RSS, the worker's time and peak RSS, and the job's
figures as the job page shows them.
"""

from __future__ import annotations

import argparse
import gzip
import http.cookiejar
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_rate import SHARED_DATA, build_csv_corpus, scratch_database  # noqa: E402

USER, PASSWORD = "bench-archivist", "bench-password-for-the-upload-run"


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="cablearchive-upload-") as tmp_name:
        tmp = Path(tmp_name)
        corpus, cables = build_csv_corpus(tmp / "cables.csv", args.cables, SHARED_DATA)
        if args.gzip:
            corpus = _gzipped(corpus)
        print(f"upload: {corpus.name}, {cables:,} cables, {corpus.stat().st_size / 1e6:.0f} MB")
        with scratch_database(args.database_url, tmp) as url:
            env = _env(url, tmp)
            _manage(env, "migrate", "--noinput", "-v0")
            _manage(env, "shell", "--no-imports", "-c", _CREATE_USER)
            upload_seconds, server_kb = _upload(env, corpus, tmp)
            print(f"upload request: {upload_seconds:.2f} s; server peak RSS {server_kb // 1024} MB")
            worker = _run_worker(env)
            print(f"worker: {worker}")
            print(_manage(env, "shell", "--no-imports", "-c", _REPORT_JOB).strip())


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cables", type=int, default=20_000)
    parser.add_argument("--gzip", action="store_true", help="upload cables.csv.gz instead")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a scratch db on")
    return parser.parse_args()


_CREATE_USER = (
    "from django.contrib.auth.models import User; "
    f"User.objects.create_superuser({USER!r}, password={PASSWORD!r})"
)
_REPORT_JOB = (
    "from cables.models import ImportJob; j = ImportJob.objects.latest('created_at'); "
    "secs = (j.finished_at - j.started_at).total_seconds(); "
    "print(f'job: {j.get_status_display()}, {j.done:,} of {j.total:,} records, {j.new:,} new, "
    "{j.updated:,} updated, {j.unchanged:,} unchanged, {j.rejected:,} rejected, "
    "{secs:.1f} s, {j.done / secs:,.0f} cables/s {j.error}')"
)


def _gzipped(path: Path) -> Path:
    target = path.with_suffix(".csv.gz")
    with path.open("rb") as source, gzip.open(target, "wb", compresslevel=6) as out:
        shutil.copyfileobj(source, out, 1 << 20)
    path.unlink()
    return target


def _env(url: str, tmp: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "1",
        "CABLEARCHIVE_UPLOAD_ROOT": str(tmp / "uploads"),
        "CABLEARCHIVE_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
    }


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _upload(env: dict[str, str], corpus: Path, tmp: Path) -> tuple[float, int]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        jar = tmp / "cookies.txt"
        _curl(jar, f"{base}/admin/login/")
        _curl(
            jar,
            f"{base}/admin/login/",
            "-H",
            f"Referer: {base}/admin/login/",
            "-d",
            f"csrfmiddlewaretoken={_csrf(jar)}&username={USER}&password={PASSWORD}",
        )
        page = f"{base}/admin/cables/cable/import/"
        started = time.monotonic()
        _curl(
            jar,
            page,
            "-H",
            f"Referer: {page}",
            "-F",
            f"csrfmiddlewaretoken={_csrf(jar)}",
            "-F",
            f"files=@{corpus}",
        )
        seconds = time.monotonic() - started
        return seconds, _peak_rss_kb(server.pid)
    finally:
        server.terminate()
        server.wait()


def _run_worker(env: dict[str, str]) -> str:
    started = time.monotonic()
    result = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M",
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
            "-v0",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    return f"{time.monotonic() - started:.1f} s wall, peak RSS {peak_kb // 1024} MB"


def _curl(jar: Path, url: str, *args: str) -> None:
    subprocess.run(["curl", "-sS", "-o", "/dev/null", "-c", jar, "-b", jar, url, *args], check=True)


def _csrf(jar: Path) -> str:
    cookies = http.cookiejar.MozillaCookieJar(jar)
    cookies.load(ignore_discard=True, ignore_expires=True)
    return next(c.value for c in cookies if c.name == "csrftoken")


def _peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int) -> None:
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("the development server did not start")


if __name__ == "__main__":
    main()
