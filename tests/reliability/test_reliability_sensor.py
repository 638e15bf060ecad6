"""Sensor mode: a killed ``ntropy_batches`` or enrichment run, then the batch sensor (ticks as the daemon
runs them, on a real instance) and normal runs bring the partition to settled, billed once.

The runs are children (``driver.py``, ``dagster.materialize`` of the sensor mode's steps) killed with
SIGKILL at a boundary; the ticks run in the test process, and a run key the sensor already launched is
not launched again (Dagster's rule, whatever the earlier run's status).
"""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg
import pytest

from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.sandbox import SandboxServer
from tests.reliability.kit import (
    BillingJournal,
    ForkServer,
    KillPoint,
    Rows,
    SensorDaemon,
    Spec,
    assert_billed_once,
    assert_never_both,
    assert_settled,
    open_warehouse,
    record,
    rows_for,
)

pytestmark = pytest.mark.slow

PARTITION = "2025-03-01"
CHUNK = 8
VALID = 3 * CHUNK
#: A chunk left ``submitting`` this long is resumed by the sensor (600 s by default).
RESUME_AFTER = 1.0


def _spec(
    mode: str, server: SandboxServer, warehouse_url: str, rows: Rows, kill: KillPoint | None = None
) -> Spec:
    return Spec(
        mode=mode,
        partition_key=PARTITION,
        rows=rows,
        base_url=server.base_url,
        warehouse_url=warehouse_url,
        partitions=[PARTITION],
        batch_size=CHUNK,
        kill=kill,
        resume_after_seconds=RESUME_AFTER,
    )


def _drive(
    daemon: SensorDaemon,
    fork_server: ForkServer,
    server: SandboxServer,
    warehouse_url: str,
    rows: Rows,
    timeout: float = 60.0,
) -> list[str]:
    """Tick, and run what the sensor launches (no kill), until nothing is pending; the launched modes."""
    ledger = SubmissionLedger(open_warehouse(warehouse_url))
    launched: list[str] = []
    deadline = time.monotonic() + timeout
    while ledger.pending(PARTITION) or not launched:
        assert time.monotonic() < deadline, (
            f"not settled by the sensor; launched {launched}, skipped as launched before: {daemon.skipped}"
        )
        for mode, _partition in daemon.tick():
            [outcome] = fork_server.run(_spec(mode, server, warehouse_url, rows))
            assert outcome.succeeded, outcome
            daemon.finish(succeeded=True)
            launched.append(mode)
        time.sleep(0.3)
    return launched


@pytest.mark.parametrize(
    "kill",
    [
        pytest.param(KillPoint("ledger.claim_slot", call=2), id="after-intent-before-post"),
        pytest.param(KillPoint("client.batches.create", call=2), id="after-post-before-batch-id"),
        pytest.param(KillPoint("ledger.record_batch", call=3), id="after-last-batch-id"),
    ],
)
def test_a_killed_batches_run_is_resumed_by_the_sensor_alone(
    kill: KillPoint,
    fork_server: ForkServer,
    journal: BillingJournal,
    sandbox: SandboxServer,
    warehouse_url: str,
    instance: dg.DagsterInstance,
) -> None:
    rows = rows_for("sk", VALID, invalid=2)
    [killed] = fork_server.run(_spec("submit", sandbox, warehouse_url, rows, kill))
    assert killed.killed, killed
    daemon = SensorDaemon(_spec("submit", sandbox, warehouse_url, rows), instance)
    launched = _drive(daemon, fork_server, sandbox, warehouse_url, rows)
    assert launched[-1] == "store"
    warehouse = open_warehouse(warehouse_url)
    assert_settled(warehouse, PARTITION, rows)
    assert assert_billed_once(journal, sandbox.base_url)["credits"] == VALID
    record("SIGKILL at a step boundary (sensor mode)")


@pytest.mark.parametrize(
    "kill",
    [
        pytest.param(
            KillPoint("warehouse.upsert", arg0="enriched_transactions"), id="after-first-batch-stored"
        ),
        pytest.param(KillPoint("ledger.mark_enriched", when="before"), id="before-chunks-marked-enriched"),
    ],
)
def test_a_killed_enrichment_run_heals_when_run_again(
    kill: KillPoint,
    fork_server: ForkServer,
    journal: BillingJournal,
    sandbox: SandboxServer,
    warehouse_url: str,
    instance: dg.DagsterInstance,
) -> None:
    rows = rows_for("se", VALID, invalid=2)
    [submitted] = fork_server.run(_spec("submit", sandbox, warehouse_url, rows))
    assert submitted.succeeded, submitted
    daemon = SensorDaemon(_spec("submit", sandbox, warehouse_url, rows), instance)
    assert daemon.tick() == [("store", PARTITION)]
    [killed] = fork_server.run(_spec("store", sandbox, warehouse_url, rows, kill))
    assert killed.killed, killed
    warehouse = open_warehouse(warehouse_url)
    assert_never_both(warehouse, PARTITION)
    [again] = fork_server.run(_spec("store", sandbox, warehouse_url, rows))  # a person re-materializes it
    assert again.succeeded, again
    assert_settled(warehouse, PARTITION, rows)
    assert assert_billed_once(journal, sandbox.base_url)["credits"] == VALID
    record("SIGKILL at a step boundary (sensor mode)")


def test_a_killed_enrichment_run_is_requested_again_by_the_sensor(
    fork_server: ForkServer, sandbox: SandboxServer, warehouse_url: str, instance: dg.DagsterInstance
) -> None:
    rows = rows_for("sx", VALID)
    [submitted] = fork_server.run(_spec("submit", sandbox, warehouse_url, rows))
    assert submitted.succeeded, submitted
    daemon = SensorDaemon(_spec("submit", sandbox, warehouse_url, rows), instance)
    assert daemon.tick() == [("store", PARTITION)]
    kill = KillPoint("warehouse.upsert", arg0="enriched_transactions")
    [killed] = fork_server.run(_spec("store", sandbox, warehouse_url, rows, kill))
    assert killed.killed, killed
    assert daemon.tick() == []  # its run is still in progress: nothing is requested twice
    daemon.finish(succeeded=False)
    # The failed run does not hold its run key: the next tick requests the enrichment again.
    launched = _drive(daemon, fork_server, sandbox, warehouse_url, rows, timeout=3 * RESUME_AFTER + 2)
    assert launched == ["store"]
    assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
    record("SIGKILL at a step boundary (sensor mode)")


def test_sensor_mode_partition_settles_when_nothing_is_killed(
    fork_server: ForkServer,
    journal: BillingJournal,
    sandbox: SandboxServer,
    tmp_path: Path,
    warehouse_url: str,
    instance: dg.DagsterInstance,
) -> None:
    """The baseline the kill cases are compared with: one batches run, one enrichment run."""
    rows = rows_for("sb", VALID, invalid=1)
    [submitted] = fork_server.run(_spec("submit", sandbox, warehouse_url, rows))
    assert submitted.succeeded and submitted.metadata["ntropy/transactions_submitted"] == VALID
    daemon = SensorDaemon(_spec("submit", sandbox, warehouse_url, rows), instance)
    assert _drive(daemon, fork_server, sandbox, warehouse_url, rows) == ["store"]
    assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
    assert assert_billed_once(journal, sandbox.base_url)["credits"] == VALID
