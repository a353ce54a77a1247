"""A time limit on the queries of a block, enforced by the database itself.

PostgreSQL cancels the statement (`statement_timeout`, local to a transaction of its own);
SQLite interrupts it from its progress handler. Either way the block raises OutOfTime and the
connection is left as it was, so a page can skip what would take too long and say so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import OperationalError, connection, transaction

# SQLite virtual-machine steps between two looks at the clock: a few microseconds of work.
_SQLITE_STEPS = 1000


class OutOfTime(Exception):
    """The queries of a time-limited block ran past their limit and were stopped."""


@contextmanager
def time_limit(milliseconds: int) -> Iterator[None]:
    limit = max(int(milliseconds), 1)  # 0 would mean "no limit" to PostgreSQL
    block = _postgres if connection.vendor == "postgresql" else _sqlite
    with block(limit):
        yield


@contextmanager
def _postgres(limit: int) -> Iterator[None]:
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('statement_timeout'), "
                    "set_config('statement_timeout', %s, true)",
                    [f"{limit}ms"],
                )
                previous = cursor.fetchone()[0]
            yield
            if not outermost:  # a released savepoint keeps a local setting: undo it
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
    except OperationalError as exc:
        if type(exc.__cause__).__name__ == "QueryCanceled":
            raise OutOfTime(f"stopped after {limit} ms") from exc
        raise


# The deadlines of the limits in force, innermost last: the nearest one applies.
_deadlines: ContextVar[tuple[float, ...]] = ContextVar("sqlite_deadlines", default=())


@contextmanager
def _sqlite(limit: int) -> Iterator[None]:
    connection.ensure_connection()
    driver: Any = connection.connection
    outer = _deadlines.get()
    deadlines = (*outer, time.monotonic() + limit / 1000)
    token = _deadlines.set(deadlines)
    nearest = min(deadlines)
    driver.set_progress_handler(lambda: int(time.monotonic() > nearest), _SQLITE_STEPS)
    try:
        yield
    except OperationalError as exc:
        if "interrupted" in str(exc):
            raise OutOfTime(f"stopped after {limit} ms") from exc
        raise
    finally:
        _deadlines.reset(token)
        if outer:
            again = min(outer)
            driver.set_progress_handler(lambda: int(time.monotonic() > again), _SQLITE_STEPS)
        else:
            driver.set_progress_handler(None, 0)
