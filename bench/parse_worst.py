#!/usr/bin/env python
"""Worst-case parse times on hostile cables: stretched fields, mutated cables, a stacked fuzz run.

    python bench/parse_worst.py                  # the full run: 100,000 fuzz inputs, all CPUs
    python bench/parse_worst.py --inputs 5000 --sizes 1000,5000 --cap 10     # a quick check
    python bench/parse_worst.py --replay bench/out/parse_worst/slow-01.txt   # time saved inputs

Every input is built deterministically from --seed and the real cables in ../shared/data (read
with `cables.readers.read_records`), in three phases:

- stretch: in real cables, each field (SUBJECT, TAGS, REF, Classified By, the summary, an
  unclosed summary, the classification line, E.O./DECL, TO, INFO, FM, DE, the date-time group,
  the signature, a paragraph marking) padded with, prefixed by or replaced by a long run of one
  filler (spaces, tabs, letters, digits, punctuation, words, bullets, station names, REF,
  SUMMARY, parentheses, XXXXXXXXXXXX, …) of each of --sizes characters;
- mutate: every real cable through every mutator once (lines deleted, duplicated, swapped,
  bytes flipped, unicode inserted, truncations, paragraphs reordered, body repeated, header
  removed, blank lines removed or added, CRLF/CR line endings, …);
- fuzz: --inputs inputs, each a random real cable through 1 to 5 stacked mutators, stretching
  included.

Each parse is timed in the worker process that runs it, in CPU time (`time.thread_time`). An
input slower than --breakdown-ms is parsed again and timed extractor by extractor, each call
with the parser's caches emptied, to name the culprit; the budget counts take the lower of its
two parse timings. A worker silent for --cap seconds of wall time is killed and its input
reported as a stall. Crashes (any exception but ParseError) and the slowest inputs, overall and
under 64 KB, are saved under bench/out/parse_worst/ for --replay. The script prints figures; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

from hostile import ROOT
from hostile.corpus import Corpus, Key
from hostile.fields import FIELDS_BY_NAME, FILLERS, SIZES
from hostile.inputs import load_cables
from hostile.report import BUDGET_MS, clear_outputs, replay_report, report, slowest_first
from hostile.runner import Results, Runner

SHARED_DATA = ROOT.parent / "shared" / "data"


def parser_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "cables" / "parser").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _break_down_slowest(corpus: Corpus, results: Results, args: argparse.Namespace) -> None:
    """Time per extractor the slowest inputs the run did not (they were under --breakdown-ms)."""
    ranked, small = slowest_first([(key, *row) for key, row in results.parsed.items()])
    chosen = dict.fromkeys(row[0] for row in ranked[: args.save] + small[: args.save])
    missing = [key for key in chosen if key not in results.extractors]
    if not missing:
        return
    again = Runner(corpus, args.jobs, args.cap, -1.0, 0).run(missing, progress=False)
    results.extractors.update(again.extractors)


def replay(corpus: Corpus, args: argparse.Namespace) -> None:
    keys: list[Key] = [("file", str(Path(p).resolve())) for p in args.replay]
    runner = Runner(corpus, args.jobs, args.cap, -1.0, len(keys))
    results = runner.run(keys, progress=False)
    replay_report(keys, results, args.cap)


def _arguments() -> argparse.Namespace:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--inputs", type=int, default=100_000, help="fuzz inputs (100,000)")
    cli.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes")
    cli.add_argument("--seed", type=int, default=0)
    cli.add_argument("--data", type=Path, default=SHARED_DATA, help="the real cables")
    cli.add_argument(
        "--sizes",
        default=",".join(str(s) for s in SIZES),
        help="stretch sizes in characters (1000,5000,10000,30000,60000)",
    )
    cli.add_argument(
        "--phases", default="stretch,mutate,fuzz", help="which phases (stretch,mutate,fuzz)"
    )
    cli.add_argument(
        "--fields", default="", help="stretch only these fields: " + ",".join(FIELDS_BY_NAME)
    )
    cli.add_argument(
        "--fillers", default="", help="stretch with only these fillers: " + ",".join(FILLERS)
    )
    cli.add_argument(
        "--cap", type=float, default=60.0, help="wall seconds before a worker is killed (60)"
    )
    cli.add_argument(
        "--breakdown-ms",
        type=float,
        default=BUDGET_MS,
        help="time each extractor of inputs slower than this (25)",
    )
    cli.add_argument(
        "--stall-breakdowns", type=int, default=10, help="stalled inputs timed per extractor (10)"
    )
    cli.add_argument("--save", type=int, default=20, help="slowest inputs saved (20)")
    cli.add_argument("--replay", nargs="+", metavar="FILE", help="time saved inputs")
    return cli.parse_args()


def main() -> None:
    args = _arguments()
    sizes = tuple(int(s) for s in args.sizes.split(",") if s)
    fields = tuple(f for f in args.fields.split(",") if f)
    fillers = tuple(f for f in args.fillers.split(",") if f)
    unknown = sorted({*fields} - FIELDS_BY_NAME.keys() | {*fillers} - FILLERS.keys())
    if unknown:
        sys.exit(f"unknown fields or fillers: {', '.join(unknown)}")
    corpus = Corpus(load_cables(args.data), args.seed, sizes, fields, fillers)
    print(
        f"parse_worst: parser {parser_fingerprint()}, {len(corpus.cables)} real cables from "
        f"{args.data}, seed {args.seed}, {args.jobs} jobs, cap {args.cap:g} s wall"
    )
    if args.replay:
        replay(corpus, args)
        return
    phases = [p for p in args.phases.split(",") if p]
    keys: list[Key] = [
        (phase, i) for phase in phases for i in range(corpus.count(phase, args.inputs))
    ]
    clear_outputs()
    started = time.monotonic()
    runner = Runner(corpus, args.jobs, args.cap, args.breakdown_ms, args.stall_breakdowns)
    results = runner.run(keys)
    print(f"elapsed: {time.monotonic() - started:,.0f} s wall")
    _break_down_slowest(corpus, results, args)
    report(corpus, results, keys, args)


if __name__ == "__main__":
    main()
