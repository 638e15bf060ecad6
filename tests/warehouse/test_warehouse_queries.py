"""delete_where, count, read_frame, transactions, and two writers on one SQLite file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.core.warehouse.synthetic import enriched_frame


def _two_partitions(wh: Warehouse) -> None:
    wh.upsert("enriched_transactions", enriched_frame(100, partition_key="2024-01-01"))
    wh.upsert("enriched_transactions", enriched_frame(50, start=100, partition_key="2024-01-02"))


def test_delete_where_and_count(wh: Warehouse) -> None:
    _two_partitions(wh)
    assert wh.count("enriched_transactions") == 150
    assert wh.count("enriched_transactions", partition_key="2024-01-02") == 50
    assert wh.count("enriched_transactions", partition_key="2024-01-02", entry_type="incoming") == 16
    assert wh.delete_where("enriched_transactions", partition_key="2024-01-01") == 100
    assert wh.count("enriched_transactions") == 50
    assert wh.delete_where("enriched_transactions", partition_key="2024-01-01") == 0
    with pytest.raises(ValueError, match="at least one"):
        wh.delete_where("enriched_transactions")
    with pytest.raises(ValueError, match="unknown columns"):
        wh.count("enriched_transactions", colour="red")


def test_read_frame_by_table_and_by_sql(wh: Warehouse) -> None:
    _two_partitions(wh)
    frame = wh.read_frame("enriched_transactions", partition_key="2024-01-02")
    assert len(frame) == 50 and set(frame["partition_key"]) == {"2024-01-02"}
    assert list(frame.columns) == [c.name for c in wh.tables.enriched_transactions.columns]
    assert str(frame["enriched_at"].dt.tz) == "UTC"

    table = wh.table_name("enriched_transactions")
    totals = wh.read_frame(
        f"SELECT partition_key, count(*) AS n FROM {table} WHERE amount >= :low GROUP BY partition_key "
        "ORDER BY partition_key",
        {"low": 0},
    )
    assert totals["partition_key"].tolist() == ["2024-01-01", "2024-01-02"]
    assert [int(n) for n in totals["n"]] == [100, 50]
    with pytest.raises(ValueError, match="logical table names only"):
        wh.read_frame(f"SELECT * FROM {table}", partition_key="x")


def test_begin_groups_writes_in_one_transaction(wh: Warehouse) -> None:
    wh.chunk_size = 40
    with pytest.raises(RuntimeError, match="first"), wh.begin() as conn:
        wh.upsert("enriched_transactions", enriched_frame(100), conn=conn)  # first statement, 3 chunks
        raise RuntimeError("first")
    assert wh.count("enriched_transactions") == 0

    _two_partitions(wh)
    with pytest.raises(RuntimeError, match="boom"), wh.begin() as conn:
        wh.delete_where("enriched_transactions", conn=conn, partition_key="2024-01-01")
        wh.upsert("enriched_transactions", enriched_frame(10, start=1000), conn=conn)
        raise RuntimeError("boom")
    assert wh.count("enriched_transactions") == 150

    with wh.begin() as conn:  # replace a partition atomically
        wh.delete_where("enriched_transactions", conn=conn, partition_key="2024-01-01")
        wh.upsert("enriched_transactions", enriched_frame(10, start=1000), conn=conn)
    assert wh.count("enriched_transactions", partition_key="2024-01-01") == 10
    assert wh.count("enriched_transactions") == 60


def test_two_warehouses_write_one_sqlite_file_concurrently(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    first, second = (Warehouse(url, chunk_size=500) for _ in range(2))
    first.ensure_schema()
    second.ensure_schema()
    errors: list[BaseException] = []

    def write(wh: Warehouse, start: int) -> None:
        try:
            for step in range(5):
                wh.upsert("enriched_transactions", enriched_frame(1000, start=start + step * 1000))
                wh.count("enriched_transactions")
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w, s)) for w, s in ((first, 0), (second, 100_000))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.dispose()
    second.dispose()
    assert not errors
    assert first.count("enriched_transactions") == second.count("enriched_transactions") == 10_000
    assert first.read_frame("enriched_transactions")["transaction_id"].is_unique
