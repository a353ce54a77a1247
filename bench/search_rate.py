"""Build a synthetic archive the size of Cablegate and time the pages users hit.

    python bench/search_rate.py build --cables 251287 --full 30000     # synthetic, once per db
    python bench/search_rate.py load --cables 100000                   # real cables, once per db
    python bench/search_rate.py measure                                # prints one line a figure

The database comes from DATABASE_URL, or from --database-url given before the command, so point
it at a scratch database, e.g. sqlite:////tmp/bench.sqlite3 or
postgres://postgres@127.0.0.1:5432/cables_bench. `build` draws bodies from the words of the real
cables in tests/data with a Zipf distribution, so a common word ("government") matches most
cables. `load` imports the cables.csv-shaped corpus of bench/import_rate.py: the real cables of
../shared/data repeated under fresh reference ids.
"""

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "--database-url" in sys.argv:
    # Settings read DATABASE_URL once, at django.setup(), so it must be in place before that.
    os.environ["DATABASE_URL"] = sys.argv[sys.argv.index("--database-url") + 1]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cablearchive.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from cables import facets, search  # noqa: E402
from cables.models import Cable, CableTag, Origin, Recipient, Tag  # noqa: E402

CLASSIFICATIONS = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "UNCLASSIFIED//FOR OFFICIAL USE ONLY"]
EPOCH = datetime(1966, 1, 1, tzinfo=UTC)
SPAN = (datetime(2010, 2, 28, tzinfo=UTC) - EPOCH).total_seconds()


def vocabulary() -> tuple[list[str], list[float]]:
    text = " ".join(p.read_text(errors="ignore") for p in (ROOT / "tests" / "data").glob("*.*"))
    counts: dict[str, int] = {}
    for word in re.findall(r"[A-Za-z]{3,}", text):
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    words = sorted(counts, key=counts.get, reverse=True)
    return words, [1 / (rank + 1) ** 0.9 for rank in range(len(words))]


def build(total: int, full: int, batch: int) -> None:
    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    words, weights = vocabulary()
    origins = [Origin.objects.get_or_create(name=f"Embassy Post{i:03}")[0] for i in range(270)]
    tags = [Tag.objects.get_or_create(code=f"T{i:03}")[0] for i in range(300)]
    tags.append(Tag.objects.get_or_create(code="SNAR")[0])
    start = Cable.objects.count()
    for first in range(start, total, batch):
        size = min(batch, total - first)
        with transaction.atomic():
            cables = Cable.objects.bulk_create(
                [
                    make(first + n, first + n < full, rng, words, weights, origins)
                    for n in range(size)
                ]
            )
            CableTag.objects.bulk_create(
                CableTag(cable=c, tag=t, position=p)
                for c in cables
                for p, t in enumerate(rng.sample(tags, rng.randint(2, 5)))
            )
            Recipient.objects.bulk_create(
                Recipient(cable=c, position=0, role="action", name="SECSTATE WASHDC")
                for c in cables
            )
            search.index_cables([c.pk for c in cables])
        print(f"{first + size} cables", flush=True)


def load(total: int, data: Path, batch: int) -> None:
    """Import `total` real cables under fresh ids through the import command, as users would."""
    import tempfile

    from import_rate import build_csv_corpus

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory(prefix="cablearchive-search-bench-") as tmp:
        corpus, written = build_csv_corpus(Path(tmp) / "cables.csv", total, data)
        print(f"corpus: {written:,} cables", flush=True)
        began = time.perf_counter()
        call_command("import_cables", str(corpus), batch_size=batch)
    print(f"imported in {time.perf_counter() - began:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "PRAGMA optimize")


def make(n: int, full: bool, rng: random.Random, words, weights, origins) -> Cable:
    body = " ".join(rng.choices(words, weights, k=500 if full else 40))
    return Cable(
        refid=f"{n:06}BENCH",
        created=EPOCH + timedelta(seconds=rng.random() * SPAN),
        origin=rng.choice(origins),
        classification=rng.choice(CLASSIFICATIONS),
        subject=" ".join(rng.choices(words, weights, k=8)).upper(),
        body=body,
        raw=body,
        content_hash=str(n),
    )


def timed(label: str, action: Callable[[], object], repeat: int = 5) -> None:
    action()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    print(f"{label:<58} {statistics.median(samples) * 1000:8.1f} ms")


def get(client: Client, url: str) -> Callable[[], object]:
    def fetch() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return fetch


def measure() -> None:
    total = Cable.objects.count()
    common, rare = "government", "cocaine"
    base = Cable.objects.all()
    print(f"{connection.vendor}: {total} cables")
    print(f"matches for {common!r}: {search.matching(base, common).count()}")
    timed(f"count matches of {common!r}", lambda: search.matching(base, common).count())
    ranked = search.by_relevance(base.for_list(), common)
    timed(f"relevance, first 50 of {common!r} (bounded ranking)", lambda: list(ranked[:50]))
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank
        from django.db.models import F

        query = SearchQuery(common, search_type="websearch", config="english")
        every = search.matching(base, common).annotate(rank=SearchRank(F("search_vector"), query))
        timed(
            "  for comparison: ts_rank over every match", lambda: list(every.order_by("-rank")[:50])
        )
    if hasattr(facets, "summarize"):
        timed(
            f"summary of {common!r}: count, facets, chart in one query",
            lambda: facets.summarize(search.matching(base, common)),
        )
        timed("summary of the whole archive (a cache miss)", lambda: facets._summarize(base))
    ids = [cable.pk for cable in ranked[0:50]]
    timed("snippets for one page of 50", lambda: search.snippets(ids, common))
    client = Client(HTTP_HOST="localhost")
    last = (total + 49) // 50
    for label, url in [
        ("GET / (home)", "/"),
        ("GET /cables/ (first page, facets, chart)", "/cables/"),
        ("GET /cables/?page=<last>", f"/cables/?page={last}"),
        ("GET /cables/?page=<middle>", f"/cables/?page={last // 2}"),
        (f"GET /cables/?q={common}", f"/cables/?q={common}"),
        (f"GET /cables/?q={common}&sort=newest", f"/cables/?q={common}&sort=newest"),
        (f"GET /cables/?q={rare}", f"/cables/?q={rare}"),
        ("GET /cables/?tag=SNAR", "/cables/?tag=SNAR"),
        (
            "GET /cables/?year=2007&origin=embassy-post001",
            "/cables/?year=2007&origin=embassy-post001",
        ),
        (
            "GET /cables/<refid>/",
            f"/cables/{base.order_by('-id').values_list('refid', flat=True)[0]}/",
        ),
        ("GET /embassies/", "/embassies/"),
        ("GET /tags/", "/tags/"),
    ]:
        timed(label, get(client, url), repeat=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an existing database (default: DATABASE_URL)")
    sub = parser.add_subparsers(dest="command", required=True)
    builder = sub.add_parser("build")
    builder.add_argument("--cables", type=int, default=251_287)
    builder.add_argument("--full", type=int, default=30_000, help="cables with 500-word bodies")
    builder.add_argument("--batch", type=int, default=2000)
    loader = sub.add_parser("load")
    loader.add_argument("--cables", type=int, default=100_000)
    loader.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    loader.add_argument("--batch", type=int, default=500)
    sub.add_parser("measure")
    args = parser.parse_args()
    if args.command == "build":
        build(args.cables, args.full, args.batch)
    elif args.command == "load":
        load(args.cables, args.data, args.batch)
    else:
        measure()


if __name__ == "__main__":
    main()
