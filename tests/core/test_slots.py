"""The ledger's slot claim: the in-flight cap and the credit bucket hold across concurrent runs."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from ntropy_dagster.client import NtropyClient, RetryPolicy
from ntropy_dagster.core.ledger import PROCESSING, SlotLimits, SubmissionLedger, credits_left
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.submission import submit_partition
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import RealisticLimits, SandboxConfig, run_sandbox
from tests.warehouse.conftest import DIALECTS, url_for

NO_SLACK = dt.timedelta(0)
LIMITS = SlotLimits(
    max_in_flight=2,
    fresh_for=dt.timedelta(minutes=10),
    credit_bucket=1_000_000,
    credit_refill_per_second=1_000_000.0,
)


def claim(ledger: SubmissionLedger, index: int, size: int = 1, limits: SlotLimits = LIMITS) -> str | None:
    members = {f"tx-{index}-{i}": "fp" for i in range(size)}
    return ledger.claim_slot(
        partition_key="p",
        content_hash="h",
        chunk_index=index,
        chunk_hash=f"c{index}",
        members=members,
        attempt=1,
        run_id=None,
        limits=limits,
    )


def test_fresh_intents_and_processing_batches_hold_slots_stale_intents_do_not(warehouse: Warehouse) -> None:
    ledger = SubmissionLedger(warehouse)
    assert claim(ledger, 0) is None
    assert claim(ledger, 1) is None
    refused = claim(ledger, 2)
    assert refused == "2 batches in flight (cap 2)"
    assert claim(ledger, 1) is None  # a chunk claiming again does not count itself
    ledger.record_batch(("p", "h", 0), batch_id="b0", status="completed", progress=1, total=1)
    assert claim(ledger, 2) is None  # chunk 0's batch finished: its slot is free
    ledger.record_batch(("p", "h", 1), batch_id="b1", status=PROCESSING, progress=0, total=1)
    assert claim(ledger, 3) is not None  # chunk 1 processing, chunk 2 submitting
    # An intent older than fresh_for belongs to a dead run: it holds no slot.
    later = replace(LIMITS, fresh_for=dt.timedelta(0))
    assert claim(ledger, 3, limits=later) is None
    assert {r.chunk_index for r in ledger.with_status(["submitting"])} == {2, 3}


def test_the_credit_bucket_paces_chunks(warehouse: Warehouse) -> None:
    ledger = SubmissionLedger(warehouse)
    limits = replace(
        LIMITS, max_in_flight=10, credit_bucket=10, credit_refill_per_second=10.0, credit_slack=NO_SLACK
    )
    assert claim(ledger, 0, size=6, limits=limits) is None  # an idle bucket is full
    refused = claim(ledger, 1, size=6, limits=limits)
    assert refused is not None and "credits left in the bucket of 10" in refused and "needs 6" in refused
    assert claim(ledger, 2, size=4, limits=limits) is None  # what is left fits
    time.sleep(1.1)  # refilled
    assert claim(ledger, 1, size=6, limits=limits) is None
    # A chunk bigger than the bucket goes once the bucket is full rather than never.
    big = replace(limits, credit_bucket=3, credit_refill_per_second=3000.0)
    time.sleep(0.01)
    assert claim(ledger, 3, size=5, limits=big) is None


def _at(seconds: float) -> dt.datetime:
    return dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=seconds)


def test_the_bucket_estimate_tracks_sustained_load_and_idles_back_to_full() -> None:
    def left(spent: list[tuple[float, int]], at: float) -> float:
        return credits_left(
            [(_at(t), n) for t, n in spent],
            _at(at),
            bucket=100_000,
            refill_per_second=1_000.0,
            horizon=dt.timedelta(seconds=1_000),
        )

    assert left([], 0) == 100_000  # nothing in the horizon: full
    burst = [(0.0, 24_960)] * 4
    assert left(burst, 0) == 100_000 - 4 * 24_960
    assert left(burst, 30) == 100_000 - 4 * 24_960 + 30_000
    # An hour of batches at the refill rate: replayed from empty at the horizon, each batch spends what
    # the last 25 s refilled (a lower bound: the pace stays the refill rate, never above it).
    sustained = [(float(t), 25_000) for t in range(0, 3_600, 25)]
    assert left(sustained, 3_575) == 0
    assert left(sustained, 3_600) == 25_000
    assert left(sustained, 3_600 + 200) == 100_000  # idle long enough: full again


def _claim_in_process(url: str, schema: str | None, index: int, start_at: float, out: Any) -> None:
    ledger = SubmissionLedger(Warehouse(url, schema=schema))
    time.sleep(max(0.0, start_at - time.time()))
    out.put((index, claim(ledger, index)))


@pytest.mark.slow  # six processes racing: the slow suite
@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d.values[0] != "duckdb"])
def test_concurrent_processes_never_take_the_same_slot(dialect: str, tmp_path: Path) -> None:
    schema = f"slot_{uuid.uuid4().hex[:10]}" if dialect == "postgresql" else None
    url = url_for(dialect, tmp_path)
    Warehouse(url, schema=schema).ensure_schema()
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start_at = time.time() + 4.0  # every process is up and connected by then
    processes = [
        context.Process(target=_claim_in_process, args=(url, schema, i, start_at, out)) for i in range(6)
    ]
    for process in processes:
        process.start()
    results = dict(out.get(timeout=60) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    assert sum(refusal is None for refusal in results.values()) == LIMITS.max_in_flight, results
    if schema is not None:
        wh = Warehouse(url, schema=schema)
        with wh.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))


def test_concurrent_threads_never_take_the_same_slot(warehouse: Warehouse) -> None:
    ledger = SubmissionLedger(warehouse)
    results: dict[int, str | None] = {}
    barrier = threading.Barrier(6)

    def worker(index: int) -> None:
        barrier.wait()
        results[index] = claim(ledger, index)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(refusal is None for refusal in results.values()) == LIMITS.max_in_flight, results


def test_two_runs_at_once_never_trip_the_apis_operation_cap(tmp_path: Path) -> None:
    """Against the realistic-limits sandbox (2 operations at once): two partitions submitted together by
    two threads, 3 chunks each, wait for slots instead of meeting a 429 (the client does not retry one)."""
    limits = RealisticLimits(time_scale=20, max_operations=2)
    config = SandboxConfig.realistic(api_keys=("slot-key",), realistic_limits=limits, dispatch_webhooks=False)
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    Warehouse(url).ensure_schema()
    options = PipelineOptions(batch_size=5, max_in_flight=2, poll_interval=0.05)
    errors: list[BaseException] = []
    with run_sandbox(config) as server:

        def run(partition: str) -> None:
            rows = [
                {"id": f"{partition}-{i}", "description": "NETFLIX.COM", "date": "2025-03-01", "amount": 9.99,
                 "entry_type": "outgoing", "currency": "USD"}
                for i in range(15)
            ]  # fmt: skip
            retry = RetryPolicy(max_attempts=1)
            try:
                with NtropyClient(api_key="slot-key", base_url=server.base_url, retry=retry) as client:
                    ledger = SubmissionLedger(Warehouse(url))
                    validated = validate_transactions(pd.DataFrame(rows))
                    submit_partition(client, ledger, validated, partition_key=partition, options=options)
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(p,)) for p in ("2025-03-01", "2025-03-02")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report = httpx.get(f"{server.base_url}/_sandbox/stats", headers={"X-Api-Key": "slot-key"}).json()
    assert errors == []
    assert report["requests_429"]["total"] == 0, report["requests_429"]
    operations = report["keys"]["slot-key"]["operations"]
    assert operations["started"] == 6 and operations["peak_concurrent"] == 2
