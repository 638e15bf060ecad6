"""Bulk upserts: insert then update, NULL account holders, input kinds, streaming, partial columns."""

from __future__ import annotations

import datetime as dt
import itertools
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa

from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.core.warehouse.frames import iter_chunks
from ntropy_dagster.core.warehouse.synthetic import enriched_frame
from ntropy_dagster.core.warehouse.writers import LITERAL_MIN_ROWS

ROWS = 20_000
UTC = dt.timezone.utc

BATCH_KEY = {"partition_key": "2024-01-01", "content_hash": "h", "chunk_index": 0}


def _by_id(wh: Warehouse) -> pd.DataFrame:
    return wh.read_frame("enriched_transactions").set_index("transaction_id").sort_index()


def test_upsert_inserts_then_updates(wh: Warehouse) -> None:
    assert wh.upsert("enriched_transactions", enriched_frame(ROWS)) == ROWS
    assert wh.count("enriched_transactions") == ROWS

    # Overlapping re-upsert: half existing keys (updated), half new (inserted), across several chunks.
    wh.chunk_size = 7_000
    assert wh.upsert("enriched_transactions", enriched_frame(ROWS, start=ROWS // 2, version=1)) == ROWS
    assert wh.count("enriched_transactions") == ROWS + ROWS // 2

    first = enriched_frame(ROWS).set_index("transaction_id")
    second = enriched_frame(ROWS, start=ROWS // 2, version=1).set_index("transaction_id")
    for tx, source in (("tx-3", first), (f"tx-{ROWS // 2 + 3}", second), (f"tx-{ROWS + 3}", second)):
        stored = wh.read_frame("enriched_transactions", transaction_id=tx).set_index("transaction_id")
        assert _comparable(stored.loc[tx]) == _comparable(source.loc[tx]), tx
    assert first.loc["tx-3", "description"].startswith("v0 ")
    assert second.loc[f"tx-{ROWS // 2 + 3}", "description"].startswith("v1 ")


def test_chunk_whose_first_key_is_new_but_later_keys_are_stored(wh: Warehouse) -> None:
    # PostgreSQL's fast path copies straight into the table when the first key is new: the unique
    # violation on a later key must send the chunk to the merge path with nothing lost or doubled.
    assert wh.upsert("enriched_transactions", enriched_frame(100, start=100)) == 100
    assert wh.upsert("enriched_transactions", enriched_frame(200, version=1)) == 200
    stored = _by_id(wh)
    assert len(stored) == 200
    assert stored["description"].str.startswith("v1 ").all()
    assert wh.upsert("enriched_transactions", enriched_frame(100, start=200, version=2)) == 100
    assert wh.count("enriched_transactions") == 300


def _comparable(row: pd.Series) -> dict[str, object]:
    """A row as plain values: missing values as None, account holder sentinel as None, floats rounded."""
    out: dict[str, object] = {}
    for name, value in row.items():
        if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
            value = None
        elif isinstance(value, float):
            value = round(value, 9)
        elif isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        out[str(name)] = value
    return out


def test_null_account_holder_is_one_key(wh: Warehouse) -> None:
    row = {"transaction_id": "t1", "account_holder_id": None, "description": "first", "amount": 1.0}
    wh.upsert("enriched_transactions", [row])
    wh.upsert("enriched_transactions", [{**row, "description": "second"}])
    wh.upsert("enriched_transactions", [{**row, "account_holder_id": "ah-1", "description": "other holder"}])
    assert wh.count("enriched_transactions") == 2
    assert wh.count("enriched_transactions", account_holder_id=None) == 1
    frame = wh.read_frame("enriched_transactions", account_holder_id=None)
    assert frame.loc[0, "description"] == "second"
    assert frame.loc[0, "account_holder_id"] == ""


def test_duplicate_keys_in_one_input_last_row_wins(wh: Warehouse) -> None:
    rows = [
        {"transaction_id": "a", "description": "1"},
        {"transaction_id": "b", "description": "1"},
        {"transaction_id": "a", "description": "2"},
    ]
    assert wh.upsert("enriched_transactions", rows) == 2
    assert _by_id(wh)["description"].to_dict() == {"a": "2", "b": "1"}


def test_dataframe_arrow_and_dicts_give_the_same_rows(make_warehouse: Callable[..., Warehouse]) -> None:
    frame = enriched_frame(300)
    records = frame.assign(
        date=frame["date"].map(lambda d: d.isoformat()),  # text dates and timestamps in plain dicts
        enriched_at=frame["enriched_at"].map(lambda t: t.isoformat()),
    ).to_dict("records")
    results = []
    for rows in (frame, pa.Table.from_pandas(frame, preserve_index=False), iter(records)):
        wh = make_warehouse()
        wh.ensure_schema()
        assert wh.upsert("enriched_transactions", rows) == 300
        results.append(_by_id(wh).drop(columns=["enriched_at"]))
        assert _by_id(wh)["enriched_at"].iloc[0] == pd.Timestamp("2024-01-02T03:04:05Z")
    pd.testing.assert_frame_equal(results[0], results[1])
    pd.testing.assert_frame_equal(results[0], results[2])


def test_generator_is_streamed_in_bounded_chunks(wh: Warehouse) -> None:
    consumed = 0

    def generate(n: int) -> Iterator[dict[str, object]]:
        nonlocal consumed
        for i in range(n):
            consumed += 1
            # ids repeat every 2,000 rows, so later chunks update rows written by earlier ones
            yield {"transaction_id": f"tx-{i % 2000}", "description": f"row {i}", "amount": float(i)}

    chunks = iter_chunks(generate(2500), 1000)
    assert next(chunks).num_rows == 1000 and consumed == 1000
    assert [c.num_rows for c in chunks] == [1000, 500] and consumed == 2500

    wh.chunk_size = 1000
    assert wh.upsert("enriched_transactions", generate(5500)) == 5500
    assert wh.count("enriched_transactions") == 2000
    assert _by_id(wh).loc["tx-5", "description"] == "row 4005"


def test_only_given_columns_are_written(wh: Warehouse) -> None:
    submitted = dt.datetime(2024, 1, 1, 12, tzinfo=UTC)
    wh.upsert(
        "batches",
        [
            {
                **BATCH_KEY,
                "batch_id": "b1",
                "status": "processing",
                "submitted_at": submitted,
            }
        ],
    )
    wh.upsert("batches", pd.DataFrame([{**BATCH_KEY, "status": "completed", "progress": 10}]))
    row = wh.read_frame("batches").iloc[0]
    assert (row["batch_id"], row["status"], row["progress"]) == ("b1", "completed", 10)
    assert row["submitted_at"] == pd.Timestamp(submitted)
    assert row["updated_at"] > pd.Timestamp(submitted)  # the touch column is set on every upsert


def test_types_round_trip(wh: Warehouse) -> None:
    wh.upsert(
        "recurring_groups",
        [
            {
                "group_id": "g1",
                "account_holder_id": "ah",
                "start_date": "2024-01-01",
                "end_date": dt.date(2024, 4, 1),
                "total_amount": 71.96,
                "periodicity_in_days": 30.4,
                "transaction_count": 4,
                "is_active": True,
                "next_expected_date": pd.Timestamp("2024-05-01T00:00:00+02:00"),
                "refreshed_at": "2024-04-02T10:00:00+02:00",
            },
            {"group_id": "g2", "is_active": False, "transaction_count": None, "total_amount": float("nan")},
        ],
    )
    frame = wh.read_frame("recurring_groups").set_index("group_id")
    g1, g2 = frame.loc["g1"], frame.loc["g2"]
    assert (g1["start_date"], g1["end_date"]) == (dt.date(2024, 1, 1), dt.date(2024, 4, 1))
    assert g1["next_expected_date"] == dt.date(2024, 4, 30)  # converted to UTC before taking the date
    assert g1["refreshed_at"] == pd.Timestamp("2024-04-02T08:00:00Z")
    assert g1["total_amount"] == pytest.approx(71.96) and int(g1["transaction_count"]) == 4
    assert bool(g1["is_active"]) is True and bool(g2["is_active"]) is False
    assert pd.isna(g2["total_amount"]) and pd.isna(g2["transaction_count"])


def test_dates_and_timestamps_far_from_2000_round_trip(wh: Warehouse) -> None:
    # PostgreSQL's binary COPY counts days and microseconds from 2000-01-01: values before it are negative.
    rows = [
        {
            "group_id": f"g{i}",
            "start_date": day,
            "refreshed_at": stamp,
            "total_amount": amount,
        }
        for i, (day, stamp, amount) in enumerate(
            [
                (dt.date(1969, 12, 31), dt.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), -0.5),
                (dt.date(2000, 1, 1), dt.datetime(2000, 1, 1, tzinfo=UTC), 0.0),
                (dt.date(2099, 12, 31), dt.datetime(2262, 4, 11, 0, 0, 0, 1, tzinfo=UTC), 1e300),
            ]
        )
    ]
    wh.upsert("recurring_groups", rows)
    frame = wh.read_frame("recurring_groups").set_index("group_id").sort_index()
    assert list(frame["start_date"]) == [r["start_date"] for r in rows]
    assert [t.to_pydatetime() for t in frame["refreshed_at"]] == [r["refreshed_at"] for r in rows]
    assert list(frame["total_amount"]) == [r["total_amount"] for r in rows]


def test_json_and_nested_values_are_stored_as_json_text(wh: Warehouse) -> None:
    rows = [
        {
            "partition_key": "p",
            "row_number": 3,
            "field": None,
            "reason": "bad",
            "raw_row": {"id": "x", "amount": -1},
        },
        {"partition_key": "p", "row_number": 3, "field": "amount", "reason": "negative", "raw_row": {"a": 1}},
    ]
    assert wh.upsert("rejected_transactions", rows) == 2
    frame = wh.read_frame("rejected_transactions").set_index("field")
    assert frame.loc["", "raw_row"] == '{"id":"x","amount":-1}'
    assert frame.loc["amount", "reason"] == "negative"


def test_invalid_input_is_refused(wh: Warehouse) -> None:
    with pytest.raises(ValueError, match="unknown columns"):
        wh.upsert("batches", [{**BATCH_KEY, "colour": "red"}])
    assert wh.upsert("batches", [{**BATCH_KEY, "colour": "red"}], ignore_extra_columns=True) == 1
    with pytest.raises(ValueError, match="needs key column"):
        wh.upsert("batches", [{"status": "completed"}])
    with pytest.raises(ValueError, match="contains nulls"):
        wh.upsert("rejected_transactions", [{"partition_key": "p", "row_number": None}])
    with pytest.raises(ValueError, match="column 'progress'"):
        wh.upsert("batches", [{**BATCH_KEY, "progress": "many"}])
    with pytest.raises(TypeError):
        wh.upsert("batches", BATCH_KEY)  # type: ignore[arg-type]
    assert wh.upsert("batches", []) == 0
    assert wh.upsert("batches", itertools.chain()) == 0
    assert wh.count("batches") == 1


def test_missing_values_are_stored_as_sql_null_and_overwrite_stored_values(wh: Warehouse) -> None:
    # SQLite binds NULLs as NaN (faster in Python's sqlite3); every dialect must store a real NULL.
    given = {
        "transaction_id": "t1",
        "description": "d",
        "amount": 1.5,
        "location_city": "Paris",
        "date": "2024-01-02",
    }
    wh.upsert("enriched_transactions", [given, {**given, "transaction_id": "t2"}])
    wh.upsert(
        "enriched_transactions",
        pd.DataFrame(
            [
                {
                    "transaction_id": "t1",
                    "description": None,
                    "amount": float("nan"),
                    "location_city": None,
                    "date": None,
                },
                {
                    "transaction_id": "t2",
                    "description": "e",
                    "amount": 2.5,
                    "location_city": None,
                    "date": None,
                },
            ]
        ),
    )
    table = wh.tables.enriched_transactions
    columns = ("description", "amount", "location_city", "date", "location_latitude")
    with wh.begin() as conn:
        nulls = conn.execute(
            sa.select(table.c.transaction_id, *(table.c[c].is_(None) for c in columns)).order_by(
                table.c.transaction_id
            )
        ).all()
    assert [tuple(row) for row in nulls] == [
        ("t1", True, True, True, True, True),
        ("t2", False, False, True, True, True),
    ]


def test_constant_columns_and_single_rows_round_trip(wh: Warehouse) -> None:
    """Columns with one value per chunk (SQLite writes them as SQL literals in chunks of
    ``LITERAL_MIN_ROWS`` rows or more) keep quotes, NULLs, ints."""
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    base = {"partition_key": "2024-05-06", "batch_id": "b'1", "description": "O'Hara; --", "amount": 1.5}
    many = range(LITERAL_MIN_ROWS)
    rows = [{**base, "transaction_id": f"tx-{i}", "currency": "EUR", "enriched_at": when} for i in many]
    assert wh.upsert("enriched_transactions", rows) == LITERAL_MIN_ROWS
    # NULL in every row overwrites; in a one-row chunk every column is constant (and bound).
    wh.upsert("enriched_transactions", [{"transaction_id": "tx-0", "description": None, "currency": "€'"}])
    wh.upsert("enriched_transactions", [{"transaction_id": "tx-1", "description": None}])
    stored = _by_id(wh)
    assert list(stored["batch_id"]) == ["b'1"] * LITERAL_MIN_ROWS
    assert pd.isna(stored.loc["tx-0", "description"])
    assert pd.isna(stored.loc["tx-1", "description"])
    assert stored.loc["tx-2", "description"] == "O'Hara; --"
    assert list(stored["currency"][:3]) == ["€'", "EUR", "EUR"]
    assert stored.loc["tx-2", "enriched_at"].to_pydatetime() == when
    assert list(stored["amount"]) == [1.5] * LITERAL_MIN_ROWS


def test_long_constant_values_are_not_kept_by_the_statement_cache(wh: Warehouse) -> None:
    """sqlite3 keeps the last 128 statements compiled per connection: one-row writes quoting a long value
    each (a ledger chunk's payloads) in their SQL would keep every such value in memory."""
    texts = [f"{i:03d}" + "x" * 200_000 for i in range(40)]
    with wh.engine.connect() as conn:
        tracemalloc.start()
        try:
            for i, text in enumerate(texts):
                with conn.begin():
                    wh.upsert(
                        "enriched_transactions",
                        [{"transaction_id": f"tx-{i}", "description": text}],
                        conn=conn,
                    )
            retained, _peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert retained < 2_000_000  # 40 statements quoting 200 kB each would keep 8 MB
    stored = _by_id(wh)
    assert [stored.loc[f"tx-{i}", "description"] for i in range(40)] == texts


def _sqlite_memory_used() -> Callable[[], int]:
    """SQLite's own count of the bytes it has allocated (``sqlite3_memory_used``), read with ctypes."""
    import ctypes
    import ctypes.util
    import sqlite3

    for name in (ctypes.util.find_library("sqlite3"), sqlite3.__file__.replace("__init__.py", ""), None):
        try:
            function = ctypes.CDLL(name).sqlite3_memory_used
        except (OSError, AttributeError, TypeError):
            continue
        function.restype = ctypes.c_int64
        return lambda: int(function())
    pytest.skip("this Python's sqlite3 does not expose sqlite3_memory_used")


def test_one_row_writes_reuse_one_statement_and_keep_no_long_value(tmp_path: Path) -> None:
    """One-row writes of a long value (a ledger chunk's payloads) with a short value that changes (its
    status): were the short one quoted in the SQL, each write would leave a statement in sqlite3's cache
    keeping its long value bound, 8 MB for these 40 writes. (One row is rewritten, so the page cache
    holds one value.)"""
    wh = Warehouse(f"sqlite:///{tmp_path / 'statements.db'}")
    wh.ensure_schema()
    memory_used = _sqlite_memory_used()
    key = {"partition_key": "p", "content_hash": "h", "chunk_index": 0}
    with wh.engine.connect() as conn:
        wh.upsert("batches", [{**key, "status": "start", "payloads": "x" * 200_000}], conn=conn)
        before = memory_used()
        for i in range(40):
            with conn.begin():
                wh.upsert("batches", [{**key, "status": f"s{i}", "payloads": f"{i:03d}" * 70_000}], conn=conn)
        retained = memory_used() - before
    assert retained < 2_000_000
    stored = wh.read_frame("batches")
    assert list(stored["status"]) == ["s39"] and stored["payloads"][0] == "039" * 70_000
