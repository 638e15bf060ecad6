"""Polling helpers: batches.wait and bank_statements.wait."""

from __future__ import annotations

from typing import Any

import pytest
from ntropy_client_testkit import TX, FakeTime, run
from ntropy_fake_api import FakeNtropy

from ntropy_dagster.client import (
    BankStatementFailedError,
    Batch,
    BatchFailedError,
    NtropyError,
    WaitTimeoutError,
)


async def test_batch_wait_polls_until_completed(client: Any, fake: FakeNtropy, fake_time: FakeTime) -> None:
    batch = await run(client.batches.create([TX, {**TX, "id": "u"}]))
    fake.polls_until_done = 3
    seen: list[tuple[str, int]] = []
    done = await run(
        client.batches.wait(
            batch.id, poll_interval=7, on_progress=lambda b: seen.append((b.status, b.progress))
        )
    )
    assert isinstance(done, Batch)
    assert (done.status, done.progress, done.total) == ("completed", 2, 2)
    assert seen == [("processing", 0)] * 3 + [("completed", 2)]
    assert fake_time.sleeps == [7, 7, 7]
    assert [r.url.path for r in fake.requests[1:]] == [f"/v3/batches/{batch.id}"] * 4


async def test_batch_wait_error_status(client: Any, fake: FakeNtropy) -> None:
    batch = await run(client.batches.create([TX]))
    fake.final_status = "error"
    with pytest.raises(BatchFailedError) as info:
        await run(client.batches.wait(batch.id))
    assert info.value.batch_id == batch.id
    assert info.value.batch.status == "error"
    assert batch.id in str(info.value)


async def test_batch_wait_times_out_on_monotonic_clock(
    client: Any, fake: FakeNtropy, fake_time: FakeTime
) -> None:
    batch = await run(client.batches.create([TX]))
    fake.polls_until_done = 10**6
    with pytest.raises(WaitTimeoutError) as info:
        await run(client.batches.wait(batch.id, timeout=12, poll_interval=5))
    # Polls at t=0, 5, 10, then a last one after sleeping the remaining 2 s, then gives up.
    assert fake_time.sleeps == [5, 5, 2]
    assert info.value.resource_id == batch.id
    assert info.value.last.status == "processing"
    assert isinstance(info.value, NtropyError) and isinstance(info.value, TimeoutError)


async def test_statement_wait_completed(client: Any, fake: FakeNtropy, fake_time: FakeTime) -> None:
    job = await run(client.bank_statements.upload(b"%PDF"))
    fake.polls_until_done = 1
    done = await run(client.bank_statements.wait(job.id, poll_interval=2))
    assert done.status == "completed"
    assert fake_time.sleeps == [2]


async def test_statement_wait_error_carries_code_and_message(client: Any, fake: FakeNtropy) -> None:
    job = await run(client.bank_statements.upload(b"%PDF"))
    fake.final_status = "error"
    with pytest.raises(BankStatementFailedError) as info:
        await run(client.bank_statements.wait(job.id))
    exc = info.value
    assert (exc.job_id, exc.code, exc.message) == (job.id, "unreadable_pdf", "could not parse page 1")
    assert str(exc) == f"bank statement {job.id} failed: unreadable_pdf: could not parse page 1"


async def test_statement_wait_timeout(client: Any, fake: FakeNtropy, fake_time: FakeTime) -> None:
    job = await run(client.bank_statements.upload(b"%PDF"))
    fake.polls_until_done = 10**6
    with pytest.raises(WaitTimeoutError, match="not finished after 3 s"):
        await run(client.bank_statements.wait(job.id, timeout=3, poll_interval=1))
    assert fake_time.sleeps == [1, 1, 1]
