"""Records in batches, parsed here at first, then (for a big input) in forked worker processes."""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import NamedTuple, cast

from ..parser import ParsedCable
from ..readers import RawRecord
from .parsing import Batch, CableFields, Parsed, Record, parse_batch, parse_one
from .summary import Rejection

# Below this many records forking parse workers costs more than it saves (and tests stay serial).
PARALLEL_AFTER = 1000
_CHUNK = 50  # records per task: small enough to share a batch among the workers
_BATCHES_AHEAD = 1


def default_workers() -> int:
    """Parse processes for a large import: one per CPU the process may use."""
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return len(cpus) if cpus else os.cpu_count() or 1


def parsed_batches(records: Iterable[Record], batch_size: int, workers: int) -> Iterator[Batch]:
    """Parsed batches in input order: here at first, then (big inputs) in worker processes."""
    batches = _batched(records, batch_size)
    seen = 0
    for batch in batches:
        yield parse_batch(batch)
        seen += len(batch)
        if workers > 1 and seen >= PARALLEL_AFTER and _can_fork():
            yield from _parse_in_pool(batches, workers)
            return


def _batched(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while batch := list(islice(iterator, max(size, 1))):
        yield batch


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class _Shipped(NamedTuple):
    """A parsed record as a worker sends it back: without the texts the importing process holds."""

    cable: ParsedCable
    fields: CableFields
    texts_dropped: bool


_Outcome = _Shipped | Rejection


def _parse_in_pool(batches: Iterator[list[Record]], workers: int) -> Iterator[Batch]:
    """Parse batch N+1 in workers while the caller writes batch N.

    Workers are forked, so they start at once with the parser loaded; they never use the
    database connection they inherit. A worker that dies breaks the pool and stops the import
    with the batch in flight unwritten, as a killed import would.
    """
    pool = _start_pool(workers)
    pending: deque[tuple[list[Record], list[Future[list[_Outcome]]]]] = deque()
    try:
        for batch in batches:
            chunks = [batch[i : i + _CHUNK] for i in range(0, len(batch), _CHUNK)]
            pending.append((batch, [pool.submit(_parse_chunk, chunk) for chunk in chunks]))
            if len(pending) > _BATCHES_AHEAD:
                yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_watch_parent)
    # Frozen objects are skipped by the workers' garbage collector, so the memory they share
    # with this process stays shared instead of being copied page by page.
    gc.freeze()
    try:
        pool.submit(int).result()  # a fork pool starts all its workers on the first task
    finally:
        gc.unfreeze()
    return pool


def _watch_parent() -> None:
    """Exit when the importing process is gone, killed or not, rather than wait forever."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _parse_chunk(records: list[Record]) -> list[_Outcome]:
    outcomes: list[_Outcome] = []
    for record in records:
        outcome = parse_one(record)
        outcomes.append(_without_text(outcome) if isinstance(outcome, Parsed) else outcome)
    return outcomes


def _without_text(item: Parsed) -> _Shipped:
    record, cable, fields = item
    fields["raw"] = ""
    dropped = cable.header is record.header and cable.body is record.body
    if dropped:
        cable = dataclasses.replace(cable, header="", body="")
        fields["header_stored"] = fields["body_stored"] = ""
    return _Shipped(cable, fields, dropped)


def _with_text(record: RawRecord, shipped: _Shipped) -> Parsed:
    cable, fields, dropped = shipped
    fields["raw"] = record.raw
    if dropped:
        cable = dataclasses.replace(cable, header=record.header, body=record.body)
        # Unaltered texts are stored either as a span (no text) or as the record's own.
        if fields["header_start"] is None:
            fields["header_stored"] = record.header
        if fields["body_start"] is None:
            fields["body_stored"] = record.body
    return Parsed(record, cable, fields)


def _collect(batch: list[Record], futures: list[Future[list[_Outcome]]]) -> Batch:
    collected = Batch([], [])
    outcomes = (outcome for future in futures for outcome in future.result())
    for record, outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, Rejection):
            collected.rejected.append((record, outcome))
        else:
            # Only a RawRecord parses: a BadRecord always comes back as its Rejection.
            collected.parsed.append(_with_text(cast(RawRecord, record), outcome))
    return collected
