"""SIGKILL at each step boundary, then a normal re-run: every valid row enriched once, nothing billed twice.

Each case materializes one partition in a child process (``driver.py``: ``build_ntropy_assets(raw,
blocking=True)`` and ``dagster.materialize``, or the sensor mode's runs) against the real sandbox over
HTTP and a SQLite warehouse file, and kills the child with SIGKILL at the N-th call of a product
function. Then the partition is materialized again, without a kill, and must be settled
(:func:`~tests.reliability.kit.assert_settled`) and billed once (:func:`~tests.reliability.kit.assert_billed_once`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ntropy_dagster.sandbox import SandboxServer
from tests.reliability.kit import (
    BillingJournal,
    ForkServer,
    KillPoint,
    Rows,
    Spec,
    assert_billed_once,
    assert_never_both,
    assert_settled,
    open_warehouse,
    record,
    rows_for,
    start_sandbox,
)

PARTITIONS = ["2025-03-01", "2025-03-02"]
CHUNK = 8
#: Three chunks of 8 valid rows, and 3 rows validation rejects.
VALID, INVALID = 3 * CHUNK, 3
ENRICHED = "enriched_transactions"

#: The boundaries of a blocking run, in the order the run crosses them.
BLOCKING_KILLS = [
    pytest.param(KillPoint("rejections.write"), id="after-rejections-written"),
    pytest.param(KillPoint("ledger.claim_slot"), id="after-first-intent-before-post"),
    pytest.param(KillPoint("ledger.claim_slot", call=2), id="after-second-intent-before-post"),
    pytest.param(KillPoint("client.batches.create"), id="after-first-post-before-batch-id"),
    pytest.param(KillPoint("client.batches.create", call=3), id="after-last-post-before-batch-id"),
    pytest.param(KillPoint("ledger.record_batch", call=2), id="after-batch-id-recorded"),
    pytest.param(KillPoint("client.batches.get", call=2, when="before"), id="while-waiting"),
    pytest.param(KillPoint("client.batches.results_decoded", call=2), id="after-results-downloaded"),
    pytest.param(KillPoint("warehouse.upsert", arg0=ENRICHED), id="after-first-batch-stored"),
    pytest.param(KillPoint("ledger.mark_enriched", when="before"), id="before-chunks-marked-enriched"),
]


def _spec(mode: str, server: SandboxServer, warehouse_url: str, rows: Rows, **kwargs: object) -> Spec:
    partition = str(kwargs.pop("partition", PARTITIONS[0]))
    return Spec(
        mode=mode,
        partition_key=partition,
        rows=rows,
        base_url=server.base_url,
        warehouse_url=warehouse_url,
        partitions=PARTITIONS,
        batch_size=CHUNK,
        **kwargs,  # type: ignore[arg-type]
    )


#: The core path in the default suite; the same boundaries through Dagster (``dagster.materialize``) are slow.
MODES = [pytest.param("core", id="core"), pytest.param("blocking", id="dagster", marks=pytest.mark.slow)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kill", BLOCKING_KILLS)
def test_blocking_run_killed_at_a_boundary_heals_on_the_next_run(
    mode: str,
    kill: KillPoint,
    fork_server: ForkServer,
    journal: BillingJournal,
    tmp_path: Path,
    warehouse_url: str,
) -> None:
    # While waiting: batches take 8 / 20 = 0.4 s, so the run is killed with its batches processing.
    server = start_sandbox(tmp_path, rate=20.0 if kill.target == "client.batches.get" else None)
    try:
        rows = rows_for("k", VALID, invalid=INVALID)
        [killed] = fork_server.run(_spec(mode, server, warehouse_url, rows, kill=kill))
        assert killed.killed, f"the child was not killed {kill.label}: {killed}"
        warehouse = open_warehouse(warehouse_url)
        assert_never_both(warehouse, PARTITIONS[0])

        [resumed] = fork_server.run(_spec(mode, server, warehouse_url, rows))
        assert resumed.succeeded, resumed
        assert_settled(warehouse, PARTITIONS[0], rows)
        bill = assert_billed_once(journal, server.base_url)
        assert bill["credits"] == VALID  # each valid row paid for exactly once, the kill included
        assert resumed.metadata["ntropy/rejected_rows"] == INVALID
        record(f"SIGKILL at a step boundary ({'core path' if mode == 'core' else 'Dagster, blocking mode'})")
    finally:
        server.stop()


@pytest.mark.parametrize("mode", MODES)
def test_two_partitions_killed_at_once_after_their_posts_each_resume_with_their_own_batches(
    mode: str, fork_server: ForkServer, journal: BillingJournal, sandbox: SandboxServer, warehouse_url: str
) -> None:
    """Equal chunk sizes, both runs killed right after a POST: four orphans of one size, two per partition."""
    rows = {p: rows_for(f"two-{i}", 2 * CHUNK, invalid=1) for i, p in enumerate(PARTITIONS)}
    # The first kill orphans each partition's first chunk; the second run adopts it, sends the second
    # chunk and is killed right after that POST: its second chunk is orphaned too.
    kill = KillPoint("client.batches.create")
    for _ in range(2):
        killed = fork_server.run(
            *(_spec(mode, sandbox, warehouse_url, rows[p], partition=p, kill=kill) for p in PARTITIONS)
        )
        assert all(o.killed for o in killed), killed
        record("SIGKILL of two partitions at once", 2)
    resumed = fork_server.run(
        *(_spec(mode, sandbox, warehouse_url, rows[p], partition=p) for p in PARTITIONS)
    )
    assert all(o.succeeded for o in resumed), resumed
    assert [o.metadata["ntropy/transactions_submitted"] for o in resumed] == [0, 0]  # both adopted
    warehouse = open_warehouse(warehouse_url)
    for partition in PARTITIONS:
        assert_settled(warehouse, partition, rows[partition])
    bill = assert_billed_once(journal, sandbox.base_url)
    assert bill["credits"] == 2 * 2 * CHUNK
    again = fork_server.run(*(_spec(mode, sandbox, warehouse_url, rows[p], partition=p) for p in PARTITIONS))
    assert [o.metadata["ntropy/transactions_submitted"] for o in again] == [0, 0]  # unchanged: free
    assert journal.credits == 2 * 2 * CHUNK
