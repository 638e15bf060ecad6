"""A failure for one account holder is recorded for that holder; the others' recurring groups are still computed."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from ntropy_dagster.client import NtropyClient, RetryPolicy
from ntropy_dagster.core.account_holders import ensure_account_holders
from ntropy_dagster.core.enrichment import submit_wait_and_store
from ntropy_dagster.core.marts import refresh_recurring_groups
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox

API_KEY = "marts-test-key"
HOLDERS = ["holder-a", "holder-b", "holder-c"]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"))) as s:
        yield s


def _monthly_netflix(holder: str) -> list[dict[str, object]]:
    return [
        {
            "id": f"{holder}-{month}",
            "description": "NETFLIX.COM 866-579-7172 CA",
            "date": f"2024-{month:02d}-05",
            "amount": 15.49,
            "entry_type": "outgoing",
            "currency": "USD",
            "account_holder_id": holder,
        }
        for month in range(1, 7)
    ]


def test_one_failing_holder_is_recorded_and_the_others_are_refreshed(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.ensure_schema()
    client = NtropyClient(
        api_key=API_KEY,
        base_url=sandbox.base_url,
        retry=RetryPolicy(max_attempts=2, initial_backoff=0.0, jitter=False),
    )
    validated = validate_transactions(pd.DataFrame([r for h in HOLDERS for r in _monthly_netflix(h)]))
    ensure_account_holders(client, warehouse, validated.account_holders)
    submit_wait_and_store(
        client, warehouse, validated, partition_key="p", options=PipelineOptions(poll_interval=0.05)
    )

    # The next two API requests (the first holder's attempts) answer 500: that holder fails for good.
    with httpx.Client(base_url=sandbox.base_url, headers={"X-Api-Key": API_KEY}) as admin:
        admin.post(
            "/_sandbox/faults/burst", json={"status": 500, "count": 2, "retry_after": None}
        ).raise_for_status()
    first = refresh_recurring_groups(client, warehouse)
    [failed] = first.failed
    assert "500" in first.failed[failed]
    assert sorted(first.refreshed) == sorted(set(HOLDERS) - {failed})
    groups = warehouse.read_frame("recurring_groups")
    assert set(groups["account_holder_id"]) == set(HOLDERS) - {failed}  # the others are computed
    holders = warehouse.read_frame("account_holders").set_index("account_holder_id")
    assert "500" in holders.loc[failed, "groups_error"]
    assert holders.drop(index=failed)["groups_error"].isna().all()

    second = refresh_recurring_groups(client, warehouse)  # only the failed holder is tried again
    assert (second.refreshed, second.failed) == ([failed], {})
    holders = warehouse.read_frame("account_holders").set_index("account_holder_id")
    assert holders["groups_error"].isna().all()
    assert set(warehouse.read_frame("recurring_groups")["account_holder_id"]) == set(HOLDERS)
