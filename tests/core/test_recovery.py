"""Recovery without billing twice: adoption only of a chunk's own batch, no stranded chunk, detach-and-retry.

Each test builds the state a killed run leaves (the ledger's intent row written, the POST sent, the batch
id never recorded) with the real steps against the sandbox over HTTP, then runs the submitter again.
"""

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pandas as pd
import pytest

from ntropy_dagster.client import InternalServerError, NtropyClient, RetryPolicy
from ntropy_dagster.core.delta import members_of
from ntropy_dagster.core.enrichment import store_partition_results, submit_wait_and_store
from ntropy_dagster.core.ledger import COMPLETED, ERROR, SUBMITTING, SubmissionLedger
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.status import refresh_in_flight
from ntropy_dagster.core.submission import _chunk_hash, submit_partition
from ntropy_dagster.core.validation import ValidatedInput, validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox

API_KEY = "recovery-test-key"
SIZE = 6
OPTIONS = PipelineOptions(batch_size=SIZE, poll_interval=0.2, blocking_timeout=60)


def _sandbox(tmp_path: Path, **config: object) -> SandboxServer:
    base = SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"))
    return run_sandbox(base, **config)


@pytest.fixture
def instant(tmp_path: Path) -> Iterator[SandboxServer]:
    with _sandbox(tmp_path) as server:
        yield server


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[SandboxServer]:
    """Batches take SIZE / 2 = 3 s to process."""
    with _sandbox(tmp_path, rate=2.0) as server:
        yield server


def _client(server: SandboxServer, **retry: object) -> NtropyClient:
    policy = RetryPolicy(**retry) if retry else RetryPolicy()  # type: ignore[arg-type]
    return NtropyClient(api_key=API_KEY, base_url=server.base_url, retry=policy)


def _validated(prefix: str) -> ValidatedInput:
    rows = [
        {
            "id": f"{prefix}-{i}",
            "description": "NETFLIX.COM",
            "date": "2024-03-01",
            "amount": 15.49 + i,
            "entry_type": "outgoing",
            "currency": "USD",
        }
        for i in range(SIZE)
    ]
    return validate_transactions(pd.DataFrame(rows))


def _warehouse(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.ensure_schema()
    return warehouse


def _record_intent(ledger: SubmissionLedger, partition: str, validated: ValidatedInput) -> None:
    """What a run writes before its POST."""
    chunk = next(validated.chunks(SIZE))
    ledger.record_intent(
        partition_key=partition,
        content_hash=validated.content_hash(SIZE),
        chunk_index=0,
        chunk_hash=_chunk_hash(chunk),
        members=members_of(chunk),
        attempt=1,
        run_id="killed-run",
    )


def _post(client: NtropyClient, validated: ValidatedInput) -> str:
    """The POST of a run killed before it recorded the batch id."""
    return client.batches.create(next(validated.chunks(SIZE))).id


def _batch_count(client: NtropyClient) -> int:
    return len(list(client.batches.list(limit=1000)))


def _wait_completed(client: NtropyClient, *batch_ids: str) -> None:
    deadline = time.monotonic() + 30
    while any(client.batches.get(b).status != "completed" for b in batch_ids):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_two_crashed_partitions_never_swap_batches(instant: SandboxServer, tmp_path: Path) -> None:
    client, ledger = _client(instant), SubmissionLedger(_warehouse(tmp_path))
    a, b = _validated("a"), _validated("b")
    _record_intent(ledger, "A", a)
    _record_intent(ledger, "B", b)
    batch_b = _post(client, b)  # B's POST lands first: the oldest orphan of this size is B's
    batch_a = _post(client, a)
    assert _batch_count(client) == 2
    first = submit_partition(client, ledger, a, partition_key="A", options=OPTIONS)
    second = submit_partition(client, ledger, b, partition_key="B", options=OPTIONS)
    assert (first.adopted, second.adopted) == ([batch_a], [batch_b])  # each its own, proven by results
    assert _batch_count(client) == 2  # nothing submitted again
    warehouse = _warehouse(tmp_path)
    for partition, validated in (("A", a), ("B", b)):
        stored = store_partition_results(
            client, ledger, warehouse, validated, partition_key=partition, batch_size=SIZE
        )
        assert stored.rows_written == SIZE and not stored.detached


def test_an_orphan_two_chunks_could_claim_waits_for_proof(slow: SandboxServer, tmp_path: Path) -> None:
    client, ledger = _client(slow), SubmissionLedger(_warehouse(tmp_path))
    a, b = _validated("a"), _validated("b")
    _record_intent(ledger, "A", a)
    _record_intent(ledger, "B", b)
    batch_b = _post(client, b)
    batch_a = _post(client, a)
    waiting = submit_partition(client, ledger, a, partition_key="A", options=OPTIONS)
    assert (waiting.awaiting_proof, waiting.adopted, waiting.submitted) == ([0], [], [])
    assert [r.status for r in ledger.pending("A")] == [SUBMITTING]  # neither adopted nor paid again
    _wait_completed(client, batch_a, batch_b)
    proven = submit_partition(client, ledger, a, partition_key="A", options=OPTIONS)
    assert proven.adopted == [batch_a] and _batch_count(client) == 2


def test_an_orphan_only_one_chunk_can_claim_is_adopted_while_processing(
    slow: SandboxServer, tmp_path: Path
) -> None:
    client, ledger = _client(slow), SubmissionLedger(_warehouse(tmp_path))
    a = _validated("a")
    _record_intent(ledger, "A", a)
    batch_a = _post(client, a)
    assert submit_partition(client, ledger, a, partition_key="A", options=OPTIONS).adopted == [batch_a]


def test_a_resubmission_that_meets_a_500_is_not_stranded(instant: SandboxServer, tmp_path: Path) -> None:
    client = _client(instant, max_attempts=2, initial_backoff=0.0, jitter=False)
    ledger = SubmissionLedger(_warehouse(tmp_path))
    a = _validated("a")
    [errored] = submit_partition(client, ledger, a, partition_key="A", options=OPTIONS).submitted
    with httpx.Client(base_url=instant.base_url, headers={"X-Api-Key": API_KEY}) as admin:
        admin.post(f"/_sandbox/batches/{errored}/fail").raise_for_status()
        refresh_in_flight(client, ledger)
        assert [r.status for r in ledger.pending("A")] == [ERROR]
        admin.post("/_sandbox/faults/burst", json={"status": 500, "count": 1, "retry_after": None})
    with pytest.raises(InternalServerError):  # the resubmission's POST meets a 500 (not retried: it bills)
        submit_partition(client, ledger, a, partition_key="A", options=OPTIONS)
    [row] = ledger.pending("A")
    assert (row.status, row.attempt, row.batch_id) == (SUBMITTING, 2, None)
    assert errored in ledger.known_batch_ids()  # the errored batch stays in the history
    # The API may have taken the POST before its 500: within resend_after_seconds nothing is sent again.
    waiting = submit_partition(client, ledger, a, partition_key="A", options=OPTIONS)
    assert waiting.awaiting_proof == [row.chunk_index] and waiting.submitted == []
    later = replace(OPTIONS, resend_after_seconds=0)  # no batch of it appeared in that time
    again = submit_partition(client, ledger, a, partition_key="A", options=later)
    assert again.adopted == [] and len(again.submitted) == 1 and again.submitted[0] != errored
    assert _batch_count(client) == 2  # the errored one and its replacement: nothing else


def test_a_batch_whose_results_disprove_its_adoption_is_detached_and_resubmitted(
    slow: SandboxServer, tmp_path: Path
) -> None:
    client, warehouse = _client(slow), _warehouse(tmp_path)
    ledger = SubmissionLedger(warehouse)
    a = _validated("a")
    _record_intent(ledger, "A", a)  # killed before its POST ...
    stranger = _post(client, _validated("someone-else"))  # ... while another client posted a same-size batch
    _, result = submit_wait_and_store(client, warehouse, a, partition_key="A", options=OPTIONS)
    assert result.rows_written == SIZE
    [row] = [r for r in ledger.with_status([COMPLETED]) if r.partition_key == "A"]
    assert row.batch_id not in (None, stranger) and row.attempt == 2
    assert stranger in ledger.known_batch_ids()
    enriched = warehouse.read_frame("enriched_transactions", partition_key="A")
    assert sorted(enriched["transaction_id"]) == sorted(p["id"] for p in a.payloads)
