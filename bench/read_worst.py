#!/usr/bin/env python
"""Readers on hostile files: each case's CPU time beside a friendly file of the same size.

    python bench/read_worst.py [--scale 1]

Every reader must be linear in its input: the ratio column compares each hostile file with a
run of real cables of about the same size read in the same run, so a noisy machine moves both.
The cases are the inputs that were quadratic once (unclosed tags and quotes, blank-line heads,
runs of bad CSV rows, cut archives). Prints the slowest case and its size.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cables.readers import read_records  # noqa: E402

DATA = ROOT / "tests" / "data"


def cases(scale: int) -> dict[str, Callable[[], bytes]]:
    row = (DATA / "cables_tiny.csv").read_bytes()
    page = (DATA / "html" / "2011" / "08BRASILIA93.html").read_bytes()
    n = 8_000 * scale
    return {
        "csv rows that never close": lambda: b'"1","a\n' * (25 * n),
        "csv bad rows between good": lambda: row + b'"2","x"\n' * (12 * n) + row,
        "csv NUL in every other row": lambda: (row.replace(b"\n", b"\0\n", 1)) * (n // 40),
        "html unclosed <pre>": lambda: b"<html><table class='cable'>" + b"<pre>" * n,
        "html unclosed tables": lambda: b"<html>" + b"<table class='cable'><tr>" * n,
        "html unclosed anchors": lambda: page.replace(b"<pre>", b"<pre>" + b"<a id='par1'>" * n),
        "blank lines before the text": lambda: b"\n" * (8 * n) + b"x",
        "gz cut in the middle": lambda: gzip.compress(row * (n // 20))[: len(row) * n // 80],
    }


def friendly(size: int) -> bytes:
    """Real CSV rows repeated to `size` bytes: the baseline a hostile file is compared with."""
    row = (DATA / "cables_tiny.csv").read_bytes()
    return row * max(1, size // len(row))


def cpu(path: Path) -> float:
    started = time.process_time()
    for _record in read_records([path]):
        pass
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="multiply every case's size")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in cases(args.scale).items():
            data = build()
            hostile, plain = Path(tmp, "hostile"), Path(tmp, "plain.csv")
            hostile.write_bytes(data)
            plain.write_bytes(friendly(len(data)))
            results.append((name, len(data), cpu(hostile), cpu(plain)))
    print(f"{'case':32s} {'size':>12s} {'CPU ms':>9s} {'friendly ms':>12s} {'ratio':>7s}")
    for name, size, hostile_s, plain_s in results:
        ratio = hostile_s / plain_s if plain_s else float("inf")
        print(f"{name:32s} {size:12,d} {hostile_s * 1e3:9.1f} {plain_s * 1e3:12.1f} {ratio:7.2f}")
    name, size, slowest, _ = max(results, key=lambda r: r[2])
    print(f"slowest: {name}, {size:,} bytes, {slowest * 1e3:.1f} ms CPU")


if __name__ == "__main__":
    main()
