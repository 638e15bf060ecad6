"""Incremental submission: a re-run sends only new and changed transactions, and what it sends is billed once.

Every test runs the real steps against the sandbox over HTTP and counts what the sandbox was sent (the
sum of its batches' sizes is what the API would bill).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.enrichment import store_partition_results, submit_wait_and_store
from ntropy_dagster.core.errors import PartitionNotSubmittedError
from ntropy_dagster.core.ledger import SUPERSEDED, SubmissionLedger
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.status import wait_for_partition
from ntropy_dagster.core.submission import submit_partition
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox
from tests.core.conftest import transaction_rows

API_KEY = "incremental-test-key"
OPTIONS = PipelineOptions(batch_size=400, poll_interval=0.1, blocking_timeout=60)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SandboxServer]:
    config = SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"))
    with run_sandbox(config) as running:
        yield running


@pytest.fixture
def client(server: SandboxServer) -> Iterator[NtropyClient]:
    with NtropyClient(api_key=API_KEY, base_url=server.base_url) as running:
        yield running


def _billed(server: SandboxServer) -> int:
    """Transactions the sandbox was sent in batches, in all."""
    total, cursor = 0, None
    with httpx.Client(base_url=server.base_url, headers={"X-Api-Key": API_KEY}) as http:
        while True:
            params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = http.get("/v3/batches", params=params).raise_for_status().json()
            total += sum(b["total"] for b in page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                return total


def _enrich(client: NtropyClient, warehouse: Warehouse, rows: list[dict[str, Any]]) -> Any:
    validated = validate_transactions(pd.DataFrame(rows))
    return submit_wait_and_store(client, warehouse, validated, partition_key="2025-03-01", options=OPTIONS)


def _table(warehouse: Warehouse) -> pd.DataFrame:
    return warehouse.read_frame("enriched_transactions", partition_key="2025-03-01").set_index(
        "transaction_id"
    )


def test_one_late_row_submits_exactly_one_and_an_unchanged_rerun_submits_nothing(
    server: SandboxServer, client: NtropyClient, warehouse: Warehouse
) -> None:
    rows = transaction_rows(1000)
    first, _ = _enrich(client, warehouse, rows)
    assert (first.transactions_submitted, first.new, first.unchanged) == (1000, 1000, 0)

    late, stored = _enrich(client, warehouse, rows + transaction_rows(1, start=1000))
    assert (late.transactions_submitted, late.new, late.changed, late.unchanged) == (1, 1, 0, 1000)
    assert stored.rows_written == 1 and len(_table(warehouse)) == 1001

    again, stored = _enrich(client, warehouse, rows + transaction_rows(1, start=1000))
    assert (again.transactions_submitted, again.unchanged, again.submitted) == (0, 1001, [])
    assert stored.rows_written == 0 and len(_table(warehouse)) == 1001
    assert _billed(server) == 1001


def test_a_changed_row_is_sent_again_and_a_removed_row_leaves_the_table(
    server: SandboxServer, client: NtropyClient, warehouse: Warehouse
) -> None:
    rows = transaction_rows(50)
    _enrich(client, warehouse, rows)
    before = _table(warehouse)
    changed = [dict(r, amount=999.0) if r["id"] == "tx-00007" else r for r in rows if r["id"] != "tx-00003"]
    submission, stored = _enrich(client, warehouse, changed)
    assert (submission.transactions_submitted, submission.changed, submission.unchanged) == (1, 1, 48)
    assert stored.stale_rows_deleted == 1
    after = _table(warehouse)
    assert "tx-00003" not in after.index and len(after) == 49
    assert after.loc["tx-00007", "amount"] == 999.0
    assert after.loc["tx-00007", "fingerprint"] != before.loc["tx-00007", "fingerprint"]
    assert after.loc["tx-00008", "batch_id"] == before.loc["tx-00008", "batch_id"]  # untouched
    assert _billed(server) == 51


def test_a_late_row_while_the_first_submission_is_in_flight_sends_only_the_late_row(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    config = SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "slow.db"))
    with (
        run_sandbox(config, rate=200.0) as slow,  # 600 rows take ~3 s
        NtropyClient(api_key=API_KEY, base_url=slow.base_url) as client,
    ):
        ledger = SubmissionLedger(warehouse)
        rows = transaction_rows(600)
        first = submit_partition(client, ledger, validate_transactions(pd.DataFrame(rows)), partition_key="p")
        assert first.transactions_submitted == 600
        # The raw data gains a row and changes another before the first batches finish.
        later = [dict(r, amount=1.0) if r["id"] == "tx-00001" else r for r in rows] + transaction_rows(
            1, start=600
        )
        validated = validate_transactions(pd.DataFrame(later))
        second = submit_partition(client, ledger, validated, partition_key="p")
        assert (second.transactions_submitted, second.new, second.changed, second.in_flight) == (2, 2, 0, 599)
        assert second.reattached == first.batch_ids
        wait_for_partition(client, ledger, "p", timeout=60, poll_interval=0.2)
        result = store_partition_results(
            client, ledger, warehouse, validated, partition_key="p", batch_size=OPTIONS.batch_size
        )
        assert result.rows_written == 601 and result.stale_results == 1
        table = warehouse.read_frame("enriched_transactions", partition_key="p").set_index("transaction_id")
        assert len(table) == 601 and table.loc["tx-00001", "amount"] == 1.0
        assert ledger.pending("p") == []
        assert _billed(slow) == 602  # the changed row twice (it changed), every other row once


def test_a_pending_chunk_whose_rows_all_left_is_superseded_not_resent(
    server: SandboxServer, client: NtropyClient, warehouse: Warehouse
) -> None:
    ledger = SubmissionLedger(warehouse)
    rows = transaction_rows(10)
    submit_partition(client, ledger, validate_transactions(pd.DataFrame(rows)), partition_key="p")
    [row] = ledger.pending("p")
    ledger.detach(row, "the batch errored")  # its batch failed: the chunk waits for a resubmission ...
    replaced = validate_transactions(
        pd.DataFrame(transaction_rows(4, start=100))
    )  # ... but the day was replaced
    result = submit_partition(client, ledger, replaced, partition_key="p")
    assert (result.superseded, result.transactions_submitted, result.new) == (10, 4, 4)
    assert [r.status for r in ledger.with_status([SUPERSEDED])] == [SUPERSEDED]
    wait_for_partition(client, ledger, "p", timeout=30, poll_interval=0.1)
    stored = store_partition_results(
        client, ledger, warehouse, replaced, partition_key="p", batch_size=OPTIONS.batch_size
    )
    assert stored.rows_written == 4 and _billed(server) == 14


def test_storing_a_partition_whose_new_rows_were_never_submitted_names_them(
    client: NtropyClient, warehouse: Warehouse
) -> None:
    _enrich(client, warehouse, transaction_rows(5))
    grown = validate_transactions(pd.DataFrame(transaction_rows(7)))
    with pytest.raises(PartitionNotSubmittedError, match="2 new and 0 changed"):
        store_partition_results(
            client,
            SubmissionLedger(warehouse),
            warehouse,
            grown,
            partition_key="2025-03-01",
            batch_size=OPTIONS.batch_size,
        )


def test_rows_enriched_before_fingerprints_are_adopted_when_the_ledger_proves_them(
    server: SandboxServer, client: NtropyClient, warehouse: Warehouse
) -> None:
    rows = transaction_rows(30)
    _enrich(client, warehouse, rows)
    table = warehouse.tables.enriched_transactions
    with warehouse.begin() as conn:  # what an earlier version of the pipeline left
        conn.execute(sa.update(table).values(fingerprint=None))
    again, _ = _enrich(client, warehouse, rows)
    assert (again.transactions_submitted, again.unchanged) == (0, 30)
    assert _table(warehouse)["fingerprint"].notna().all()
    # Without a ledger entry that proves what the rows hold, they are sent once more.
    with warehouse.begin() as conn:
        conn.execute(sa.update(table).values(fingerprint=None))
        conn.execute(sa.delete(warehouse.tables.batches))
    unproven, _ = _enrich(client, warehouse, rows)
    assert (unproven.transactions_submitted, unproven.changed) == (30, 30)
    assert _billed(server) == 60


def test_an_errored_chunk_resent_with_fewer_rows_is_stored_in_the_same_blocking_run(
    server: SandboxServer, client: NtropyClient, warehouse: Warehouse
) -> None:
    """A blocking run resends a chunk whose batch errored with only its rows still unchanged, and stores
    that batch in the same run: its results hold the resent rows, not the members the chunk had before
    (expecting those, the run detached the batch and resent the chunk until it gave up on it)."""
    ledger = SubmissionLedger(warehouse)
    rows = transaction_rows(10)
    submit_partition(client, ledger, validate_transactions(pd.DataFrame(rows)), partition_key="2025-03-01")
    [row] = ledger.pending("2025-03-01")
    ledger.detach(row, "the batch errored")  # its batch failed: the chunk waits for a resubmission ...
    changed = [dict(r) for r in rows]
    changed[2]["amount"] = 77.0  # ... and one of its rows changed meanwhile
    _, stored = _enrich(client, warehouse, changed)
    assert stored.detached == [] and stored.failed_batch_ids == []
    table = _table(warehouse)
    assert len(table) == 10 and table.loc[rows[2]["id"], "amount"] == 77.0
    assert _billed(server) == 10 + 9 + 1  # the chunk, its 9 unchanged rows again, the changed row
