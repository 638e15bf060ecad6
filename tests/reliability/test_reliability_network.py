"""The network between the pipeline and the API fails: a connection dropped during a results download, the
API restarted while batches are processing. The steps heal (client retries of idempotent GETs, step
retries, the next sensor tick) with no row lost or duplicated and nothing billed twice.
"""

from __future__ import annotations

import time
from pathlib import Path

import dagster as dg
import pytest

from ntropy_dagster.client import APIConnectionError
from ntropy_dagster.sandbox import SandboxServer
from tests.reliability.kit import (
    BillingJournal,
    ForkServer,
    Rows,
    SensorDaemon,
    Spec,
    assert_billed_once,
    assert_settled,
    open_warehouse,
    record,
    remote_batches,
    rows_for,
    start_sandbox,
)
from tests.reliability.proxy import CuttingProxy

PARTITION = "2025-03-01"
CHUNK = 8
VALID = 3 * CHUNK


def _spec(mode: str, base_url: str, warehouse_url: str, rows: Rows, **kwargs: object) -> Spec:
    return Spec(
        mode=mode,
        partition_key=PARTITION,
        rows=rows,
        base_url=base_url,
        warehouse_url=warehouse_url,
        partitions=[PARTITION],
        batch_size=CHUNK,
        **kwargs,  # type: ignore[arg-type]
    )


# -- a connection dropped during a results download ------------------------------------------------------


@pytest.mark.parametrize(
    "cut_after",
    [pytest.param(60, id="in-the-headers", marks=pytest.mark.slow), pytest.param(1500, id="in-the-body")],
)
def test_results_download_cut_twice_heals_within_the_client_retries(
    cut_after: int,
    fork_server: ForkServer,
    journal: BillingJournal,
    sandbox: SandboxServer,
    warehouse_url: str,
    instance: dg.DagsterInstance,
) -> None:
    """Sensor mode: the enrichment run's first download is cut twice (in the headers, or in the body) and
    the client's third attempt gets it."""
    rows = rows_for("cut", VALID, invalid=1)
    spec = _spec("submit", sandbox.base_url, warehouse_url, rows)
    [submitted] = fork_server.run(spec)
    assert submitted.succeeded, submitted
    assert SensorDaemon(spec, instance).tick() == [("store", PARTITION)]
    with CuttingProxy((sandbox.host, sandbox.port), cut_after=cut_after, cuts=2) as proxy:
        [stored] = fork_server.run(_spec("store", proxy.base_url, warehouse_url, rows, max_attempts=3))
    assert stored.succeeded, stored
    assert proxy.cut == 2 and proxy.results_requests == 3 + 2  # each batch once, plus the two retries
    assert stored.metadata["ntropy/partition_rows"] == VALID
    assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
    assert assert_billed_once(journal, sandbox.base_url)["credits"] == VALID
    record("connection dropped during a results download", proxy.cut)


@pytest.mark.slow
def test_results_download_cut_more_often_than_the_client_retries_heals_by_the_step_retry(
    fork_server: ForkServer, journal: BillingJournal, sandbox: SandboxServer, warehouse_url: str
) -> None:
    """Blocking mode, everything through the proxy: the first attempt of the step gives up after 3 cut
    downloads of its first batch, which it stores while its next POST is in flight (so the third chunk
    may not be sent yet); Dagster's step retry re-attaches to the recorded batches, sends only a chunk
    never sent, and stores them."""
    rows = rows_for("cut5", VALID, invalid=1)
    with CuttingProxy((sandbox.host, sandbox.port), cut_after=700, cuts=5) as proxy:
        spec = _spec("blocking", proxy.base_url, warehouse_url, rows, max_attempts=3, step_max_retries=2)
        [outcome] = fork_server.run(spec)
    assert outcome.succeeded, outcome
    assert proxy.cut == 5
    # The retry re-attached to the batches the failed attempt had recorded (the second one included: its
    # POST was in flight when the download failed) and sent only what that attempt never did.
    reattached = outcome.metadata["ntropy/batches_reattached"]
    assert reattached in (2, 3)
    assert outcome.metadata["ntropy/transactions_submitted"] == (3 - reattached) * CHUNK
    assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
    assert assert_billed_once(journal, sandbox.base_url)["credits"] == VALID
    record("connection dropped during a results download", proxy.cut)


# -- the sandbox restarted while batches are processing ----------------------------------------------------


def test_sandbox_restarted_mid_batch_sensor_mode(
    fork_server: ForkServer,
    journal: BillingJournal,
    tmp_path: Path,
    warehouse_url: str,
    instance: dg.DagsterInstance,
) -> None:
    """Batches take 6.4 s; the sandbox (state in a file) is stopped while they process, the sensor ticks
    against nothing, the sandbox starts again on the same port and file, and the pipeline finishes."""
    server = start_sandbox(tmp_path, rate=1.25)
    port = server.port
    rows = rows_for("rs", VALID, invalid=1)
    spec = _spec("submit", server.base_url, warehouse_url, rows)
    [submitted] = fork_server.run(spec)
    assert submitted.succeeded, submitted
    daemon = SensorDaemon(spec, instance)
    assert daemon.tick() == []  # processing
    statuses = {b["status"] for b in remote_batches(server.base_url)}
    assert statuses == {"processing"}, f"the batches must be processing when the sandbox stops: {statuses}"
    server.stop()
    with pytest.raises(APIConnectionError, match="Connection refused"):
        daemon.tick()  # the daemon records a failed tick and ticks again at the next interval
    server = start_sandbox(tmp_path, port=port, rate=1.25)
    try:
        launched: list[tuple[str, str]] = []
        deadline = time.monotonic() + 30
        while not launched:
            assert time.monotonic() < deadline, "the sensor never requested the enrichment run"
            launched = daemon.tick()
            time.sleep(0.3)
        assert launched == [("store", PARTITION)]
        [stored] = fork_server.run(_spec("store", server.base_url, warehouse_url, rows))
        assert stored.succeeded, stored
        assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
        assert assert_billed_once(journal, server.base_url)["credits"] == VALID
        record("sandbox restarted mid-batch")
    finally:
        server.stop()


@pytest.mark.slow
def test_sandbox_restarted_while_a_blocking_run_waits(
    fork_server: ForkServer, journal: BillingJournal, tmp_path: Path, warehouse_url: str
) -> None:
    server = start_sandbox(tmp_path, rate=2.0)
    port = server.port
    rows = rows_for("rb", VALID, invalid=1)
    spec = _spec(
        "blocking",
        server.base_url,
        warehouse_url,
        rows,
        max_attempts=2,
        step_max_retries=3,
        step_retry_delay_seconds=1.0,
    )
    fork_server.start(spec)
    deadline = time.monotonic() + 60
    while len(journal.batches) < 3:  # all three batches created, processing for 4 s
        assert time.monotonic() < deadline
        time.sleep(0.05)
    server.stop()
    time.sleep(2.0)
    server = start_sandbox(tmp_path, port=port, rate=2.0)
    try:
        [outcome] = fork_server.wait()
        assert outcome.succeeded, outcome
        assert_settled(open_warehouse(warehouse_url), PARTITION, rows)
        assert assert_billed_once(journal, server.base_url)["credits"] == VALID
        record("sandbox restarted mid-batch")
    finally:
        server.stop()
