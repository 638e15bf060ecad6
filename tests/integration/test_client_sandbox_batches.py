"""Batches through our client against a sandbox that processes at a finite rate (so ``processing`` is real)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from client_sandbox_kit import KEY, KEYS, Harness, collect, run, tx

from ntropy_dagster.client import (
    MAX_BATCH_SIZE,
    AsyncNtropyClient,
    BadRequestError,
    Batch,
    BatchFailedError,
    BatchResults,
    ConflictError,
    EnrichedTransaction,
    NtropyClient,
    TransactionValidationError,
    UnprocessableEntityError,
    WaitTimeoutError,
)
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox

RATE = 300.0
"""Transactions per second: a 300-item batch stays ``processing`` for 1 s."""

DESCRIPTIONS = ("AMAZON WEB SERVICES", "NETFLIX.COM", "STARBUCKS 123", "UBER *TRIP")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """This module's sandbox: batches advance at :data:`RATE` transactions per second."""
    config = SandboxConfig(api_keys=KEYS, rate=RATE, statement_delay=0.0, dispatch_webhooks=False)
    with run_sandbox(config) as server:
        yield server


def _items(uid: str, count: int, **overrides: Any) -> list[dict[str, Any]]:
    return [
        tx(f"{uid}-{i}", description=DESCRIPTIONS[i % len(DESCRIPTIONS)], amount=1.0 + i, **overrides)
        for i in range(count)
    ]


async def test_batch_goes_through_processing_and_both_result_paths_agree(
    client: Any, api: Harness, uid: str
) -> None:
    await run(client.account_holders.create(f"{uid}-biz", "business"))
    batch = await run(client.batches.create(_items(uid, 300, account_holder_id=f"{uid}-biz")))
    assert isinstance(batch, Batch) and batch.request_id
    assert (batch.status, batch.total, batch.progress, batch.priority) == ("processing", 300, 0, "default")

    seen: list[Batch] = []
    done = await run(client.batches.wait(batch.id, poll_interval=0.05, on_progress=seen.append))
    assert (done.status, done.progress, done.total) == ("completed", 300, 300)
    assert seen[-1] is done and all(b.status == "processing" for b in seen[:-1])
    progress = [b.progress for b in seen]
    assert progress == sorted(progress)
    assert any(0 < b.progress < 300 for b in seen[:-1]), progress  # progress was observed mid-way
    assert api.sleeps.seconds == [0.05] * (len(seen) - 1)

    typed = await run(client.batches.results(batch.id))
    records = await run(client.batches.results_records(batch.id))
    assert isinstance(typed, BatchResults) and (typed.id, typed.total, typed.status) == (
        batch.id,
        300,
        "completed",
    )
    assert [r.id for r in typed.results] == [f"{uid}-{i}" for i in range(300)]  # input order
    assert all(type(record) is dict for record in records)
    assert [r.model_dump() for r in typed.results] == [
        EnrichedTransaction.model_validate(record).model_dump() for record in records
    ]
    assert records[1]["entities"]["counterparty"]["name"] == "Netflix"
    assert typed.results[0].categories.accounting  # business account holders get accounting categories
    assert all(r.error is None for r in typed.results)


async def test_unknown_account_holder_fails_only_its_item(client: Any, uid: str) -> None:
    await run(client.account_holders.create(f"{uid}-ah", "consumer"))
    items = _items(uid, 3, account_holder_id=f"{uid}-ah")
    items[1]["account_holder_id"] = f"{uid}-nobody"
    batch = await run(client.batches.create(items, priority="low"))
    assert batch.priority == "low"
    done = await run(client.batches.wait(batch.id, poll_interval=0.05))
    assert done.status == "completed"
    results = (await run(client.batches.results(batch.id))).results
    assert [r.error is None for r in results] == [True, False, True]
    assert results[1].error.code == "account_holder_not_found"
    assert f"{uid}-nobody" in results[1].error.message
    assert results[2].entities.counterparty.name == "Starbucks"


async def test_batch_list_filters_by_status(client: Any, uid: str) -> None:
    finished = await run(client.batches.create(_items(f"{uid}-f", 2)))
    await run(client.batches.wait(finished.id, poll_interval=0.05))
    running = await run(client.batches.create(_items(f"{uid}-r", 300)))

    processing_ids = {b.id for b in await collect(client.batches.list(status="processing"))}
    completed_ids = {b.id for b in await collect(client.batches.list(status="completed", limit=2))}
    assert running.id in processing_ids and running.id not in completed_ids
    assert finished.id in completed_ids and finished.id not in processing_ids
    everything = await collect(client.batches.list(created_after=finished.created_at))
    assert [b.id for b in everything] == [running.id, finished.id]  # newest first

    with pytest.raises(ConflictError) as not_ready:
        await run(client.batches.results(running.id))
    assert not_ready.value.status_code == 409


async def test_wait_times_out_while_processing(client: Any, uid: str) -> None:
    batch = await run(client.batches.create(_items(uid, 300)))
    with pytest.raises(WaitTimeoutError) as slow:
        await run(client.batches.wait(batch.id, timeout=0.1, poll_interval=0.04))
    assert slow.value.resource_id == batch.id and slow.value.last.status == "processing"
    with pytest.raises(ConflictError):
        await run(client.batches.results_records(batch.id))


async def test_client_with_default_settings_and_key_from_environment(
    kind: str, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, uid: str
) -> None:
    # No injected transport, sleep or retry policy: what an application gets.
    monkeypatch.setenv("NTROPY_API_KEY", KEY)
    client = (
        NtropyClient(base_url=sandbox.base_url)
        if kind == "sync"
        else AsyncNtropyClient(base_url=sandbox.base_url)
    )
    try:
        batch = await run(client.batches.create(_items(uid, 120)))
        polls: list[int] = []
        await run(
            client.batches.wait(batch.id, poll_interval=0.02, on_progress=lambda b: polls.append(b.progress))
        )
        assert len(polls) > 1 and polls[-1] == 120
        records = await run(client.batches.results_records(batch.id))
        assert [r["id"] for r in records] == [f"{uid}-{i}" for i in range(120)]
    finally:
        await run(client.close())


async def test_forced_batch_error_raises_batch_failed(client: Any, admin: httpx.Client, uid: str) -> None:
    batch = await run(client.batches.create(_items(uid, 2)))
    forced = admin.post(f"/_sandbox/batches/{batch.id}/fail", json={"code": "internal_error"})
    assert forced.status_code == 200
    with pytest.raises(BatchFailedError) as failed:
        await run(client.batches.wait(batch.id, poll_interval=0.05))
    assert failed.value.batch_id == batch.id and failed.value.batch.status == "error"
    assert batch.id in {b.id for b in await collect(client.batches.list(status="error"))}
    with pytest.raises(BadRequestError):
        await run(client.batches.results(batch.id))


async def test_invalid_batches_are_refused_before_any_http(client: Any, api: Harness, uid: str) -> None:
    items = _items(uid, 3)
    items[1]["amount"] = -5.0
    with pytest.raises(TransactionValidationError) as negative:
        await run(client.batches.create(items))
    assert [e["loc"] for e in negative.value.errors] == [("data", 1, "amount")]
    assert "data[1].amount" in str(negative.value)

    consumed = 0

    def oversized() -> Iterator[dict[str, Any]]:
        nonlocal consumed
        for i in range(MAX_BATCH_SIZE + 1000):
            consumed += 1
            yield tx(f"{uid}-big-{i}")

    with pytest.raises(TransactionValidationError) as too_many:
        await run(client.batches.create(oversized()))
    assert "more than 24960 items" in str(too_many.value)
    assert consumed == MAX_BATCH_SIZE + 1  # the generator was not drained

    with pytest.raises(TransactionValidationError):
        await run(client.batches.create([]))
    assert api.sent == []


async def test_validated_payloads_are_sent_as_given(client: Any, api: Harness, uid: str) -> None:
    """``validate=False``: the caller's JSON-ready payloads go out byte for byte (no second validation);
    the count limits still hold, and the API still refuses what is invalid."""
    items = _items(uid, 3)
    batch = await run(client.batches.create(items, validate=False))
    sent = api.sent[-1]
    assert sent.method == "POST" and json.loads(sent.content)["data"] == items
    assert batch.total == 3
    with pytest.raises(TransactionValidationError) as too_many:
        await run(client.batches.create([items[0]] * (MAX_BATCH_SIZE + 1), validate=False))
    assert "more than 24960 items" in str(too_many.value)
    with pytest.raises(UnprocessableEntityError) as refused:  # not checked here, but by the API
        await run(client.batches.create([{**items[0], "amount": -5.0}], validate=False))
    assert refused.value.status_code == 422 and refused.value.request_id
