#!/usr/bin/env python
"""The whole release side by side: the project on SQLite and on PostgreSQL, and Datasette over
the same cables, every page timed in one run, then a throughput mix, then the mix during an import.

    python bench/scale.py [--cables 251287] [--sqlite bench/out/scale-251287.sqlite3]
                          [--postgres postgresql://postgres@127.0.0.1:5432/cab_scale_251287]
                          [--datasette-python PATH] [--requests 20] [--mix-urls 1000]
                          [--mix-seconds 60] [--clients 8] [--import-cables 10000]
                          [--only sqlite,postgres,datasette]

The corpus is recombined real text (bench/corpus.py). Each archive is built with the project's
own `import_cables` when it does not hold the corpus yet (PostgreSQL: ~14 min at 251k; SQLite
longer); Datasette's database is made from the SQLite archive in its usual shape: one table,
TAGs as a JSON array, FTS5 over subject and text, served immutable (`-i`). Datasette is not a
project dependency: pass the Python of an environment that has it (`--datasette-python`, e.g.
`python -m venv /tmp/ds && /tmp/ds/bin/pip install datasette`); without one its column is empty.

The project runs under gunicorn, 2 workers, production settings (DEBUG off, collectstatic, a
Redis cache flushed before each start so that nothing is warm). For each page: the first request
after the start, then 2 warm-ups, then --requests timed requests (median, p95, to the last byte).
The mix draws --mix-urls distinct URLs (filters, searches, pages, cables) with a fixed seed and
has --clients threads fetch them for --mix-seconds; the same mix runs once more while
`import_cables` adds --import-cables new cables to the same database (the SQLite and PostgreSQL
archives grow by that much; Datasette, immutable, is not measured then).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
from corpus import OUT, RELEASE_CABLES, build  # noqa: E402

from cables import storedtext  # noqa: E402
from tests.cluster import free_port  # noqa: E402

COMMON, RARE, PHRASE = "government", "cocaine", '"drug trafficking"'
FACETS = "_facet=origin&_facet=classification&_facet=year"
VOCABULARY = (
    "government minister election embassy security police military president party economic "
    "trade oil energy border refugees corruption narcotics cocaine heroin trafficking court "
    "prison human rights visa terrorism nuclear sanctions investment bank budget reform "
    "parliament opposition protest media press religious church ambassador agreement treaty "
    "water health education army navy airport port customs extradition aid loan debt"
)
WORDS = VOCABULARY.split()


# Archives


def ensure_archive(url: str, corpus: Path, cables: int) -> None:
    """Import the corpus with the project's own command unless the archive already holds it."""
    have = count_cables(url)
    if have >= cables:
        return
    if have:
        raise SystemExit(f"{display(url)} holds {have:,} cables, not {cables:,}: use another")
    print(f"building {display(url)} with import_cables ({cables:,} cables)…", flush=True)
    env = project_env(url, debug=True)
    started = time.monotonic()
    manage(env, "migrate", "-v0")
    manage(env, "import_cables", str(corpus))
    print(f"  built in {time.monotonic() - started:,.0f} s", flush=True)


def count_cables(url: str) -> int:
    try:
        if url.startswith("sqlite"):
            path = Path(urllib.parse.urlsplit(url).path)
            if not path.exists():
                return 0
            with sqlite3.connect(path) as conn:
                return conn.execute("SELECT count(*) FROM cables_cable").fetchone()[0]
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM cables_cable").fetchone()[0]
    except (sqlite3.Error, psycopg.Error):
        return 0


def ensure_postgres_database(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        name = parts.path.lstrip("/")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def datasette_database(archive: Path, target: Path) -> Path:
    """The archive's cables in Datasette's usual shape, built once per archive."""
    if target.exists() and target.stat().st_mtime > archive.stat().st_mtime:
        return target
    print(f"building {target.name} for Datasette…", flush=True)
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    out = sqlite3.connect(partial)
    out.executescript(
        """
        PRAGMA journal_mode = OFF;
        CREATE TABLE cables (
            refid TEXT PRIMARY KEY, date TEXT, year INTEGER, origin TEXT, classification TEXT,
            subject TEXT, tags TEXT, text TEXT
        );
        """
    )
    tags: dict[int, list[str]] = {}
    for cable_id, code in source.execute(
        "SELECT ct.cable_id, t.code FROM cables_cabletag ct JOIN cables_tag t ON t.id = ct.tag_id"
        " ORDER BY ct.cable_id, ct.id"
    ):
        tags.setdefault(cable_id, []).append(code)
    rows = source.execute(
        "SELECT c.id, c.refid, c.created, o.name, c.classification, c.subject, c.raw,"
        " c.header, c.header_start, c.header_end, c.body, c.body_start,"
        " c.body_end, c.source_format"
        " FROM cables_cable c JOIN cables_origin o ON o.id = c.origin_id"
        " ORDER BY c.id"
    )
    batch = []
    for row in rows:
        (cable_id, refid, created, origin, classification, subject, raw, *spans, fmt) = row
        header = storedtext.read(raw, spans[0], spans[1], spans[2], fmt)
        body = storedtext.read(raw, spans[3], spans[4], spans[5], fmt)
        year = int(created[:4]) if created else None
        batch.append(
            (refid, created, year, origin, classification, subject,
             json.dumps(tags.get(cable_id, [])), header + "\n" + body)
        )  # fmt: skip
        if len(batch) == 5000:
            out.executemany("INSERT INTO cables VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    out.executemany("INSERT INTO cables VALUES (?, ?, ?, ?, ?, ?, ?, ?)", batch)
    out.executescript(
        """
        CREATE INDEX cables_date ON cables (date);
        CREATE INDEX cables_year ON cables (year);
        CREATE INDEX cables_origin ON cables (origin);
        CREATE INDEX cables_classification ON cables (classification);
        CREATE VIRTUAL TABLE cables_fts USING fts5 (subject, text, content=[cables]);
        INSERT INTO cables_fts (rowid, subject, text) SELECT rowid, subject, text FROM cables;
        INSERT INTO cables_fts (cables_fts) VALUES ('optimize');
        """
    )
    out.commit()
    out.close()
    partial.rename(target)
    return target


def display(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts._replace(netloc=parts.hostname or "").geturl() if parts.password else url


# Servers


def project_env(url: str, *, debug: bool = False, cache: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CABLEARCHIVE_"))}
    env.update(DATABASE_URL=url, CABLEARCHIVE_EXPORTS_PER_MINUTE="1000000")
    if debug:
        env["DJANGO_DEBUG"] = "1"
    else:
        env.update(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_STATIC_ROOT=str(OUT / "static"),
        )
    if cache:
        env["CACHE_URL"] = cache
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    reset: Callable[[], None] = lambda: None
    process: subprocess.Popen | None = None

    def start(self) -> None:
        self.reset()
        log = (OUT / f"scale-{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", self.port, timeout=2).connect()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} did not start; see {OUT}/scale-{self.name}.log")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def project_server(name: str, url: str, cache_url: str) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "cablearchive.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--timeout", "300",
    ]  # fmt: skip

    def flush() -> None:
        import redis

        redis.Redis.from_url(cache_url).flushdb()

    return Server(name, command, project_env(url, cache=cache_url), port, reset=flush)


def datasette_server(python: str, database: Path) -> Server:
    port = free_port()
    command = [
        python, "-m", "datasette", "serve", "-i", str(database), "--port", str(port),
        "--setting", "sql_time_limit_ms", "60000", "--setting", "facet_time_limit_ms", "200",
        "--setting", "max_returned_rows", "1000",
    ]  # fmt: skip
    return Server("datasette", command, dict(os.environ), port)


# Pages


@dataclass(frozen=True)
class Page:
    label: str
    project: str
    datasette: str


def pages(sample: Sample) -> list[Page]:
    db = "/scale/cables"
    last = (sample.total + 49) // 50
    return [
        Page("/ (home)", "/", f"{db}?{FACETS}&_size=10"),
        Page("/cables/", "/cables/", f"{db}?_sort_desc=date&{FACETS}"),
        Page("/cables/ last page", f"/cables/?page={last}", f"{db}?_sort=date&{FACETS}"),
        Page(f"?q={COMMON}", f"/cables/?q={COMMON}", f"{db}?_search={COMMON}&{FACETS}"),
        Page(f"?q={RARE}", f"/cables/?q={RARE}", f"{db}?_search={RARE}&{FACETS}"),
        Page(
            f"?q={PHRASE}",
            f"/cables/?q={urllib.parse.quote(PHRASE)}",
            f"{db}?_search={urllib.parse.quote(PHRASE)}&_searchmode=raw&{FACETS}",
        ),
        Page(
            "?origin=<busy post>",
            f"/cables/?origin={sample.origin_slug}",
            f"{db}?origin={urllib.parse.quote(sample.origin_name)}&{FACETS}",
        ),
        Page("?tag=SNAR", "/cables/?tag=SNAR", f"{db}?tags__arraycontains=SNAR&{FACETS}"),
        Page("?year=2007", "/cables/?year=2007", f"{db}?year=2007&{FACETS}"),
        Page(
            f"JSON ?q={RARE}",
            f"/cables/?q={RARE}&format=json",
            f"/scale/cables.json?_search={RARE}&{FACETS}",
        ),
        Page(
            "CSV ?tag=SNAR (last byte)",
            "/cables/?tag=SNAR&format=csv",
            "/scale/cables.csv?tags__arraycontains=SNAR&_stream=on&_size=max",
        ),
        Page("a cable page", f"/cables/{sample.refid}/", f"{db}/{sample.refid}"),
    ]


@dataclass
class Sample:
    total: int
    origin_slug: str
    origin_name: str
    refid: str
    refids: list[str]
    origins: list[tuple[str, str]]
    tags: list[str]


def sample_of(archive: Path) -> Sample:
    with sqlite3.connect(f"file:{archive}?mode=ro", uri=True) as conn:
        total = conn.execute("SELECT count(*) FROM cables_cable").fetchone()[0]
        origins = conn.execute(
            "SELECT o.slug, o.name FROM cables_origin o JOIN cables_cable c ON c.origin_id = o.id"
            " GROUP BY o.id ORDER BY count(*) DESC LIMIT 150"
        ).fetchall()
        tags = [
            code
            for (code,) in conn.execute(
                "SELECT t.code FROM cables_tag t JOIN cables_cabletag ct ON ct.tag_id = t.id"
                " GROUP BY t.id ORDER BY count(*) DESC LIMIT 100"
            )
        ]
        rng = random.Random(7)
        ids = rng.sample(range(1, total + 1), 400)
        marks = ",".join("?" * len(ids))
        refids = [
            r for (r,) in conn.execute(f"SELECT refid FROM cables_cable WHERE id IN ({marks})", ids)
        ]
    busy = origins[len(origins) // 10]  # a busy post, not the busiest
    return Sample(total, busy[0], busy[1], refids[0], refids, origins, tags)


def fetch(
    port: int, path: str, connection: http.client.HTTPConnection | None = None
) -> tuple[float, int]:
    """Milliseconds to the last byte, and the status."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("GET", path, headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    while response.read(65536):
        pass
    elapsed = (time.perf_counter() - started) * 1000
    if connection is None:
        conn.close()
    return elapsed, response.status


@dataclass
class Timing:
    first: float
    samples: list[float] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def cell(self) -> str:
        bad = "" if self.statuses <= {200} else f" [{','.join(map(str, sorted(self.statuses)))}]"
        return f"{self.median:,.0f} / {self.p95:,.0f} ({self.first:,.0f}){bad}"


def time_pages(server: Server, listing: list[Page], requests: int) -> dict[str, Timing]:
    server.start()
    try:
        timings = {}
        for page in listing:
            path = page.datasette if server.name == "datasette" else page.project
            first, status = fetch(server.port, path)
            timing = Timing(first, statuses={status})
            timings[page.label] = timing
        for page in listing:
            path = page.datasette if server.name == "datasette" else page.project
            timing = timings[page.label]
            for _ in range(2):
                fetch(server.port, path)
            for _ in range(requests):
                elapsed, status = fetch(server.port, path)
                timing.samples.append(elapsed)
                timing.statuses.add(status)
            print(f"  {server.name:9} {page.label:28} {timing.cell()}", flush=True)
        return timings
    finally:
        server.stop()


# Throughput


def mix(sample: Sample, count: int, seed: int = 1) -> list[tuple[str, str]]:
    """`count` distinct (project URL, Datasette URL) pairs of the same questions."""
    rng = random.Random(seed)
    db = "/scale/cables"
    found: dict[str, str] = {}
    while len(found) < count:
        kind = rng.random()
        if kind < 0.2:
            refid = rng.choice(sample.refids)
            found[f"/cables/{refid}/"] = f"{db}/{refid}"
            continue
        ours, theirs = [], []
        if kind < 0.5:
            slug, name = rng.choice(sample.origins)
            ours.append(f"origin={slug}")
            theirs.append(f"origin={urllib.parse.quote(name)}")
        if rng.random() < 0.3:
            tag = rng.choice(sample.tags)
            ours.append(f"tag={urllib.parse.quote(tag)}")
            theirs.append(f"tags__arraycontains={urllib.parse.quote(tag)}")
        if rng.random() < 0.3:
            year = rng.randint(1990, 2010)
            ours.append(f"year={year}")
            theirs.append(f"year={year}")
        if kind >= 0.5 or not ours:
            word = rng.choice(WORDS)
            ours.append(f"q={word}")
            theirs.append(f"_search={word}")
        page = rng.choice((1, 1, 1, 2, 3, 5))
        if page > 1:  # Datasette pages by keyset, not by number: it gets the first page
            ours.append(f"page={page}")
        found["/cables/?" + "&".join(ours)] = f"{db}?{'&'.join(theirs)}&{FACETS}"
    return list(found.items())


def throughput(server: Server, urls: list[str], seconds: float, clients: int) -> dict[str, float]:
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    order = list(urls)
    random.Random(3).shuffle(order)
    cursor = [0]

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
        while time.monotonic() < stop:
            with lock:
                path = order[cursor[0] % len(order)]
                cursor[0] += 1
            try:
                elapsed, status = fetch(server.port, path, conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
                elapsed, status = 0.0, 599
            with lock:
                latencies.append(elapsed)
                if status >= 500:
                    errors[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "rate": len(latencies) / took,
        "errors": errors[0],
        "median": statistics.median(ordered) if ordered else 0.0,
        "p95": ordered[round(0.95 * (len(ordered) - 1))] if ordered else 0.0,
    }


def throughput_during_import(server: Server, url: str, urls: list[str], args) -> dict[str, float]:
    extra = build(args.import_cables, seed=int(time.time()) % 1000 + 2, report=lambda *a: None)
    env = project_env(url, debug=True)
    log = (OUT / f"scale-{server.name}-import.log").open("ab")
    importer = subprocess.Popen(
        [sys.executable, "manage.py", "import_cables", str(extra)],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )  # fmt: skip
    result = throughput(server, urls, args.mix_seconds, args.clients)
    result["import_running_at_end"] = importer.poll() is None
    importer.wait()
    extra.unlink(missing_ok=True)
    return result


# Report


def main() -> None:
    args = arguments()
    only = set(args.only.split(","))
    corpus = build(args.cables, report=lambda *a: None)
    sqlite_url = f"sqlite:///{args.sqlite.resolve()}"
    OUT.mkdir(exist_ok=True)
    manage(project_env(sqlite_url), "collectstatic", "--noinput", "-v0")
    systems: list[tuple[str, Server, str]] = []
    if "sqlite" in only or "datasette" in only:
        ensure_archive(sqlite_url, corpus, args.cables)
    if "postgres" in only:
        ensure_postgres_database(args.postgres)
        ensure_archive(args.postgres, corpus, args.cables)
    sample = sample_of(args.sqlite.resolve())
    listing = pages(sample)
    if "sqlite" in only:
        systems.append(("SQLite", project_server("sqlite", sqlite_url, args.cache_url), sqlite_url))
    if "postgres" in only:
        systems.append(
            ("PostgreSQL", project_server("postgres", args.postgres, args.cache_url), args.postgres)
        )
    if "datasette" in only and args.datasette_python:
        folder = OUT / f"datasette-{sample.total}"
        folder.mkdir(exist_ok=True)
        database = datasette_database(args.sqlite.resolve(), folder / "scale.db")
        systems.append(("Datasette", datasette_server(args.datasette_python, database), ""))
    print(
        f"{sample.total:,} cables; {args.requests} requests per page after 2 warm-ups; "
        "median / p95 ms (first request after a start)",
        flush=True,
    )
    results = {label: time_pages(server, listing, args.requests) for label, server, _ in systems}
    print_table(listing, results)

    pairs = mix(sample, args.mix_urls)
    print(
        f"\nthroughput: {len(pairs):,} distinct URLs, {args.clients} clients,"
        f" {args.mix_seconds:.0f} s"
    )
    for label, server, url in systems:
        urls = [theirs if server.name == "datasette" else ours for ours, theirs in pairs]
        server.start()
        try:
            fetch(server.port, urls[0])
            figures = throughput(server, urls, args.mix_seconds, args.clients)
            print_throughput(label, figures)
            if url and args.import_cables:
                during = throughput_during_import(server, url, urls, args)
                print_throughput(f"{label}, importing {args.import_cables:,}", during)
        finally:
            server.stop()


def print_table(listing: list[Page], results: dict[str, dict[str, Timing]]) -> None:
    labels = list(results)
    peers = [label for label in labels if label != "Datasette"] if "Datasette" in results else []
    heads = labels + [f"{label} ÷ Datasette, p95" for label in peers]
    print("\n| page | " + " | ".join(heads) + " |")
    print("|---" * (1 + len(heads)) + "|")
    for page in listing:
        cells = [results[label][page.label].cell() for label in labels]
        theirs = results["Datasette"][page.label].p95 if peers else 1.0
        cells += [f"{results[label][page.label].p95 / theirs:.2f}" for label in peers]
        print(f"| {page.label} | " + " | ".join(cells) + " |")


def print_throughput(label: str, figures: dict[str, float]) -> None:
    line = (
        f"  {label:32} {figures['rate']:7.1f} req/s  {figures['requests']:6,.0f} requests  "
        f"{figures['errors']:.0f} errors  median {figures['median']:6.0f} ms  "
        f"p95 {figures['p95']:6.0f} ms"
    )
    if "import_running_at_end" in figures:
        line += f"  (import still running at the end: {figures['import_running_at_end']})"
    print(line)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cables", type=int, default=RELEASE_CABLES)
    parser.add_argument("--sqlite", type=Path)
    parser.add_argument("--postgres")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--datasette-python", default="")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--mix-urls", type=int, default=1000)
    parser.add_argument("--mix-seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--import-cables", type=int, default=10_000)
    parser.add_argument("--only", default="sqlite,postgres,datasette")
    args = parser.parse_args()
    args.sqlite = args.sqlite or OUT / f"scale-{args.cables}.sqlite3"
    args.postgres = args.postgres or f"postgresql://postgres@127.0.0.1:5432/cab_scale_{args.cables}"
    return args


if __name__ == "__main__":
    main()
