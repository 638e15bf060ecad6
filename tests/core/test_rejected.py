"""Each raw row is either enriched or rejected, never both; wholly rejected partitions fail naming the cause."""

from pathlib import Path

import pandas as pd
import pytest

from ntropy_dagster.core.errors import PartitionRejectedError
from ntropy_dagster.core.rejected import partition_summary, raise_if_wholly_rejected, write_rejected
from ntropy_dagster.core.validation import ValidatedInput, validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.core.warehouse.synthetic import enriched_frame

PARTITION = "2024-01-01"


def _raw(ids: range, **changes: object) -> pd.DataFrame:
    rows = [
        {
            "id": f"tx-{i}",
            "description": "NETFLIX.COM",
            "date": "2024-01-01",
            "amount": 15.49,
            "entry_type": "outgoing",
            "currency": "USD",
        }
        | changes
        for i in ids
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.ensure_schema()
    warehouse.upsert("enriched_transactions", enriched_frame(10, partition_key=PARTITION))  # tx-0 .. tx-9
    warehouse.upsert("enriched_transactions", enriched_frame(5, start=100, partition_key="2024-01-02"))
    return warehouse


def _enriched_ids(warehouse: Warehouse, partition: str = PARTITION) -> set[str]:
    return set(warehouse.read_frame("enriched_transactions", partition_key=partition)["transaction_id"])


def _rejected_ids(warehouse: Warehouse) -> set[str]:
    return set(warehouse.read_frame("rejected_transactions", partition_key=PARTITION)["transaction_id"])


def test_rows_that_became_invalid_leave_the_enriched_table_when_they_are_rejected(
    warehouse: Warehouse,
) -> None:
    raw = pd.concat([_raw(range(7)), _raw(range(7, 10), currency="usd")], ignore_index=True)
    validated = validate_transactions(raw)
    assert write_rejected(warehouse, PARTITION, validated) == 3
    assert _rejected_ids(warehouse) == {"tx-7", "tx-8", "tx-9"}
    assert _enriched_ids(warehouse) == {f"tx-{i}" for i in range(7)}
    assert _enriched_ids(warehouse) & _rejected_ids(warehouse) == set()  # never both
    assert len(_enriched_ids(warehouse, "2024-01-02")) == 5  # other partitions untouched


def test_rows_gone_from_the_raw_data_leave_the_enriched_table(warehouse: Warehouse) -> None:
    write_rejected(warehouse, PARTITION, validate_transactions(_raw(range(4))))
    assert _enriched_ids(warehouse) == {f"tx-{i}" for i in range(4)}


def test_a_superseded_duplicate_keeps_its_enriched_row(warehouse: Warehouse) -> None:
    raw = pd.concat([_raw(range(10)), _raw(range(3, 4), amount=20.0)], ignore_index=True)
    validated = validate_transactions(raw)
    assert [r.field for r in validated.rejected] == ["id"]  # tx-3's first row is superseded
    write_rejected(warehouse, PARTITION, validated)
    assert _enriched_ids(warehouse) == {f"tx-{i}" for i in range(10)}


def test_a_wholly_invalid_partition_fails_naming_the_cause_after_clearing_its_rows(
    warehouse: Warehouse,
) -> None:
    validated = validate_transactions(_raw(range(10)).drop(columns=["currency"]))
    write_rejected(warehouse, PARTITION, validated)
    assert _enriched_ids(warehouse) == set() and len(_rejected_ids(warehouse)) == 10
    with pytest.raises(PartitionRejectedError) as failed:
        raise_if_wholly_rejected(validated, PARTITION)
    message = str(failed.value)
    assert "all 10 rows of partition '2024-01-01' were rejected" in message
    assert "missing column 'currency' (10 row(s))" in message
    assert "rejected-transactions table" in message


def test_an_empty_partition_clears_its_rows_and_is_not_an_error(warehouse: Warehouse) -> None:
    empty = ValidatedInput(payloads=[], rejected=[], account_holders=[], raw_rows=0)
    assert write_rejected(warehouse, PARTITION, empty) == 0
    raise_if_wholly_rejected(empty, PARTITION)
    assert _enriched_ids(warehouse) == set()
    assert partition_summary(empty, PARTITION) == "partition '2024-01-01' has no rows: nothing to enrich"
