"""What a bulk import asks of the database, the same few methods whichever database it is.

`for_connection()` picks the class for the connection's vendor; every difference between
PostgreSQL and SQLite the import relies on lives in those classes: how rows go in (COPY or one
executemany), whether ids can be drawn before the insert, the settings of a long run, how
concurrent imports take turns, how many parameters a statement takes, and what the search
index needs once the run is over.
"""

from __future__ import annotations

import fcntl
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, cast

from django.db import connection, transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Model

from ..models import Cable
from ..search.postgres import VECTOR

if TYPE_CHECKING:
    import psycopg

Row = tuple[object, ...]
Setting = int | str

SQLITE_IMPORT_CACHE_KIB = 32 * 1024
_STAGING = "cables_cable_staging"  # a temporary table of the session
_IMPORT_LOCK = 0x0CAB1E  # any constant: the key of PostgreSQL's advisory lock for imports

# Python values of these fields are what both databases store; dates and JSON need adapting.
_STORED_AS_IS = frozenset(
    [
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    ]
)


def for_connection() -> BulkSQL:
    """The bulk SQL of the database `django.db.connection` points at."""
    return _VENDORS.get(connection.vendor, BulkSQL)()


class BulkSQL:
    """Portable SQL for any database Django supports; a vendor overrides what it does better."""

    def session(self) -> AbstractContextManager[None]:
        """Connection settings for a whole import, put back after it; what is stored is the same."""
        return nullcontext()

    @contextmanager
    def alone(self, job: str) -> Iterator[bool]:
        """Whether no other process runs `job` on this database now; held until the block ends.

        Released by the database or the system when the process dies, so a killed run never
        blocks the next one.
        """
        yield True

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One batch's transaction: a killed import loses at most the batch in flight."""
        with transaction.atomic():
            self.take_turn()
            yield

    def take_turn(self) -> None:
        """Make concurrent imports write one batch at a time, so they never race for new rows."""

    def new_ids(self, model: type[Model], count: int) -> list[int] | None:
        """Primary keys for rows about to be inserted; None lets the insert number them."""
        return None

    def insert_rows(self, model: type[Model], names: Sequence[str], rows: Iterable[Row]) -> None:
        """Insert plain value tuples in one go, skipping model instances and per-value ORM work."""
        fields = [_concrete(model, name) for name in names]
        prepared = _prepared(fields, rows)
        if not prepared:
            return
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        with connection.cursor() as cursor:
            self._insert(cursor, table, [quote(f.column) for f in fields], prepared)

    # Whether insert_cables puts the cables in the search index as it inserts them.
    indexes_on_insert = False

    def insert_cables(self, names: Sequence[str], rows: Iterable[Row]) -> None:
        """Insert new cables whose TAGs are already stored (the search index may read them)."""
        self.insert_rows(Cable, names, rows)

    def update_rows(self, model: type[Model], names: Sequence[str], rows: Iterable[Row]) -> None:
        """Set the named columns of rows given as (values…, primary key), one statement for all.

        One prepared UPDATE run per row: the ORM's bulk_update builds a CASE per column over
        the whole batch, which SQLite evaluates row by row (quadratic in the batch size).
        """
        fields = [_concrete(model, name) for name in names]
        pk = model._meta.pk
        assert pk is not None
        prepared = _prepared([*fields, pk], rows)
        if not prepared:
            return
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        table, key = quote(model._meta.db_table), quote(pk.column)
        sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"
        with connection.cursor() as cursor:
            cursor.executemany(sql, cast(list[Sequence[Any]], prepared))

    def _insert(
        self, cursor: CursorWrapper, table: str, columns: list[str], rows: list[Row]
    ) -> None:
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        # The values were prepared for this connection by their fields, whatever their type.
        cursor.executemany(sql, cast(list[Sequence[Any]], rows))

    def flush_search_index(self) -> None:
        """Bring the search index up to date once an import has added or changed cables."""


class _SQLite(BulkSQL):
    @contextmanager
    def alone(self, job: str) -> Iterator[bool]:
        name = str(connection.settings_dict["NAME"])
        if not name or name == ":memory:" or name.startswith("file:"):
            yield True  # a database of this process alone
            return
        with open(f"{name}.{job}.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def session(self) -> Iterator[None]:
        # A batch writes ~10 MB of pages (text, indexes, FTS) and the default 2 MB cache spills
        # them to the WAL mid-transaction, then reads them back for the full-text insert.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            previous = _first(cursor)
            cursor.execute(f"PRAGMA cache_size = {-SQLITE_IMPORT_CACHE_KIB}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(previous)}")

    @contextmanager
    def batch(self) -> Iterator[None]:
        # SQLite's immediate transactions already serialise writers: no turn to take.
        with self._full_parameter_limit(), super().batch():
            yield

    @contextmanager
    def _full_parameter_limit(self) -> Iterator[None]:
        """Let SQLite take a whole batch per INSERT, as PostgreSQL does.

        Django 5.2 assumes SQLite's historical 999-variable limit and splits bulk inserts to fit
        it; SQLite 3.32+ allows 32,766, and reading the real limit keeps the queries per batch
        constant.
        """
        connection.ensure_connection()
        driver: Any = connection.connection  # the sqlite3.Connection, untyped in Django's stubs
        limit_getter = getattr(driver, "getlimit", None)
        if limit_getter is None:
            yield
            return
        features = connection.features
        features.max_query_params = int(limit_getter(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        try:
            yield
        finally:
            del features.max_query_params


class _PostgreSQL(BulkSQL):
    @contextmanager
    def alone(self, job: str) -> Iterator[bool]:
        key = zlib.crc32(job.encode())  # a session lock, apart from the imports' batch lock
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            taken = bool(_first(cursor))
        try:
            yield taken
        finally:
            if taken:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])

    # lz4 compresses the long text columns several times faster than pglz, and a bigger GIN
    # pending list merges the search vectors into the index in fewer, larger passes.
    SETTINGS: dict[str, Setting] = {
        "default_toast_compression": "lz4",
        "gin_pending_list_limit": "64MB",
    }

    @contextmanager
    def session(self) -> Iterator[None]:
        with connection.cursor() as cursor:
            wanted = dict(self.SETTINGS)
            if not _has_lz4(cursor):
                del wanted["default_toast_compression"]
            previous: dict[str, Setting] = {}
            for name, value in wanted.items():
                cursor.execute(f"SHOW {name}")
                previous[name] = _first(cursor)
                cursor.execute(f"SET {name} = '{value}'")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for name, value in previous.items():
                    cursor.execute(f"SET {name} = '{value}'")

    def take_turn(self) -> None:
        # Held until the batch's transaction ends.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])

    def new_ids(self, model: type[Model], count: int) -> list[int]:
        table, pk = model._meta.db_table, _concrete(model, "id").column
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]

    def _insert(
        self, cursor: CursorWrapper, table: str, columns: list[str], rows: list[Row]
    ) -> None:
        # COPY is several times faster than any INSERT for a batch's 10 MB of cable text.
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        driver = cast("psycopg.Cursor[Any]", cursor.cursor)
        # Logged like any query when queries are (DEBUG, or counted by the tests).
        logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
        with logged, driver.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    indexes_on_insert = True

    def insert_cables(self, names: Sequence[str], rows: Iterable[Row]) -> None:
        # COPY into a scratch table, then one INSERT … SELECT that computes the search vector:
        # writing the rows and then updating each with its vector costs a second row version
        # and a second entry in every index of the table.
        prepared = _prepared([_concrete(Cable, name) for name in names], rows)
        if not prepared:
            return
        quote = connection.ops.quote_name
        columns = [quote(_concrete(Cable, name).column) for name in names]
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} "
                f"(LIKE {quote(Cable._meta.db_table)} INCLUDING DEFAULTS)"
            )
            self._insert(cursor, _STAGING, columns, prepared)
            listed = ", ".join(columns)
            picked = ", ".join(f"c.{column}" for column in columns)
            cursor.execute(
                f"INSERT INTO {quote(Cable._meta.db_table)} ({listed}, search_vector) "
                f"SELECT {picked}, {VECTOR} FROM {_STAGING} AS c "
                "JOIN cables_origin AS o ON o.id = c.origin_id"
            )
            # Emptied now, not at commit: a batch may run inside a caller's longer transaction.
            cursor.execute(f"TRUNCATE {_STAGING}")

    def flush_search_index(self) -> None:
        # Merge what the GIN pending list holds into the index, so searches need not scan it.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index AS i "
                "JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_am AS am ON am.oid = c.relam "
                "WHERE i.indrelid = %s::regclass AND am.amname = 'gin'",
                [Cable._meta.db_table],
            )


_VENDORS: dict[str, type[BulkSQL]] = {"sqlite": _SQLite, "postgresql": _PostgreSQL}


def _concrete(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _prepared(fields: list[Field[Any, Any]], rows: Iterable[Row]) -> list[Row]:
    """The rows with dates and JSON adapted to the connection; other values go in as they are."""
    adapt = [i for i, f in enumerate(fields) if f.get_internal_type() not in _STORED_AS_IS]
    if not adapt:
        return list(rows)
    prepared = []
    for row in rows:
        values = list(row)
        for i in adapt:
            values[i] = fields[i].get_db_prep_save(values[i], connection)
        prepared.append(tuple(values))
    return prepared


def _first(cursor: CursorWrapper) -> Setting:
    row = cursor.fetchone()
    if row is None or not isinstance(row[0], int | str):
        raise ValueError("the database did not report the setting")
    return row[0]


def _has_lz4(cursor: CursorWrapper) -> bool:
    cursor.execute(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    )
    row = cursor.fetchone()
    return bool(row and row[0])
