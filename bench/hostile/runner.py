"""Worker processes that time the corpus: a pipe each, so a worker killed mid-message takes only
its own pipe with it; a worker silent for the wall cap is killed and the rest of its chunk
requeued."""

from __future__ import annotations

import gc
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from typing import Any

from .corpus import Corpus, Key
from .inputs import Input
from .timing import EXTRACTORS, Failure, breakdown, time_parse

CHUNK = 50
Task = tuple[Key, tuple[Any, ...]]  # ("parse",) or ("breakdown", start, skip)


def _worker(conn: Connection, corpus: Corpus, threshold: float) -> None:
    cable = corpus.cables[0]
    time_parse(Input(cable.header, cable.body, cable.metadata, "warm-up"))  # lexicons, caches
    gc.freeze()  # the corpus and the parser's tables: no parse pays for collecting them
    while True:
        message = conn.recv()
        if message[0] == "stop":
            return
        for key, mode in message[1]:
            inp = corpus.make(key)
            start, skip = 0, frozenset()
            if mode[0] == "parse":
                ms, error = time_parse(inp)
                follow = ms > threshold
                conn.send(("parsed", key, ms, inp.size, error, follow))
                if not follow:
                    continue
            else:
                start, skip = mode[1], frozenset(mode[2])
            for k, name, timer in breakdown(inp, start, skip):
                conn.send(("begin", key, k))
                ms, error = timer()
                conn.send(("extractor", key, name, ms, error))
            conn.send(("done", key))
        conn.send(("ready",))


@dataclass
class Worker:
    process: Any
    conn: Connection
    tasks: list[Task] = field(default_factory=list)
    pos: int = 0
    stage: Any = "idle"  # "parse", "breakdown" (untimed setup) or an extractor index
    last: float = 0.0

    @property
    def current(self) -> Task | None:
        return self.tasks[self.pos] if self.pos < len(self.tasks) else None


@dataclass
class Results:
    parsed: dict[Key, tuple[float | None, int | None, Failure | None]] = field(
        default_factory=dict
    )  # ms (None: stall), size, crash
    extractors: dict[Key, dict[str, tuple[float | None, Failure | None]]] = field(
        default_factory=dict
    )
    stall_breakdowns: int = 0


class Runner:
    def __init__(self, corpus: Corpus, jobs: int, cap: float, threshold: float, stall_bd: int):
        self.corpus, self.jobs, self.cap = corpus, jobs, cap
        self.threshold, self.stall_bd = threshold, stall_bd
        self.context = get_context("fork")
        self.results = Results()
        self.pending: deque[Task] = deque()

    def run(self, keys: list[Key], progress: bool = True) -> Results:
        self.pending.extend((key, ("parse",)) for key in keys)
        workers = [self._spawn() for _ in range(max(1, self.jobs))]
        workers = [w for w in workers if self._assign(w)]
        started = shown = time.monotonic()
        while workers:
            ready = wait([w.conn for w in workers], timeout=1.0)
            for conn in ready:
                w = next(w for w in workers if w.conn is conn)
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    workers.remove(w)
                    workers.extend(self._replace(w, died=True))
                    continue
                w.last = time.monotonic()
                if not self._handle(w, message):
                    workers.remove(w)
            now = time.monotonic()
            for w in [w for w in workers if w.stage != "idle" and now - w.last > self.cap]:
                workers.remove(w)
                workers.extend(self._replace(w, died=False))
            if progress and now - shown > 15:
                shown = now
                done = self.results.parsed.values()
                stalls = sum(1 for ms, _, error in done if ms is None and error is None)
                crashes = sum(1 for _, _, error in done if error is not None)
                print(
                    f"  … {len(done):,}/{len(keys):,} parsed, {crashes} crashes, "
                    f"{stalls} stalls, {now - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        return self.results

    def _spawn(self) -> Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker, args=(child, self.corpus, self.threshold), daemon=True
        )
        process.start()
        child.close()
        return Worker(process, parent, last=time.monotonic())

    def _assign(self, w: Worker) -> bool:
        chunk = [self.pending.popleft() for _ in range(min(CHUNK, len(self.pending)))]
        if not chunk:
            w.conn.send(("stop",))
            w.process.join()
            w.conn.close()
            return False
        w.tasks, w.pos, w.last = chunk, 0, time.monotonic()
        w.stage = self._first_stage(chunk[0])
        w.conn.send(("tasks", chunk))
        return True

    @staticmethod
    def _first_stage(task: Task) -> Any:
        return "parse" if task[1][0] == "parse" else "breakdown"

    def _advance(self, w: Worker) -> None:
        w.pos += 1
        w.stage = self._first_stage(w.current) if w.current else "idle"

    def _handle(self, w: Worker, message: tuple[Any, ...]) -> bool:
        kind = message[0]
        if kind == "parsed":
            _, key, ms, size, error, follow = message
            self.results.parsed[key] = (ms, size, error)
            if follow:
                w.stage = "breakdown"
            else:
                self._advance(w)
        elif kind == "begin":
            w.stage = message[2]
        elif kind == "extractor":
            _, key, name, ms, error = message
            self.results.extractors.setdefault(key, {})[name] = (ms, error)
            w.stage = "breakdown"
        elif kind == "done":
            self._advance(w)
        elif kind == "ready":
            return self._assign(w)
        return True

    def _replace(self, w: Worker, died: bool) -> list[Worker]:
        """Kill a stalled (or dead) worker, note its input, requeue the rest of its chunk."""
        task = w.current
        if w.process.is_alive():
            w.process.kill()
        w.process.join()
        w.conn.close()
        rest = w.tasks[w.pos + 1 :]
        if task is not None:
            key = task[0]
            what = "WorkerDied" if died else "Stall"
            if w.stage in ("parse", "idle"):
                failure = Failure(what, "", f"exit code {w.process.exitcode}", "") if died else None
                self.results.parsed[key] = (None, None, failure)
                if not died and self.results.stall_breakdowns < self.stall_bd:
                    self.results.stall_breakdowns += 1
                    rest.insert(0, (key, ("breakdown", 0, ())))
            elif isinstance(w.stage, int):
                name = EXTRACTORS[w.stage]
                self.results.extractors.setdefault(key, {})[name] = (None, None)
                skip = (*task[1][2], name) if task[1][0] == "breakdown" else (name,)
                if w.stage + 1 < len(EXTRACTORS):
                    rest.insert(0, (key, ("breakdown", w.stage + 1, skip)))
        self.pending.extendleft(reversed(rest))
        fresh = self._spawn()
        return [fresh] if self._assign(fresh) else []
