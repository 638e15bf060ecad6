"""Per-dialect bulk upsert of one prepared Arrow chunk (see :mod:`.frames`).

All three dialects share the ``INSERT ... ON CONFLICT (key) DO UPDATE SET c = excluded.c`` syntax; they
differ in how the rows reach the database:

* SQLite: ``executemany`` on the raw sqlite3 cursor with plain tuples in key order (dates and
  timestamps as the ISO text SQLAlchemy itself stores, NULL bound as NaN: see :data:`_SQLITE_NULL`),
  inside the caller's transaction;
* DuckDB: the Arrow chunk is registered on the raw duckdb connection and merged with set-based SQL
  (executemany through duckdb-engine runs at a few hundred rows/s);
* PostgreSQL (psycopg 3): ``pgpq`` encodes the chunk in ``COPY``'s binary format, loaded straight into
  the target while no key conflicts, else into a temporary staging table merged with
  ``INSERT ... ON CONFLICT``.

Only the columns present in the chunk are written: on conflict, columns the input did not provide keep
their stored values.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from ntropy_dagster._gc import gc_paused
from ntropy_dagster.core.warehouse.frames import UTC_TS

if TYPE_CHECKING:
    import psycopg

Writer = Callable[[sa.Connection, str, pa.Table, Sequence[str]], int]


def driver_connection(conn: sa.Connection) -> Any:
    """The driver's own connection under ``conn``: sqlite3's, duckdb-engine's wrapper or psycopg's.

    SQLAlchemy types it ``Any | None`` (it depends on the driver); it is None only for a connection that
    was invalidated, which a connection in use never is.
    """
    raw = conn.connection.driver_connection
    if raw is None:
        raise sa.exc.InvalidRequestError("the database connection was invalidated")
    return raw


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _column_list(conn: sa.Connection, names: Sequence[str]) -> str:
    return ", ".join(_quote(conn, n) for n in names)


def _conflict_clause(conn: sa.Connection, columns: Sequence[str], keys: Sequence[str]) -> str:
    updates = [c for c in columns if c not in keys]
    target = _column_list(conn, keys)
    if not updates:
        return f"ON CONFLICT ({target}) DO NOTHING"
    sets = ", ".join(f"{_quote(conn, c)} = excluded.{_quote(conn, c)}" for c in updates)
    return f"ON CONFLICT ({target}) DO UPDATE SET {sets}"


def _utc_text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """UTC timestamps as ``2024-01-02 03:04:05.000000`` (20x faster than ``pc.strftime``)."""
    return pc.cast(pc.cast(arr, pa.timestamp("us")), pa.string())


#: Bound instead of None: SQLite stores a bound NaN as NULL, and Python's sqlite3 binds a float ~8x faster
#: than None (None takes the slow adapter-lookup path, which raises and clears an AttributeError per value).
_SQLITE_NULL = float("nan")


def _sqlite_array(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """One column in the storage format SQLAlchemy uses on SQLite (ISO text dates and timestamps, 0/1)."""
    if arr.type == UTC_TS:
        return _utc_text(arr)  # SQLAlchemy's SQLite DATETIME storage format
    if pa.types.is_date32(arr.type):
        return pc.cast(arr, pa.string())
    if pa.types.is_boolean(arr.type):
        return pc.cast(arr, pa.int64())  # SQLAlchemy stores booleans as 0/1; exact ints bind fastest
    return arr


def _sqlite_values(arr: pa.ChunkedArray) -> list[object]:
    """One converted column as the Python values bound on SQLite (NaN for NULL).

    Repetitive text (merchant names, categories, locations...) is dictionary-encoded first, so each
    distinct value becomes one Python string shared by its rows instead of one string per row.
    """
    if arr.null_count == len(arr):
        return [_SQLITE_NULL] * len(arr)
    values: list[object]
    if pa.types.is_floating(arr.type):
        values = pc.fill_null(arr, _SQLITE_NULL).to_numpy().tolist()
        return values
    if pa.types.is_string(arr.type):
        encoded = pc.dictionary_encode(arr.combine_chunks())
        distinct = len(encoded.dictionary)
        if distinct * 2 <= len(arr):
            lookup = np.empty(distinct + 1, dtype=object)
            lookup[:distinct] = encoded.dictionary.to_pylist()
            lookup[distinct] = _SQLITE_NULL
            values = lookup[pc.fill_null(encoded.indices, distinct).to_numpy()].tolist()
            return values
    values = arr.to_pylist()
    if arr.null_count == 0:
        return values
    return [_SQLITE_NULL if v is None else v for v in values]


#: The longest text written as a SQL literal (see :func:`_sqlite_constant`).
MAX_LITERAL = 256
#: The fewest rows whose constant columns are written as SQL literals (see :func:`write_sqlite`).
LITERAL_MIN_ROWS = 64


def _sqlite_constant(arr: pa.ChunkedArray) -> str | None:
    """A SQL literal for a column whose values are all NULL or all one text/integer value, else None.

    Binding a value costs SQLite more than inserting it: constant columns (a chunk's batch id, partition,
    source, write timestamp, all-NULL fields) are written as literals in the statement instead. Only short
    ones: sqlite3 keeps the last 128 statements compiled per connection, and a statement quoting a long
    value (a chunk's payloads in the ledger) would keep that value in memory once per write.
    """
    if arr.null_count == len(arr):
        return "NULL"
    if arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_integer(arr.type)):
        return None
    bounds = pc.min_max(arr)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    if low != high:
        return None
    if isinstance(low, int):
        return str(low)
    text = str(low)
    if "\x00" in text or len(text) > MAX_LITERAL:
        return None  # SQLite text literals end at NUL; bind such values, and long ones
    return "'" + text.replace("'", "''") + "'"


def write_sqlite(conn: sa.Connection, target: str, chunk: pa.Table, keys: Sequence[str]) -> int:
    """Upsert ``chunk`` into SQLite with one ``executemany`` (constant columns as SQL literals).

    Rows go in key order: the primary-key B-tree then fills page after page instead of splitting pages
    all over the tree (~30% faster; the chunk has no duplicate keys, so the order changes nothing else).
    """
    chunk = chunk.sort_by([(k, "ascending") for k in keys])
    columns = chunk.column_names
    arrays = [_sqlite_array(chunk.column(c)) for c in columns]
    # Literals make the statement's text, hence the statement sqlite3 compiles and caches (128 per
    # connection, each keeping the values last bound to it), specific to those values. Worth it for a
    # chunk of thousands of rows; for the ledger's one-row writes each would be a new cached statement
    # holding the chunk's payloads: ~0.5 MB a chunk, 60 MB per connection over a large partition.
    few = chunk.num_rows < LITERAL_MIN_ROWS
    literals = [None if few else _sqlite_constant(a) for a in arrays]
    bound = [a for a, literal in zip(arrays, literals, strict=True) if literal is None]
    if not bound:  # executemany needs a parameter per row: bind the first column anyway
        literals[0] = None
        bound = arrays[:1]
    values_sql = ", ".join("?" if literal is None else literal for literal in literals)
    sql = (
        f"INSERT INTO {target} ({_column_list(conn, columns)}) VALUES ({values_sql}) "
        f"{_conflict_clause(conn, columns, keys)}"
    )
    raw: sqlite3.Connection = driver_connection(conn)
    cursor = raw.cursor()
    try:
        with gc_paused():  # a Python object per value: let the collector not re-walk them all
            values = [_sqlite_values(a) for a in bound]
            cursor.executemany(sql, zip(*values, strict=True))
    finally:
        cursor.close()
    return int(chunk.num_rows)


def _key_match(conn: sa.Connection, keys: Sequence[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{_quote(conn, k)} = {right}.{_quote(conn, k)}" for k in keys)


def write_duckdb(conn: sa.Connection, target: str, chunk: pa.Table, keys: Sequence[str]) -> int:
    """Upsert ``chunk`` into DuckDB from the Arrow table registered as a view.

    Count the chunk's keys already stored (one semi-join), then ``UPDATE ... FROM`` those and
    ``INSERT`` the rest: a plain insert when none is stored (the usual case, a new partition), an
    anti-join insert when some are. About 1.5x the rate of DuckDB's ``INSERT ... ON CONFLICT DO UPDATE``
    on new keys and on stored keys alike (benchmarks/warehouse_upsert.py).
    """
    raw = driver_connection(conn)  # duckdb-engine's wrapper of a duckdb connection (untyped)
    view = f"ntropy_stage_{uuid.uuid4().hex}"
    names = chunk.column_names
    columns = _column_list(conn, names)
    match = _key_match(conn, keys, "t", "s")
    stored_key = f"EXISTS (SELECT 1 FROM {target} AS t WHERE {match})"
    updates = [c for c in names if c not in keys]
    raw.register(view, chunk)
    try:
        stored: int = raw.execute(f"SELECT count(*) FROM {view} AS s WHERE {stored_key}").fetchone()[0]
        if stored and updates:
            sets = ", ".join(f"{_quote(conn, c)} = s.{_quote(conn, c)}" for c in updates)
            raw.execute(f"UPDATE {target} AS t SET {sets} FROM {view} AS s WHERE {match}")
        if stored < chunk.num_rows:
            new_only = f" WHERE NOT {stored_key}" if stored else ""
            raw.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {view} AS s{new_only}")
    finally:
        raw.unregister(view)
    return int(chunk.num_rows)


#: Rows encoded per ``COPY`` message: the server parses one piece while the next is encoded.
_COPY_PIECE_ROWS = 10_000


class PostgresWriter:
    """Upsert chunks into PostgreSQL with binary ``COPY`` (encoded from Arrow by ``pgpq``).

    Binary ``COPY`` spares the server parsing text (dates, timestamps and floats arrive in their storage
    format), about a third of its work on our wide tables. Optimistic fast path: ``COPY`` straight into
    the target inside a savepoint, which is the whole cost of a fresh insert. If a key already exists
    (unique violation), roll back to the savepoint and take the merge path for this and every later chunk
    of the call: ``COPY`` into a temporary staging table, then one ``INSERT ... SELECT ... ON CONFLICT DO
    UPDATE``. A chunk whose first key is already stored (a re-run) goes to the merge path at once.
    """

    def __init__(self) -> None:
        self.conflicts_seen = False

    def __call__(self, conn: sa.Connection, target: str, chunk: pa.Table, keys: Sequence[str]) -> int:
        import psycopg  # the PostgreSQL driver is only needed for PostgreSQL warehouses

        raw: psycopg.Connection[Any] = driver_connection(conn)
        columns = _column_list(conn, chunk.column_names)
        with raw.cursor() as cursor:
            if not self.conflicts_seen and _first_key_stored(conn, cursor, target, chunk, keys):
                self.conflicts_seen = True
            if not self.conflicts_seen:
                # Plain SQL savepoint: psycopg opens the caller's transaction first if it is not open yet
                # (raw.transaction() would instead commit on its own when no transaction is open).
                cursor.execute("SAVEPOINT ntropy_copy")
                try:
                    _copy_binary(cursor, f"{target} ({columns})", chunk)
                except psycopg.errors.UniqueViolation:
                    cursor.execute("ROLLBACK TO SAVEPOINT ntropy_copy")
                    self.conflicts_seen = True
                else:
                    cursor.execute("RELEASE SAVEPOINT ntropy_copy")
                    return int(chunk.num_rows)
            stage = f"ntropy_stage_{uuid.uuid4().hex}"
            cursor.execute(
                f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {columns} FROM {target} WITH NO DATA"
            )
            _copy_binary(cursor, f"{stage} ({columns})", chunk)
            cursor.execute(
                f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage} "
                f"{_conflict_clause(conn, chunk.column_names, keys)}"
            )
            cursor.execute(f"DROP TABLE {stage}")
        return int(chunk.num_rows)


def _first_key_stored(
    conn: sa.Connection, cursor: psycopg.Cursor[Any], target: str, chunk: pa.Table, keys: Sequence[str]
) -> bool:
    """Whether the chunk's first key is already in ``target`` (one primary-key lookup)."""
    match = " AND ".join(f"{_quote(conn, k)} = %s" for k in keys)
    params = [chunk.column(k)[0].as_py() for k in keys]
    row = cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {target} WHERE {match})", params).fetchone()
    return row is not None and bool(row[0])


def _copy_binary(cursor: psycopg.Cursor[Any], into: str, chunk: pa.Table) -> None:
    from pgpq import ArrowToPostgresBinaryEncoder

    # The encoder writes each Arrow type in the binary format of the column type the warehouse gives it
    # (text, date, float8, int8, bool, and timestamptz as microseconds since 2000-01-01 UTC).
    encoder = ArrowToPostgresBinaryEncoder(chunk.schema)
    with cursor.copy(f"COPY {into} FROM STDIN (FORMAT binary)") as copy:
        copy.write(encoder.write_header())
        for piece in chunk.to_batches(max_chunksize=_COPY_PIECE_ROWS):
            copy.write(encoder.write_batch(piece))
        copy.write(encoder.finish())


def make_writer(dialect: str) -> Writer:
    """A writer for one upsert call (it may keep state across that call's chunks)."""
    if dialect == "postgresql":
        return PostgresWriter()
    return {"sqlite": write_sqlite, "duckdb": write_duckdb}[dialect]
