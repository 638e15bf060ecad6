"""The submitter's in-flight cap: it waits for a free slot instead of overloading the API."""

import time
from typing import Any

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.options import SubmitOptions
from ntropy_dagster.core.submission import submit_partition
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, run_sandbox
from tests.dagster.conftest import API_KEY, history


def test_submitter_waits_for_a_free_slot(tmp_path: Any) -> None:
    config = SandboxConfig(api_keys=(API_KEY,), rate=20.0, db_path=str(tmp_path / "sb.db"))
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.ensure_schema()
    ledger = SubmissionLedger(warehouse)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(0.2)

    options = SubmitOptions(max_in_flight=1, slot_timeout=30)
    with (
        run_sandbox(config) as server,
        NtropyClient(api_key=server.api_key, base_url=server.base_url) as client,
    ):
        first = validate_transactions(history(1, per_day=20, holders=1, prefix="slot-a-"))
        second = validate_transactions(history(1, per_day=20, holders=1, prefix="slot-b-"))
        a = submit_partition(client, ledger, first, partition_key="a", options=options, sleep=sleep)
        assert sleeps == []
        b = submit_partition(client, ledger, second, partition_key="b", options=options, sleep=sleep)
        assert sleeps, "the second submission should have waited for the first batch"
        [first_row] = ledger.latest("a")
        assert first_row.status == "completed"  # the slot freed because batch a finished
        assert first_row.batch_id == a.batch_ids[0] != b.batch_ids[0]
    warehouse.dispose()
