"""Raw transactions that need not fit in one DataFrame: every accepted input as an iterator of bounded frames.

A partition's raw input can be one pandas DataFrame (the whole-frame path), or a
:class:`TransactionSource` read in chunks: Parquet or Arrow IPC files (:class:`ParquetSource`), a table or
query in any SQLAlchemy database (:class:`SqlSource`), or the caller's own iterator of frames
(:class:`FrameIterator`). :func:`as_source` turns a raw asset's value into one of these. Every source
yields DataFrames of at most ``rows`` rows, in source order, each with a fresh ``RangeIndex``; empty
frames are never yielded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import sqlalchemy as sa

from ntropy_dagster.core.warehouse.engines import create_engine

__all__ = [
    "FrameIterator",
    "ParquetSource",
    "SqlSource",
    "TransactionSource",
    "as_source",
]

_FORMATS = ("parquet", "arrow")
_EMBEDDED = ("sqlite", "duckdb")
#: ``scheme://`` (possibly mistyped), ``user:password`` up to the last ``@``, then the host and the rest.
_CREDENTIALS = re.compile(r"^([\w+.-]*:?/*)(.*)@([^@]*)$", re.DOTALL)
#: Read buffer of a Parquet file: pages are read through it rather than a whole column chunk at once.
_READ_BUFFER = 1 << 20
_ACCEPTED = (
    "a pandas DataFrame, a TransactionSource (ParquetSource, SqlSource, FrameIterator) "
    "or an iterator of pandas DataFrames"
)


@runtime_checkable
class TransactionSource(Protocol):
    """Raw transactions read in chunks.

    ``frames(rows)`` yields DataFrames of at most ``rows`` rows each, in source order, each with a fresh
    ``RangeIndex``. Sources that can be re-read (files, databases) may be read any number of times; an
    iterator of frames can be read once.
    """

    def frames(self, rows: int) -> Iterator[pd.DataFrame]:
        """Yield the raw transactions as DataFrames of at most ``rows`` rows."""
        ...


@dataclass(frozen=True)
class ParquetSource:
    """Parquet files (or Arrow IPC / Feather v2 files with ``format="arrow"``), read in batches.

    Attributes:
        path: A file, a directory of files (hive partitions such as ``month=2024-01/`` become
            columns), or a sequence of files.
        columns: Read only these columns, in this order (default: all).
        format: ``"parquet"`` or ``"arrow"`` (the Arrow IPC file format, i.e. Feather v2).
    """

    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
    columns: Sequence[str] | None = None
    format: Literal["parquet", "arrow"] = "parquet"

    def __post_init__(self) -> None:
        if self.format not in _FORMATS:
            raise ValueError(f"format must be one of {', '.join(_FORMATS)}, got {self.format!r}")
        if isinstance(self.columns, str):
            raise TypeError(f"columns must be a sequence of column names, not the string {self.columns!r}")

    def frames(self, rows: int) -> Iterator[pd.DataFrame]:
        """Yield the files' rows as DataFrames of at most ``rows`` rows, in file and row order.

        Record batches are accumulated up to ``rows`` rows before conversion, so files with small row
        groups still give full frames; at most about two frames' worth of rows is held at a time.

        Raises:
            ValueError: ``rows`` is not a positive integer, or a requested column is not in the files.
            FileNotFoundError: A path does not exist.
        """
        _check_rows(rows)
        dataset = self._dataset()
        columns = None if self.columns is None else list(self.columns)
        if columns is not None:
            missing = [c for c in columns if c not in dataset.schema.names]
            if missing:
                raise ValueError(
                    f"column(s) {missing} not in {self._describe()}; it has {dataset.schema.names}"
                )
        return self._frames(dataset, columns, rows)

    def _dataset(self) -> ds.Dataset:
        if isinstance(self.path, (str, os.PathLike)):
            path = os.fspath(self.path)
            if not os.path.exists(path):
                raise FileNotFoundError(f"no {self.format} file or folder {path!r}")
            partitioning = "hive" if os.path.isdir(path) else None
            return ds.dataset(path, format=self.format, partitioning=partitioning)
        paths = [os.fspath(p) for p in self.path]
        if not paths:
            raise ValueError("ParquetSource needs at least one path")
        return ds.dataset(paths, format=self.format)

    def _describe(self) -> str:
        if isinstance(self.path, (str, os.PathLike)):
            return repr(os.fspath(self.path))
        return f"{len(self.path)} file(s)"

    def _frames(self, dataset: ds.Dataset, columns: list[str] | None, rows: int) -> Iterator[pd.DataFrame]:
        schema = dataset.schema if columns is None else pa.schema([dataset.schema.field(c) for c in columns])
        if self.format == "parquet":
            batches = _parquet_batches(dataset, schema, rows)
        else:
            # Arrow IPC files are read a stored record batch at a time; no read-ahead beyond that.
            batches = dataset.to_batches(
                columns=schema.names, batch_size=rows, batch_readahead=0, fragment_readahead=1
            )
        for table in _rebatch(batches, rows):
            yield _to_frame(table)


def _parquet_batches(dataset: ds.Dataset, schema: pa.Schema, rows: int) -> Iterator[pa.RecordBatch]:
    """The Parquet files' rows as batches of ``schema``, file by file, decoded ``rows`` rows at a time.

    ``dataset.to_batches`` decodes a whole row group at once (and reads several ahead), and files written
    with default settings hold up to 1Mi rows per row group, so each file is read with
    ``ParquetFile.iter_batches`` on a buffered stream instead: only the pages of the current batch are in
    memory. Hive partition values become constant columns, columns a file lacks are null and other types
    are cast to the dataset's (the first file's) schema, as the dataset scanner does.
    """
    for fragment in dataset.get_fragments():
        keys = ds.get_partition_keys(fragment.partition_expression)
        with dataset.filesystem.open_input_file(fragment.path) as stream:
            parquet = pq.ParquetFile(stream, buffer_size=_READ_BUFFER, pre_buffer=False)
            present = set(parquet.schema_arrow.names)
            read = [name for name in schema.names if name in present and name not in keys]
            metadata = parquet.schema_arrow.metadata
            for batch in parquet.iter_batches(batch_size=rows, columns=read):
                arrays = []
                for target in schema:
                    if target.name in keys:
                        arrays.append(pa.array([keys[target.name]] * batch.num_rows, type=target.type))
                    elif target.name in present:
                        arrays.append(_cast(batch.column(target.name), target, fragment.path))
                    else:
                        arrays.append(pa.nulls(batch.num_rows, type=target.type))
                yield pa.RecordBatch.from_arrays(arrays, schema=schema.with_metadata(metadata))


def _cast(column: pa.Array, target: pa.Field, path: str) -> pa.Array:
    if column.type == target.type:
        return column
    try:
        return column.cast(target.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ValueError(
            f"column {target.name!r} of {path!r} is {column.type}, which does not convert to "
            f"{target.type} (its type in the first file): {exc}"
        ) from exc


def _rebatch(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Arrow tables of exactly ``rows`` rows (the last one may be shorter) from batches of any size."""
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        pending_rows += batch.num_rows
        while pending_rows >= rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, rows)
            rest = table.slice(rows)
            pending, pending_rows = rest.to_batches(), rest.num_rows
    if pending_rows:
        yield pa.Table.from_batches(pending)


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """The pandas frame of ``table``: named index levels (pandas metadata) become columns again."""
    frame: pd.DataFrame = table.to_pandas()
    named = [name for name in frame.index.names if name is not None]
    if named:
        frame = frame.reset_index(level=named)
    return frame.reset_index(drop=True)


@dataclass(frozen=True, repr=False)
class SqlSource:
    """A table or query in any SQLAlchemy database (the warehouse included), streamed in chunks.

    Rows are fetched with a server-side cursor where the driver has one (PostgreSQL); SQLite and DuckDB
    cursors fetch lazily anyway. Each :meth:`frames` call opens its own engine and disposes of it at the
    end, also when the consumer stops early. The URL's password never appears in ``repr``/``str`` or in
    errors raised here; the source pickles (nothing but the three fields is kept).

    Attributes:
        url: SQLAlchemy URL, e.g. ``postgresql+psycopg://user:pw@host/db``, ``sqlite:///raw.db`` or
            ``duckdb:///raw.duckdb`` (a plain ``postgresql://`` URL gets the psycopg 3 driver).
        query: SQL text with ``:name`` parameters, or a bare table name (``transactions`` or
            ``schema.transactions``), read as ``SELECT * FROM`` that table with the name quoted by
            SQLAlchemy (names in lower case match unquoted tables; mixed case is taken literally).
        params: Values of the query's ``:name`` parameters.
    """

    url: str
    query: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.url, str):
            raise TypeError(f"url must be a string, got {type(self.url).__name__}")
        _parse_url(self.url)
        if not isinstance(self.query, str) or not self.query.strip():
            raise ValueError("query must be SQL text or a table name, got an empty string")
        if self._table_name() is not None and self.params:
            raise ValueError(f"params were given but query {self.query!r} is a table name, not SQL")

    def __repr__(self) -> str:
        return f"SqlSource(url={_masked(self.url)!r}, query={self.query!r}, params={dict(self.params)!r})"

    def frames(self, rows: int) -> Iterator[pd.DataFrame]:
        """Yield the query's rows as DataFrames of at most ``rows`` rows, in result order.

        Columns are named after the result's columns; values are the driver's (decimals become floats,
        as with :func:`pandas.read_sql_query`). Nothing connects until the first frame is requested.

        Raises:
            ValueError: ``rows`` is not a positive integer.
            sqlalchemy.exc.DBAPIError: The database rejects the query or cannot be reached.
        """
        _check_rows(rows)
        return self._frames(rows)

    def _frames(self, rows: int) -> Iterator[pd.DataFrame]:
        url = _engine_url(self.url)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                streaming = conn.execution_options(stream_results=True, max_row_buffer=rows)
                result = streaming.execute(self._statement(), dict(self.params))
                try:
                    columns = list(result.keys())
                    for part in result.partitions(rows):
                        # Plain tuples: pandas converts Row objects about ten times slower.
                        records = [tuple(row) for row in part]
                        yield pd.DataFrame.from_records(records, columns=columns, coerce_float=True)
                finally:
                    result.close()
        finally:
            engine.dispose()

    def _statement(self) -> sa.Executable:
        name = self._table_name()
        if name is None:
            return sa.text(self.query)
        schema, table = name
        return sa.select(sa.literal_column("*")).select_from(sa.table(table, schema=schema))

    def _table_name(self) -> tuple[str | None, str] | None:
        """``(schema, table)`` when :attr:`query` is a bare, optionally schema-qualified, table name."""
        parts = self.query.strip().split(".")
        if len(parts) > 2 or not all(part.isidentifier() for part in parts):
            return None
        return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _parse_url(url: str) -> sa.URL:
    """Parse ``url``; a malformed one raises without echoing it (it may hold a password)."""
    try:
        return sa.make_url(url)
    except sa.exc.ArgumentError:
        raise ValueError(f"not a SQLAlchemy database URL: {_masked(url)!r}") from None


def _masked(url: str) -> str:
    """``url`` with its password replaced by ``***``, also when it does not parse."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        match = _CREDENTIALS.match(url)
        if match is None:
            return url
        scheme, credentials, rest = match.groups()
        user = credentials.split(":", 1)[0] if ":" in credentials else credentials
        return f"{scheme}{user}{':***' if ':' in credentials else ''}@{rest}"


def _engine_url(url: str) -> sa.URL:
    """The URL to connect with: a plain ``postgresql://`` gets psycopg 3, the driver the project installs.

    An embedded database file (SQLite, DuckDB) must exist: connecting would otherwise create an empty one.
    """
    parsed = _parse_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    database = parsed.database
    if (
        parsed.get_backend_name() in _EMBEDDED
        and database
        and database != ":memory:"
        and not database.startswith("file:")
        and not Path(database).expanduser().exists()
    ):
        raise FileNotFoundError(f"no {parsed.get_backend_name()} database file {database!r}")
    return parsed


class FrameIterator:
    """The caller's own iterable of DataFrames (e.g. a generator), split into frames of at most ``rows``.

    Frames larger than ``rows`` are split, empty frames skipped; smaller frames are passed on as they are
    (not merged). An iterator or generator can be read once; a re-iterable such as a list any number of
    times.
    """

    def __init__(self, frames: Iterable[pd.DataFrame]) -> None:
        """Wrap ``frames``; nothing is read until :meth:`frames` is iterated.

        Raises:
            TypeError: ``frames`` is a DataFrame (pass it directly) or not iterable.
        """
        given: object = frames  # checked at run time: callers are not always type-checked
        if isinstance(given, pd.DataFrame):
            raise TypeError("FrameIterator wraps an iterable of DataFrames, not a single DataFrame")
        if not isinstance(given, Iterable):
            raise TypeError(f"FrameIterator needs an iterable of DataFrames, got {type(given).__name__}")
        self._source = frames
        self._one_shot = isinstance(frames, Iterator)
        self._read = False

    def __repr__(self) -> str:
        state = "read" if self._read and self._one_shot else "unread"
        return f"FrameIterator({type(self._source).__name__}, {state})"

    def frames(self, rows: int) -> Iterator[pd.DataFrame]:
        """Yield the wrapped frames, each split into frames of at most ``rows`` rows.

        Raises:
            ValueError: ``rows`` is not a positive integer.
            RuntimeError: The wrapped iterator was already read by an earlier call.
            TypeError: An item is not a DataFrame (raised when that item is reached, naming its position).
        """
        _check_rows(rows)
        if self._one_shot and self._read:
            raise RuntimeError(
                f"this FrameIterator wraps a {type(self._source).__name__}, which can be read once; "
                "it was already read (wrap a list, or use a ParquetSource or SqlSource, to read again)"
            )
        self._read = True
        return self._frames(rows)

    def _frames(self, rows: int) -> Iterator[pd.DataFrame]:
        for position, frame in enumerate(self._source):
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(
                    f"item {position} (counting from 0) of the frame iterator is a "
                    f"{type(frame).__name__}, not a pandas DataFrame"
                )
            for start in range(0, len(frame), rows):
                yield frame.iloc[start : start + rows].reset_index(drop=True)


def as_source(raw: object) -> TransactionSource | None:
    """The source for a raw asset's value.

    Args:
        raw: The value of a raw-transactions asset.

    Returns:
        ``raw`` itself when it is a :class:`TransactionSource`; a :class:`FrameIterator` for an iterator
        or generator of DataFrames; ``None`` for a pandas DataFrame (the caller keeps its whole-frame path).

    Raises:
        TypeError: ``raw`` is anything else; the message names its type and what is accepted.
    """
    if isinstance(raw, pd.DataFrame):
        return None
    if isinstance(raw, TransactionSource):
        return raw
    if isinstance(raw, Iterator):
        return FrameIterator(raw)
    hint = ""
    if isinstance(raw, (str, os.PathLike)):
        hint = "; for files use ParquetSource(path), for a table or query SqlSource(url, query)"
    elif isinstance(raw, (list, tuple)):
        hint = "; wrap a list of DataFrames with iter(...) or FrameIterator(...)"
    kind = type(raw)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    raise TypeError(f"raw transactions must be {_ACCEPTED}, got {name}{hint}")


def _check_rows(rows: int) -> None:
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ValueError(f"rows must be a positive integer, got {rows!r}")
