"""Web servers and an import worker as separate processes that share only PostgreSQL and Redis.

Each process gets its own temporary, upload and working folders, as it would on its own machine.
Used by tests/test_shared_nothing.py and bench/shared_nothing.py.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "shared-nothing-" + secrets.token_hex(8)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url`, dropped afterwards."""
    parts = urllib.parse.urlsplit(server_url)
    name = f"cab_cluster_{os.getpid()}_{secrets.token_hex(3)}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Machine:
    """One process's private corner: what would be its own disk."""

    name: str
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def temp(self) -> Path:
        return self.home / "tmp"

    @property
    def uploads(self) -> Path:
        return self.home / "uploads"

    def files_left(self) -> list[Path]:
        return [path for path in self.home.rglob("*") if path.is_file() and path.suffix != ".log"]


@dataclass
class Cluster:
    database_url: str
    cache_url: str
    base: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def machine(self, name: str) -> Machine:
        home = self.base / name
        machine = Machine(name, home)
        machine.temp.mkdir(parents=True)
        machine.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "CABLEARCHIVE_"))
            },
            "DATABASE_URL": self.database_url,
            "CACHE_URL": self.cache_url,
            "DJANGO_DEBUG": "1",
            "TMPDIR": str(machine.temp),
            "CABLEARCHIVE_UPLOAD_TEMP_DIR": str(machine.temp),
            "CABLEARCHIVE_UPLOAD_ROOT": str(machine.uploads),
            "CABLEARCHIVE_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        }
        return machine

    def manage(self, machine: Machine, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**machine.env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
        )

    def start_web(self, machine: Machine) -> str:
        port = free_port()
        command = [
            sys.executable, "-m", "gunicorn", "cablearchive.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--timeout", "120", "--chdir", str(ROOT),
        ]  # fmt: skip
        self._start(machine, command)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(url), 60, f"{machine.name} to answer on {url}")
        return url

    def start_worker(self, machine: Machine) -> None:
        command = [
            sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
            "--interval", "0.2",
        ]  # fmt: skip
        self._start(machine, command)

    def _start(self, machine: Machine, command: list[str]) -> None:
        log = (machine.home / f"{machine.name}.log").open("ab")
        self.processes.append(
            subprocess.Popen(command, cwd=ROOT, env=machine.env, stdout=log, stderr=log)
        )

    def two_webs_and_a_worker(self) -> tuple[list[Machine], str, str]:
        """Migrate, add the staff user, start web-a, web-b and a worker: their machines and URLs."""
        machines = [self.machine(name) for name in ("web-a", "web-b", "worker")]
        self.manage(machines[0], "migrate", "-v0")
        self.manage(
            machines[0], "createsuperuser", "--noinput", "--username", "admin", "--email", "a@b.org"
        )
        a, b = self.start_web(machines[0]), self.start_web(machines[1])
        self.start_worker(machines[2])
        return machines, a, b

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def cluster(server_url: str, cache_url: str, base: Path) -> Iterator[Cluster]:
    with scratch_database(server_url) as database_url:
        running = Cluster(database_url, cache_url, base)
        try:
            yield running
        finally:
            running.stop()


class Browser:
    """A staff member's session, over plain HTTP, against whichever server it is pointed at."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> tuple[int, str]:
        try:
            with self.opener.open(url, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def log_in(self, server: str, username: str = "admin") -> None:
        _status, page = self.get(f"{server}/admin/login/")
        form = {"username": username, "password": PASSWORD, "next": "/admin/"}
        self.post(f"{server}/admin/login/", form, page=page)

    def post(
        self,
        url: str,
        fields: dict[str, str],
        files: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
        page: str = "",
    ) -> str:
        """Post a form as a browser would, CSRF token included; returns the final URL."""
        token = CSRF_FIELD.search(page or self.get(url)[1])
        assert token, f"no CSRF token on {url}"
        body, content_type = multipart({**fields, "csrfmiddlewaretoken": token.group(1)}, files)
        request = urllib.request.Request(
            url, data=body, headers={"Content-Type": content_type, "Referer": url}
        )
        with self.opener.open(request, timeout=120) as response:
            return response.url


def multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = "----cluster" + secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for filename, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def wait_until(check, seconds: float, what: str) -> object:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting {seconds:.0f} s for {what}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
