"""The report of a run: percentiles, the budget table, culprits, the slowest inputs; crashes,
stalls and the slowest inputs saved as reproducers under bench/out/parse_worst/."""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path
from typing import Any

from . import ROOT
from .corpus import Corpus, Key
from .fields import FIELDS_BY_NAME
from .inputs import Input, load_saved, save_input
from .runner import Results
from .timing import NOT_IN_PARSE_CABLE, Failure

OUT = ROOT / "bench" / "out" / "parse_worst"
BUDGET_MS = 25.0
SLOW_MS = 200.0
SMALL_BYTES = 64 * 1024


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def _ms(value: float | None, cap: float) -> str:
    return f">{cap * 1000:,.0f} (stall)" if value is None else f"{value:,.1f}"


def culprit(
    parts: dict[str, tuple[float | None, Failure | None]],
) -> tuple[str, float | None]:
    """The extractor that took longest, among those parse_cable calls."""
    parts = {name: value for name, value in parts.items() if name not in NOT_IN_PARSE_CABLE}
    if not parts:
        return "", 0.0
    stalled = [name for name, (ms, _) in parts.items() if ms is None]
    if stalled:
        return stalled[0], None
    name = max(parts, key=lambda n: parts[n][0] or 0.0)
    return name, parts[name][0]


def _breakdown_line(parts: dict[str, tuple[float | None, Failure | None]], cap: float) -> str:
    shown = sorted(parts.items(), key=lambda kv: -(kv[1][0] if kv[1][0] is not None else 1e12))
    bits = []
    for n, (name, (ms, error)) in enumerate(shown):
        if n >= 5 and not error:
            continue
        text = f"{name} {_ms(ms, cap)}"
        if name == "body.clean_content":
            text += " (not called by parse_cable)"
        if error:
            text += f" [{error.type} at {error.location}]"
        bits.append(text)
    rest = [ms for _, (ms, error) in shown[5:] if ms is not None and not error]
    if rest:
        bits.append(f"{len(rest)} others {sum(rest):.1f} in all")
    return ", ".join(bits)


def clear_outputs() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for pattern in ("crash-*.txt", "slow-*.txt", "stall-*.txt", "culprit-*.txt"):
        for path in OUT.glob(pattern):
            path.unlink()


def report(corpus: Corpus, results: Results, keys: list[Key], args: argparse.Namespace) -> None:
    cap = args.cap
    parsed = results.parsed
    rows = [(key, *parsed[key]) for key in keys if key in parsed]
    stalls = [r for r in rows if r[1] is None and r[3] is None]
    inputs: dict[Key, Input] = {}

    def make(key: Key) -> Input:
        if key not in inputs:
            inputs[key] = corpus.make(key)
        return inputs[key]

    def size_of(row: tuple[Any, ...]) -> int:
        return row[2] if row[2] is not None else make(row[0]).size

    phases = Counter(key[0] for key, *_ in rows)
    print(f"inputs run: {len(rows):,} (" + ", ".join(f"{p} {n:,}" for p, n in phases.items()) + ")")
    missing = len(keys) - len(rows)
    if missing:
        print(f"inputs without a result: {missing:,}")

    _report_crashes(rows, results, make)

    print(f"stalls (no answer within {cap:g} s wall, killed): {len(stalls)}")
    for n, (key, *_rest) in enumerate(stalls, 1):
        path = OUT / f"stall-{n:02d}.txt"
        inp = make(key)
        save_input(path, inp, [f"parse_worst stall: {key[0]} {key[1]} (seed {args.seed})"])
        parts = results.extractors.get(key, {})
        print(f"  {path.relative_to(ROOT)}  {inp.size:,} B  {inp.recipe}")
        if parts:
            print(f"     per extractor (ms): {_breakdown_line(parts, cap)}")

    times = sorted(r[1] if r[1] is not None else cap * 1000 for r in rows)
    print(
        "CPU ms per parse: "
        f"p50 {percentile(times, 50):.2f}  p99 {percentile(times, 99):.2f}  "
        f"p99.9 {percentile(times, 99.9):.2f}  max "
        + (f">{cap * 1000:,.0f} (stall)" if stalls else f"{times[-1]:,.1f}" if times else "-")
    )

    confirmed = [_confirmed(row, results) for row in rows]
    first_over = [r for r in rows if r[1] is not None and r[1] > BUDGET_MS]
    noise = [
        r
        for r, c in zip(rows, confirmed, strict=True)
        if r[1] is not None and r[1] > BUDGET_MS >= c[1]
    ]
    print(
        f"first timings over {BUDGET_MS:g} ms: {len(first_over):,}; {len(noise):,} of them "
        f"under {BUDGET_MS:g} ms when parsed again with cold caches (noise), left out below"
    )
    _report_budget(confirmed, size_of)
    _report_culprits(confirmed, results, size_of, make, args)
    _report_slowest(confirmed, results, make, args)
    _report_stretch(corpus, confirmed, results)
    _report_mutators(confirmed, make)


def _report_crashes(rows, results: Results, make) -> None:
    groups: dict[tuple[str, str], list[tuple[Key, Failure]]] = {}
    for key, _, _size, error in rows:
        if error is not None:
            groups.setdefault((error.type, error.location), []).append((key, error))
    total = sum(len(v) for v in groups.values())
    print(f"crashes (exceptions other than ParseError in parse_cable): {total}")
    for n, ((kind, location), found) in enumerate(sorted(groups.items()), 1):
        key, error = found[0]
        path = OUT / f"crash-{n:02d}.txt"
        inp = make(key)
        notes = [f"parse_worst crash: {key[0]} {key[1]}", f"{kind} at {location}", error.trace]
        save_input(path, inp, notes)
        print(f"  {len(found):,} x {kind} at {location}: {error.message[:120]!r}")
        print(f"     reproducer {path.relative_to(ROOT)} ({inp.size:,} B, {inp.recipe})")
    alone: dict[tuple[str, str, str], tuple[Key, Failure]] = {}
    for key, parts in results.extractors.items():
        for name, (_, error) in parts.items():
            if error is not None:
                alone.setdefault((name, error.type, error.location), (key, error))
    if alone:
        print(f"extractor crashes when called alone (inputs timed per extractor): {len(alone)}")
        for n, ((name, kind, location), (key, error)) in enumerate(sorted(alone.items()), 1):
            path = OUT / f"crash-extractor-{n:02d}.txt"
            inp = make(key)
            save_input(path, inp, [f"{name}: {kind} at {location}", error.trace])
            print(f"  {name}: {kind} at {location}: {error.message[:100]!r} -> {path.name}")


def _confirmed(row: tuple[Any, ...], results: Results) -> tuple[Any, ...]:
    """The row with the lower of its two timings: the run's, and the cold re-parse of the
    per-extractor breakdown (a preempted or page-faulting first parse is not the parser's)."""
    key, ms, size, error = row
    cold = results.extractors.get(key, {}).get("parse_cable", (None, None))[0]
    if ms is None or cold is None:
        return row
    return key, min(ms, cold), size, error


def _report_budget(rows, size_of) -> None:
    print("parses over budget, CPU ms, each the lower of two timings (a stall counts as over):")
    heads = (">25 ms <64K", ">25 ms >=64K", ">200 ms <64K", ">200 ms >=64K", "<64K", ">=64K")
    print(f"  {'':<8}" + "".join(f"{h:>14}" for h in heads))
    for phase in (None, "stretch", "mutate", "fuzz", "file"):
        chosen = [r for r in rows if phase is None or r[0][0] == phase]
        if not chosen:
            continue
        small = [r for r in chosen if size_of(r) < SMALL_BYTES]
        large = [r for r in chosen if size_of(r) >= SMALL_BYTES]
        cells = [
            sum(1 for r in group if r[1] is None or r[1] > limit)
            for limit in (BUDGET_MS, SLOW_MS)
            for group in (small, large)
        ] + [len(small), len(large)]
        print(f"  {phase or 'all':<8}" + "".join(f"{c:>14,}" for c in cells))


def _report_culprits(rows, results: Results, size_of, make, args: argparse.Namespace) -> None:
    """Per culprit, how many parses over budget it slowed, and its worst input under 64 KB
    (saved as culprit-<extractor>.txt)."""
    for limit in (BUDGET_MS, SLOW_MS):
        counts: dict[str, list[int]] = {}
        worst: dict[str, tuple[float, Key]] = {}
        for row in rows:
            key, ms = row[0], row[1]
            if ms is not None and ms <= limit:
                continue
            name, _ = culprit(results.extractors.get(key, {}))
            name = name or "(not timed per extractor)"
            small = size_of(row) < SMALL_BYTES
            counts.setdefault(name, [0, 0])[0 if small else 1] += 1
            value = float("inf") if ms is None else ms
            if small and value > worst.get(name, (-1.0, key))[0]:
                worst[name] = (value, key)
        if not counts:
            continue
        print(f"culprits of the parses over {limit:g} ms (inputs < 64 KB / >= 64 KB):")
        for name, (small, large) in sorted(counts.items(), key=lambda kv: -sum(kv[1])):
            line = f"  {name:<28} {small:>5,} / {large:<5,}"
            if name in worst and limit == BUDGET_MS:
                value, key = worst[name]
                path = OUT / f"culprit-{name}.txt"
                inp = make(key)
                save_input(path, inp, [f"parse_worst: worst input under 64 KB slowed by {name}"])
                shown = "stall" if value == float("inf") else f"{value:,.1f} ms"
                line += f" worst under 64 KB: {shown}, {inp.size:,} B, {inp.recipe} -> {path.name}"
            print(line)


def slowest_first(rows) -> tuple[list[Any], list[Any]]:
    """The rows slowest first, and those of inputs under 64 KB slowest first."""
    ranked = sorted(rows, key=lambda r: -(r[1] if r[1] is not None else 1e12))
    return ranked, [r for r in ranked if r[2] is not None and r[2] < SMALL_BYTES]


def _report_slowest(rows, results: Results, make, args: argparse.Namespace) -> None:
    ranked, small = slowest_first(rows)
    for title, chosen, prefix in (
        ("slowest", ranked, "slow"),
        ("slowest of the inputs under 64 KB", small, "slow-small"),
    ):
        print(f"{title}, {min(10, len(chosen))} shown, {args.save} saved as {prefix}-NN.txt:")
        for n, row in enumerate(chosen[: args.save], 1):
            _report_one(n, row, results, make, args, OUT / f"{prefix}-{n:02d}.txt")


def _report_one(n: int, row, results: Results, make, args: argparse.Namespace, path: Path) -> None:
    key, ms = row[0], row[1]
    inp = make(key)
    parts = results.extractors.get(key, {})
    name, worst = culprit(parts)
    notes = [
        f"parse_worst {path.stem}: {key[0]} {key[1]} (seed {args.seed})",
        f"parse_cable CPU {_ms(ms, args.cap)} ms; culprit {name} {_ms(worst, args.cap)} ms",
    ]
    save_input(path, inp, notes)
    if n > 10:
        return
    first = results.parsed[key][0]
    again = f" (first timing {first:,.1f})" if first is not None and first != ms else ""
    print(f"  {n:2}. {_ms(ms, args.cap):>10} ms{again}  {inp.size:>9,} B  [{key[0]} {key[1]}]")
    print(f"      recipe: {inp.recipe}")
    print(f"      culprit: {name or '-'} {_ms(worst, args.cap) if name else ''}")
    _print_breakdown(parts, args.cap, "      ")


def _print_breakdown(parts, cap: float, indent: str) -> None:
    if not parts:
        return
    print(f"{indent}per extractor (ms): {_breakdown_line(parts, cap)}")
    timed_parts = [v for k, (v, _) in parts.items() if k not in NOT_IN_PARSE_CABLE]
    cold = parts.get("parse_cable", (None, None))[0]
    if cold is not None and None not in timed_parts:
        print(
            f"{indent}parse_cable with cold caches {cold:.1f} ms, of which outside the "
            f"extractors timed: {cold - sum(timed_parts):.1f}"
        )


def _report_stretch(corpus: Corpus, rows, results: Results) -> None:
    by_field: dict[str, list[tuple[float, Key, str]]] = {}
    for key, ms, _size, _error in rows:
        if key[0] != "stretch":
            continue
        name, filler, size, mode = corpus.specs[key[1]]
        value = float("inf") if ms is None else ms
        by_field.setdefault(name, []).append((value, key, f"{filler},{size},{mode}"))
    if not by_field:
        return
    print("stretch phase, per field: inputs over 25 ms / 200 ms, then the worst three")
    for name in FIELDS_BY_NAME:
        found = sorted(by_field.get(name, []), key=lambda t: -t[0])
        if not found:
            continue
        over = sum(1 for v, *_ in found if v > BUDGET_MS)
        slow = sum(1 for v, *_ in found if v > SLOW_MS)
        worst = []
        for value, key, spec in found[:3]:
            who, _ = culprit(results.extractors.get(key, {}))
            shown = "stall" if value == float("inf") else f"{value:,.0f} ms"
            worst.append(f"{spec} {shown}" + (f" ({who})" if who else ""))
        print(f"  {name:<17} {over:>4}/{slow:<4} of {len(found):<4} " + "; ".join(worst))


def _report_mutators(rows, make) -> None:
    fuzz = [r for r in rows if r[0][0] == "fuzz" and (r[1] is None or r[1] > BUDGET_MS)]
    if not fuzz:
        return
    counts: Counter[str] = Counter()
    for key, *_ in fuzz:
        recipe = make(key).recipe.split(": ", 1)[-1]
        for step in set(re.findall(r"(?:^|\+ )(\w+)", recipe)):
            counts[step] += 1
    listed = ", ".join(f"{name} {n:,}" for name, n in counts.most_common())
    print(f"mutators in the fuzz inputs over 25 ms ({len(fuzz):,} inputs): {listed}")


def replay_report(keys: list[Key], results: Results, cap: float) -> None:
    for key in keys:
        ms, size, error = results.parsed.get(key, (None, None, None))
        inp = load_saved(Path(key[1]))
        parts = results.extractors.get(key, {})
        name, worst = culprit(parts)
        print(f"{key[1]}")
        print(f"  recipe: {inp.recipe}")
        print(f"  parse_cable: {_ms(ms, cap)} ms CPU, {inp.size:,} B")
        if error is not None:
            print(f"  crash: {error.type} at {error.location}: {error.message[:200]!r}")
        print(f"  culprit: {name} {_ms(worst, cap)} ms")
        _print_breakdown(parts, cap, "  ")
