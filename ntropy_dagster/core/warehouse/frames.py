"""Turn upsert input (DataFrame, Arrow, iterable of mappings) into bounded Arrow chunks of the table's types.

Every dialect writer consumes the same thing: a ``pyarrow.Table`` whose columns are a subset of the target
table's columns, already cast to the table's Arrow types, with key sentinels filled, the table's "touch"
timestamp set and duplicate keys collapsed (last row wins).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeAlias

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from ntropy_dagster.core.warehouse.tables import MISSING_KEY, TableSpec

Rows: TypeAlias = (
    pd.DataFrame | pa.Table | pa.RecordBatch | pa.RecordBatchReader | Iterable[Mapping[str, Any]]
)

UTC_TS = pa.timestamp("us", tz="UTC")
_ROW_INDEX = "__ntropy_row__"


def arrow_type(sa_type: sa.types.TypeEngine[Any]) -> pa.DataType:
    """Arrow type used on the write path for a SQLAlchemy column type."""
    if isinstance(sa_type, sa.DateTime):
        return UTC_TS
    if isinstance(sa_type, sa.Date):
        return pa.date32()
    if isinstance(sa_type, sa.Boolean):
        return pa.bool_()
    if isinstance(sa_type, sa.Integer):
        return pa.int64()
    if isinstance(sa_type, sa.Float):
        return pa.float64()
    return pa.string()


def iter_chunks(rows: Rows, chunk_size: int) -> Iterator[pa.Table]:
    """Yield the input as Arrow tables of at most ``chunk_size`` rows, consuming iterables lazily."""
    if isinstance(rows, pd.DataFrame):
        for start in range(0, len(rows), chunk_size):
            yield pa.Table.from_pandas(rows.iloc[start : start + chunk_size], preserve_index=False)
    elif isinstance(rows, (pa.Table, pa.RecordBatch)):
        table = pa.table(rows) if isinstance(rows, pa.RecordBatch) else rows
        for start in range(0, table.num_rows, chunk_size):
            yield table.slice(start, chunk_size)
    elif isinstance(rows, pa.RecordBatchReader):
        for batch in rows:
            yield from iter_chunks(batch, chunk_size)
    elif isinstance(rows, (str, bytes, Mapping)):
        raise TypeError("rows must be a DataFrame, an Arrow table or an iterable of mappings")
    else:
        iterator = iter(rows)
        while chunk := list(itertools.islice(iterator, chunk_size)):
            yield _table_from_mappings(chunk)


def _table_from_mappings(chunk: list[Mapping[str, Any]]) -> pa.Table:
    names: dict[str, None] = {}
    for row in chunk:
        names.update(dict.fromkeys(row))
    arrays = {}
    for name in names:
        values = [row.get(name) for row in chunk]
        if any(isinstance(v, (dict, list, tuple)) for v in values):
            # Nested values become JSON text as given (Arrow would merge dict shapes into one struct).
            arrays[name] = _python_fallback(values)
            continue
        try:
            arrays[name] = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            # Mixed python types (e.g. dates as str and as date): keep them as objects, cast later.
            arrays[name] = _python_fallback(values)
    return pa.table(arrays) if arrays else pa.table({})


def _python_fallback(values: list[Any]) -> pa.Array:
    return pa.array([None if v is None else _to_text(v) for v in values], pa.string())


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def cast_column(arr: pa.ChunkedArray | pa.Array, target: pa.DataType, name: str) -> pa.Array:
    """Cast one input column to the table's Arrow type (see module docstring of ``tables``)."""
    if isinstance(arr, pa.ChunkedArray):
        # combine_chunks copies even a single chunk; only multi-chunk columns need it.
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    try:
        return _cast(arr, target)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise ValueError(f"column {name!r}: cannot convert {arr.type} to {target}: {exc}") from exc


def _cast(arr: pa.Array, target: pa.DataType) -> pa.Array:
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if arr.type == target:
        return _nan_to_null(arr) if pa.types.is_floating(target) else arr
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), target)
    if pa.types.is_string(target):
        if pa.types.is_nested(arr.type):
            return _python_fallback(arr.to_pylist())
        return pc.cast(arr, target)
    if target == UTC_TS:
        return _to_utc_timestamp(arr)
    if pa.types.is_date32(target):
        if pa.types.is_timestamp(arr.type):
            return pc.cast(_to_utc_timestamp(arr), pa.timestamp("us"), safe=False).cast(target, safe=False)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            try:
                return pc.cast(arr, target)
            except pa.ArrowInvalid:
                return _cast(_to_utc_timestamp(arr), target)
        return pc.cast(arr, target, safe=False)
    if pa.types.is_floating(target):
        return _nan_to_null(pc.cast(arr, target))
    return pc.cast(arr, target)


def _nan_to_null(arr: pa.Array) -> pa.Array:
    nan = pc.is_nan(arr)
    if pc.any(nan).as_py():
        return pc.if_else(nan, pa.scalar(None, arr.type), arr)
    return arr


def _to_utc_timestamp(arr: pa.Array) -> pa.Array:
    """Timestamps to UTC microseconds. Assumption: naive timestamps and offset-less strings are UTC."""
    if pa.types.is_timestamp(arr.type):
        if arr.type.tz is None:
            arr = pc.assume_timezone(arr, "UTC")
        return pc.cast(arr, UTC_TS, safe=False)
    if pa.types.is_date(arr.type):
        return pc.assume_timezone(pc.cast(arr, pa.timestamp("us")), "UTC")
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        for attempt in (_cast_zoned_strings, _cast_naive_strings):
            try:
                return attempt(arr)
            except pa.ArrowInvalid:
                continue
        return pa.array([_parse_timestamp(v) for v in arr.to_pylist()], UTC_TS)
    return pc.cast(arr, UTC_TS)


def _cast_zoned_strings(arr: pa.Array) -> pa.Array:
    return pc.cast(arr, UTC_TS)


def _cast_naive_strings(arr: pa.Array) -> pa.Array:
    return pc.assume_timezone(pc.cast(arr, pa.timestamp("us")), "UTC")


def _parse_timestamp(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=dt.timezone.utc) if parsed.tzinfo is None else parsed


def prepare_chunk(
    chunk: pa.Table,
    spec: TableSpec,
    types: Mapping[str, pa.DataType],
    *,
    ignore_extra_columns: bool,
    now: dt.datetime,
) -> pa.Table:
    """Select, cast and key-check one input chunk; collapse duplicate keys keeping the last row."""
    extra = [n for n in chunk.column_names if n not in types]
    if extra and not ignore_extra_columns:
        raise ValueError(f"unknown columns for table {spec.logical!r}: {', '.join(sorted(extra))}")
    missing_keys = [k for k in spec.keys if k not in chunk.column_names and k not in spec.optional_keys]
    if missing_keys:
        raise ValueError(f"table {spec.logical!r} needs key column(s) {', '.join(missing_keys)}")
    out: dict[str, pa.Array] = {}
    for name in types:
        if name in chunk.column_names:
            arr = cast_column(chunk.column(name), types[name], name)
        elif name in spec.optional_keys:
            arr = pa.nulls(chunk.num_rows, types[name])
        else:
            continue
        if name in spec.keys and arr.null_count:
            if name not in spec.optional_keys:
                raise ValueError(f"key column {name!r} of {spec.logical!r} contains nulls")
            arr = pc.fill_null(arr, MISSING_KEY)
        out[name] = arr
    if spec.touch and spec.touch not in out:
        out[spec.touch] = pa.array([now] * chunk.num_rows, UTC_TS)
    return _drop_duplicate_keys(pa.table(out), spec.keys)


def _drop_duplicate_keys(table: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    if table.num_rows < 2 or not _has_duplicates(table, keys):
        return table
    indexed = table.select(list(keys)).append_column(_ROW_INDEX, pa.array(range(table.num_rows), pa.int64()))
    last = indexed.group_by(list(keys), use_threads=False).aggregate([(_ROW_INDEX, "max")])
    if last.num_rows == table.num_rows:
        return table
    rows = last.column(f"{_ROW_INDEX}_max")
    return table.take(rows.take(pc.sort_indices(rows)))


def _has_duplicates(table: pa.Table, keys: tuple[str, ...]) -> bool:
    columns = [pc.cast(table.column(k), pa.string()) for k in keys]
    joined = columns[0] if len(columns) == 1 else pc.binary_join_element_wise(*columns, "\x1f")
    return len(pc.unique(joined)) < int(table.num_rows)
