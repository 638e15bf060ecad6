"""Streamed raw-transaction sources: real Parquet/Arrow files and real SQLite, DuckDB and PostgreSQL databases."""

from __future__ import annotations

import os
import pickle
import time
import tracemalloc
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from ntropy_dagster.core.sources import (
    FrameIterator,
    ParquetSource,
    SqlSource,
    TransactionSource,
    as_source,
)
from tests.warehouse.conftest import DIALECTS, PG_URL

HAS_PROC_FDS = Path("/proc/self/fd").is_dir()


def _transactions(n: int, start: int = 0) -> pd.DataFrame:
    """``n`` raw transactions with v3 column names; row ``i`` is recognisable by its id and amount."""
    numbers = np.arange(start, start + n)
    text = pd.Series(numbers).astype(str)
    return pd.DataFrame(
        {
            "id": "tx-" + text,
            "description": "PAYMENT TO MERCHANT " + (pd.Series(numbers % 977).astype(str)) + " REF " + text,
            "date": "2024-03-01",
            "amount": numbers / 100.0,
            "entry_type": np.where(numbers % 2 == 0, "outgoing", "incoming"),
            "currency": "USD",
        }
    )


def _sizes(frames: Iterable[pd.DataFrame]) -> list[int]:
    return [len(frame) for frame in frames]


def _read_all(source: TransactionSource, rows: int) -> list[pd.DataFrame]:
    frames = list(source.frames(rows))
    for frame in frames:
        assert isinstance(frame.index, pd.RangeIndex)
        assert (frame.index.start, frame.index.stop, frame.index.step) == (0, len(frame), 1)
        assert 0 < len(frame) <= rows
    return frames


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


# --- Parquet and Arrow files -------------------------------------------------------------------------


def test_a_parquet_file_is_read_in_frames_of_at_most_rows_rows(tmp_path: Path) -> None:
    original = _transactions(10_000)
    path = tmp_path / "raw.parquet"
    original.to_parquet(path)

    frames = _read_all(ParquetSource(path), 3000)

    assert _sizes(frames) == [3000, 3000, 3000, 1000]
    pd.testing.assert_frame_equal(_concat(frames), original)


def test_a_parquet_source_can_be_read_again_and_pickles(tmp_path: Path) -> None:
    original = _transactions(2500)
    original.to_parquet(tmp_path / "raw.parquet")
    source = ParquetSource(str(tmp_path / "raw.parquet"))

    again = pickle.loads(pickle.dumps(source))

    assert again == source
    assert _sizes(source.frames(1000)) == _sizes(source.frames(1000)) == [1000, 1000, 500]
    pd.testing.assert_frame_equal(_concat(_read_all(again, 1000)), original)


def test_small_row_groups_are_accumulated_into_full_frames(tmp_path: Path) -> None:
    original = _transactions(10_000)
    path = tmp_path / "small_groups.parquet"
    original.to_parquet(path, row_group_size=100)
    assert pq.ParquetFile(path).num_row_groups == 100

    frames = _read_all(ParquetSource(path), 3000)

    assert _sizes(frames) == [3000, 3000, 3000, 1000]
    pd.testing.assert_frame_equal(_concat(frames), original)


def test_a_directory_of_files_is_read_in_path_order_across_files(tmp_path: Path) -> None:
    parts = [_transactions(1200, start=0), _transactions(1200, start=1200), _transactions(600, start=2400)]
    folder = tmp_path / "raw"
    folder.mkdir()
    for number, part in enumerate(parts):
        part.to_parquet(folder / f"part-{number}.parquet")

    frames = _read_all(ParquetSource(folder), 1000)

    assert _sizes(frames) == [1000, 1000, 1000]  # frames span file boundaries
    pd.testing.assert_frame_equal(_concat(frames), _transactions(3000))


def test_a_list_of_files_is_read_in_the_given_order(tmp_path: Path) -> None:
    first, second = _transactions(700, start=700), _transactions(700, start=0)
    first.to_parquet(tmp_path / "b.parquet")
    second.to_parquet(tmp_path / "a.parquet")

    frames = _read_all(ParquetSource([tmp_path / "b.parquet", str(tmp_path / "a.parquet")]), 1000)

    assert _sizes(frames) == [1000, 400]
    pd.testing.assert_frame_equal(_concat(frames), pd.concat([first, second], ignore_index=True))


def test_hive_partition_folders_become_columns(tmp_path: Path) -> None:
    for month in (1, 2):
        folder = tmp_path / "raw" / f"month={month}"
        folder.mkdir(parents=True)
        _transactions(500, start=month * 1000).to_parquet(folder / "part-0.parquet")

    frame = _concat(_read_all(ParquetSource(tmp_path / "raw"), 300))

    assert len(frame) == 1000
    assert frame.groupby("month")["id"].count().to_dict() == {1: 500, 2: 500}
    assert frame.loc[frame["month"] == 2, "id"].iloc[0] == "tx-2000"


def test_only_the_requested_columns_are_read_in_the_requested_order(tmp_path: Path) -> None:
    original = _transactions(2000)
    original.to_parquet(tmp_path / "raw.parquet")

    frames = _read_all(ParquetSource(tmp_path / "raw.parquet", columns=["amount", "id"]), 1500)

    assert _sizes(frames) == [1500, 500]
    pd.testing.assert_frame_equal(_concat(frames), original[["amount", "id"]])


def test_an_unknown_column_or_a_missing_path_fails_naming_it(tmp_path: Path) -> None:
    _transactions(10).to_parquet(tmp_path / "raw.parquet")

    with pytest.raises(ValueError, match=r"\['memo'\] not in"):
        ParquetSource(tmp_path / "raw.parquet", columns=["id", "memo"]).frames(5)
    with pytest.raises(FileNotFoundError, match=r"nowhere\.parquet"):
        ParquetSource(tmp_path / "nowhere.parquet").frames(5)
    with pytest.raises(ValueError, match="positive integer"):
        ParquetSource(tmp_path / "raw.parquet").frames(0)
    with pytest.raises(ValueError, match="format"):
        ParquetSource(tmp_path / "raw.parquet", format="csv")  # type: ignore[arg-type]


def test_a_named_index_written_by_pandas_comes_back_as_a_column(tmp_path: Path) -> None:
    original = _transactions(1000)
    original.set_index("id").to_parquet(tmp_path / "indexed.parquet")

    frame = _concat(_read_all(ParquetSource(tmp_path / "indexed.parquet"), 400))

    pd.testing.assert_frame_equal(frame, original)  # "id" first again, as in the original


def test_arrow_ipc_and_feather_files(tmp_path: Path) -> None:
    original = _transactions(5000)
    feather.write_feather(original, tmp_path / "raw.feather", chunksize=700)
    table = pa.Table.from_pandas(original, preserve_index=False)
    with pa.ipc.new_file(tmp_path / "raw.arrow", table.schema) as writer:
        writer.write_table(table, max_chunksize=3500)

    for name in ("raw.feather", "raw.arrow"):
        frames = _read_all(ParquetSource(tmp_path / name, format="arrow"), 2000)
        assert _sizes(frames) == [2000, 2000, 1000], name
        pd.testing.assert_frame_equal(_concat(frames), original)
    only = _concat(_read_all(ParquetSource(tmp_path / "raw.arrow", columns=["id"], format="arrow"), 2000))
    pd.testing.assert_frame_equal(only, original[["id"]])


def _memory_while_reading(frames: Iterator[pd.DataFrame]) -> tuple[int, int]:
    """Rows read, and the peak memory held meanwhile: Arrow's allocations (sampled after every frame) plus
    the Python/numpy peak from tracemalloc (Arrow memory is invisible to tracemalloc)."""
    rows = 0
    arrow_base = pa.total_allocated_bytes()
    arrow_peak = 0
    tracemalloc.start()
    try:
        for frame in frames:
            rows += len(frame)
            arrow_peak = max(arrow_peak, pa.total_allocated_bytes() - arrow_base)
            del frame
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return rows, arrow_peak + python_peak


def test_a_million_row_file_is_streamed_without_loading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.parquet"
    whole = _transactions(1_000_000)
    whole.to_parquet(path)  # pandas' default: a single row group of 1M rows
    whole_size = int(whole.memory_usage(deep=True).sum())
    del whole

    rows, streamed = _memory_while_reading(ParquetSource(path).frames(25_000))

    assert rows == 1_000_000
    assert streamed < whole_size / 4, (streamed, whole_size)

    # The measure does see a whole-file read: the same loop over slices of pd.read_parquet.
    def sliced() -> Iterator[pd.DataFrame]:
        frame = pd.read_parquet(path)
        for start in range(0, len(frame), 25_000):
            yield frame.iloc[start : start + 25_000]

    rows, loaded = _memory_while_reading(sliced())
    assert rows == 1_000_000
    assert loaded > whole_size / 2, (loaded, whole_size)


# --- SQL databases -----------------------------------------------------------------------------------


@dataclass
class Database:
    """A real database for one test: its URL and a schema of its own (PostgreSQL) or ``main``."""

    url: str
    schema: str

    @property
    def url_in_schema(self) -> str:
        """The URL with :attr:`schema` as the default schema (PostgreSQL: first on the search path)."""
        if self.schema == "main":
            return self.url
        url = sa.make_url(self.url).update_query_dict({"options": f"-csearch_path={self.schema}"})
        return url.render_as_string(hide_password=False)

    def write(self, table: str, frame: pd.DataFrame) -> None:
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                frame.to_sql(table, conn, schema=self.schema, index=False)
        finally:
            engine.dispose()


@pytest.fixture(params=DIALECTS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database per dialect: SQLite and DuckDB files in tmp_path, a fresh schema on PostgreSQL."""
    if request.param == "sqlite":
        yield Database(f"sqlite:///{tmp_path / 'raw.sqlite'}", "main")
    elif request.param == "duckdb":
        yield Database(f"duckdb:///{tmp_path / 'raw.duckdb'}", "main")
    else:
        assert PG_URL
        schema = f"sources_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
        try:
            yield Database(PG_URL, schema)
        finally:
            with admin.begin() as conn:
                conn.execute(sa.schema.DropSchema(schema, cascade=True))
            admin.dispose()


def test_a_table_is_read_in_frames_of_at_most_rows_rows(database: Database) -> None:
    original = _transactions(2500)
    database.write("raw_tx", original)

    frames = _read_all(SqlSource(database.url, f"{database.schema}.raw_tx"), 1000)

    assert _sizes(frames) == [1000, 1000, 500]
    ordered = _concat(frames).sort_values("amount", ignore_index=True)
    pd.testing.assert_frame_equal(ordered, original)


def test_a_query_with_bound_parameters(database: Database) -> None:
    original = _transactions(3000)
    database.write("raw_tx", original)
    source = SqlSource(
        database.url,
        f"SELECT id, amount FROM {database.schema}.raw_tx WHERE amount >= :low AND currency = :currency "
        "ORDER BY amount",
        {"low": 5.0, "currency": "USD"},
    )

    frames = _read_all(source, 1000)

    assert _sizes(frames) == [1000, 1000, 500]
    expected = original.loc[original["amount"] >= 5.0, ["id", "amount"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(_concat(frames), expected)
    assert _sizes(source.frames(2000)) == [2000, 500]  # re-readable


def test_a_bare_table_name_is_quoted(database: Database) -> None:
    database.write("order", _transactions(30))  # a reserved word: unquoted SQL would fail

    assert _sizes(SqlSource(database.url_in_schema, "order").frames(20)) == [20, 10]
    assert _sizes(SqlSource(database.url, f"{database.schema}.order").frames(20)) == [20, 10]


def test_an_empty_result_yields_no_frames(database: Database) -> None:
    database.write("raw_tx", _transactions(10))

    source = SqlSource(database.url, f"SELECT * FROM {database.schema}.raw_tx WHERE amount < 0")

    assert list(source.frames(5)) == []


def _open_files(prefix: str) -> list[str]:
    """Files of this process whose path starts with ``prefix`` (the database file and its -wal/-shm)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(prefix):
            found.append(target)
    return found


def _backends(application_name: str) -> int:
    assert PG_URL
    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
            return int(conn.execute(query, {"name": application_name}).scalar_one())
    finally:
        engine.dispose()


def _connections_counter(database: Database) -> tuple[str, Callable[[], int]]:
    """A URL for the source and a count of the connections it has open (real files or backends)."""
    if database.url.startswith("postgresql"):
        name = f"ntropy_sources_{uuid.uuid4().hex[:8]}"
        url = sa.make_url(database.url).update_query_dict({"application_name": name})
        return url.render_as_string(hide_password=False), lambda: _backends(name)
    if not HAS_PROC_FDS:
        pytest.skip("needs /proc/self/fd to see open database files")
    database_file = str(sa.make_url(database.url).database)
    return database.url, lambda: len(_open_files(database_file))


def _eventually_zero(count: Callable[[], int]) -> int:
    """PostgreSQL ends a backend shortly after its client disconnects."""
    deadline = time.monotonic() + 5
    while (current := count()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return current


@pytest.mark.parametrize("stop", ["early", "exhausted", "failed"])
def test_the_engine_is_disposed_when_reading_ends(database: Database, stop: str) -> None:
    database.write("raw_tx", _transactions(5000))
    url, connections = _connections_counter(database)
    assert connections() == 0

    if stop == "failed":
        with pytest.raises(sa.exc.DBAPIError):
            next(SqlSource(url, "SELECT * FROM no_such_table").frames(1000))
    else:
        frames = SqlSource(url, f"SELECT * FROM {database.schema}.raw_tx ORDER BY amount").frames(1000)
        assert len(next(frames)) == 1000
        assert connections() > 0  # the stream is open while the consumer reads
        if stop == "early":
            assert isinstance(frames, Generator)  # a consumer that stops early closes it
            frames.close()
        else:
            assert _sizes(frames) == [1000] * 4

    assert _eventually_zero(connections) == 0


def test_the_password_is_masked_and_the_source_pickles(tmp_path: Path) -> None:
    source = SqlSource("postgresql+psycopg://ntropy:s3cret-pw@db.example:5432/raw", "raw_tx", {})

    assert "s3cret-pw" not in repr(source)
    assert "s3cret-pw" not in str(source)
    assert "ntropy:***@db.example" in repr(source)
    assert pickle.loads(pickle.dumps(source)) == source

    with pytest.raises(ValueError) as malformed:
        SqlSource("postgresql+psycopg//ntropy:s3cret-pw@db.example/raw", "raw_tx")
    assert "s3cret-pw" not in str(malformed.value)

    refused = SqlSource("postgresql+psycopg://ntropy:s3cret-pw@127.0.0.1:1/raw", "raw_tx")
    with pytest.raises(sa.exc.OperationalError) as failed:
        next(refused.frames(10))
    assert "s3cret-pw" not in str(failed.value)


def test_a_pickled_sql_source_reads_the_same_rows(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'raw.sqlite'}", "main")
    original = _transactions(1200)
    database.write("raw_tx", original)
    source = SqlSource(database.url, "SELECT * FROM raw_tx WHERE amount >= :low ORDER BY amount", {"low": 0})

    again = pickle.loads(pickle.dumps(source))

    pd.testing.assert_frame_equal(_concat(_read_all(again, 500)), original)


def test_sql_source_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is a table name"):
        SqlSource("sqlite:///raw.sqlite", "raw_tx", {"low": 1})
    with pytest.raises(ValueError, match="empty"):
        SqlSource("sqlite:///raw.sqlite", "  ")
    with pytest.raises(FileNotFoundError, match=r"missing\.sqlite"):
        next(SqlSource(f"sqlite:///{tmp_path / 'missing.sqlite'}", "raw_tx").frames(10))
    assert not (tmp_path / "missing.sqlite").exists()


# --- FrameIterator -----------------------------------------------------------------------------------


def test_frames_larger_than_rows_are_split_and_empty_ones_skipped() -> None:
    parts = [_transactions(2500), _transactions(0), _transactions(400, start=2500), _transactions(1200, 2900)]

    frames = _read_all(FrameIterator(part for part in parts), 1000)

    assert _sizes(frames) == [1000, 1000, 500, 400, 1000, 200]
    pd.testing.assert_frame_equal(_concat(frames), _transactions(4100))


def test_an_item_that_is_not_a_frame_fails_naming_its_position() -> None:
    items: list[object] = [_transactions(3), _transactions(2), {"id": "tx-9"}]
    frames = FrameIterator(iter(items)).frames(10)  # type: ignore[arg-type]

    assert _sizes([next(frames), next(frames)]) == [3, 2]  # lazy: earlier frames come through
    with pytest.raises(TypeError, match=r"item 2 .* is a dict, not a pandas DataFrame"):
        next(frames)


def test_an_iterator_can_be_read_once_a_list_again() -> None:
    once = FrameIterator(iter([_transactions(5)]))
    assert _sizes(once.frames(3)) == [3, 2]
    with pytest.raises(RuntimeError, match="can be read once"):
        once.frames(3)

    listed = FrameIterator([_transactions(5)])
    assert _sizes(listed.frames(3)) == _sizes(listed.frames(3)) == [3, 2]
    with pytest.raises(TypeError, match="not a single DataFrame"):
        FrameIterator(_transactions(5))  # type: ignore[arg-type]


# --- as_source ---------------------------------------------------------------------------------------


class _CustomSource:
    def frames(self, rows: int) -> Iterator[pd.DataFrame]:
        yield _transactions(min(rows, 3))


def test_as_source_accepts_sources_iterators_and_frames(tmp_path: Path) -> None:
    parquet = ParquetSource(tmp_path / "raw.parquet")
    sql = SqlSource("sqlite:///raw.sqlite", "raw_tx")
    wrapped = FrameIterator([_transactions(2)])
    custom = _CustomSource()
    for source in (parquet, sql, wrapped, custom):
        assert as_source(source) is source
        assert isinstance(source, TransactionSource)

    generated = as_source(_transactions(n) for n in (2, 3))
    assert isinstance(generated, FrameIterator)
    assert _sizes(generated.frames(10)) == [2, 3]
    assert isinstance(as_source(iter([_transactions(1)])), FrameIterator)

    assert as_source(_transactions(5)) is None  # the caller keeps its whole-frame path


@pytest.mark.parametrize(
    ("raw", "named", "hint"),
    [
        ("raw.parquet", "str", "ParquetSource(path)"),
        (Path("raw.parquet"), "pathlib.", "ParquetSource(path)"),
        ([pd.DataFrame()], "list", "iter(...)"),
        (42, "int", ""),
        (None, "NoneType", ""),
    ],
)
def test_as_source_rejects_anything_else_naming_its_type(raw: object, named: str, hint: str) -> None:
    with pytest.raises(TypeError) as rejected:
        as_source(raw)

    message = str(rejected.value)
    assert f"got {named}" in message
    assert "a pandas DataFrame, a TransactionSource" in message
    assert "iterator of pandas DataFrames" in message
    assert hint in message
