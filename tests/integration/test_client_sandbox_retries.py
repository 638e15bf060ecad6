"""The client's retry policy against the sandbox's fault injection (bursts and random errors).

Faults apply to the whole server, so this module has a sandbox of its own and clears them after each test.
Most tests give the client a recording ``sleep`` that does not wait: the sandbox does not care when a
retry arrives, and the recorded delays show exactly what the client honoured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from client_sandbox_kit import KEYS, Harness, collect, run, tx

from ntropy_dagster.client import InternalServerError, RateLimitError, RetryPolicy
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox
from ntropy_dagster.sandbox.statements import make_statement_pdf


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """This module's sandbox (instant processing, no faults at start)."""
    with run_sandbox(SandboxConfig.instant(api_keys=KEYS, dispatch_webhooks=False)) as server:
        yield server


@pytest.fixture(autouse=True)
def clear_faults(admin: httpx.Client) -> Iterator[None]:
    """No fault setting or unused burst survives a test."""
    yield
    admin.delete("/_sandbox/faults").raise_for_status()


def burst(admin: httpx.Client, status: int, count: int, retry_after: int | None = 1) -> None:
    """Answer the sandbox's next ``count`` API requests with ``status``."""
    body = {"status": status, "count": count, "retry_after": retry_after}
    admin.post("/_sandbox/faults/burst", json=body).raise_for_status()


@pytest.fixture
async def holder(client: Any, uid: str) -> str:
    """An existing account holder, to have something to GET."""
    await run(client.account_holders.create(f"{uid}-ah", "consumer"))
    return f"{uid}-ah"


def no_wait(harnesses: Callable[..., Harness], **policy: Any) -> Harness:
    """A client whose sleeps are recorded but not waited, with ``RetryPolicy(jitter=False, **policy)``."""
    return harnesses(retry=RetryPolicy(jitter=False, **policy), real_sleep=False)


async def test_429_burst_is_retried_after_retry_after(
    harnesses: Callable[..., Harness], admin: httpx.Client, holder: str
) -> None:
    api = no_wait(harnesses)
    burst(admin, 429, count=2, retry_after=1)
    got = await run(api.client.account_holders.get(holder))
    assert got.id == holder
    path = f"/v3/account_holders/{holder}"
    assert api.statuses(path) == [429, 429, 200]
    assert api.sleeps.seconds == [1.0, 1.0]
    ids = {request.headers["X-Request-ID"] for request in api.sent_to(path)}
    assert ids == {got.request_id}  # one request id across the attempts


@pytest.mark.parametrize("kind", ["async"])
async def test_429_burst_really_waits(api: Harness, admin: httpx.Client, holder: str) -> None:
    burst(admin, 429, count=2, retry_after=1)
    started = time.monotonic()
    assert (await run(api.client.account_holders.get(holder))).id == holder
    assert time.monotonic() - started >= 1.95
    assert api.sleeps.seconds == [1.0, 1.0]


async def test_503_burst_backs_off_exponentially(
    harnesses: Callable[..., Harness], admin: httpx.Client, holder: str
) -> None:
    api = no_wait(harnesses, initial_backoff=0.5)
    burst(admin, 503, count=3, retry_after=None)
    assert (await run(api.client.account_holders.get(holder))).id == holder
    assert api.statuses(f"/v3/account_holders/{holder}") == [503, 503, 503, 200]
    assert api.sleeps.seconds == [0.5, 1.0, 2.0]


async def test_non_idempotent_post_retries_503_but_not_502(
    harnesses: Callable[..., Harness], admin: httpx.Client, uid: str
) -> None:
    api = no_wait(harnesses)
    burst(admin, 503, count=2)  # 503: nothing was processed, so even a batch submission is retried
    batch = await run(api.client.batches.create([tx(f"{uid}-0")]))
    assert api.statuses("/v3/batches") == [503, 503, 200] and batch.total == 1

    burst(admin, 502, count=1, retry_after=None)  # 502: the batch may exist upstream; never resubmitted
    with pytest.raises(InternalServerError) as bad_gateway:
        await run(api.client.batches.create([tx(f"{uid}-1")]))
    assert bad_gateway.value.status_code == 502
    assert api.statuses("/v3/batches") == [503, 503, 200, 502]

    burst(admin, 502, count=1, retry_after=None)  # but a GET is idempotent
    assert (await run(api.client.batches.get(batch.id))).id == batch.id
    assert api.statuses(f"/v3/batches/{batch.id}") == [502, 200]


async def test_statement_upload_is_resent_whole_after_503(
    harnesses: Callable[..., Harness], admin: httpx.Client
) -> None:
    api = no_wait(harnesses)
    pdf = make_statement_pdf(seed=2, n_transactions=4)
    burst(admin, 503, count=2)
    job = await run(api.client.bank_statements.upload(pdf, filename="retried.pdf"))
    assert api.statuses("/v3/bank_statements") == [503, 503, 200]
    sizes = {int(request.headers["Content-Length"]) for request in api.sent_to("/v3/bank_statements")}
    assert len(sizes) == 1 and sizes.pop() > len(pdf)  # the whole multipart body every time
    assert (job.name, job.file.size) == ("retried.pdf", len(pdf))
    done = await run(api.client.bank_statements.wait(job.id, poll_interval=0.05))
    assert done.status == "completed"
    jobs = await collect(api.client.bank_statements.list(created_after=job.created_at))
    assert [j.id for j in jobs] == [job.id]  # exactly one job was created


async def test_500_is_retried_for_idempotent_requests_only(
    harnesses: Callable[..., Harness], admin: httpx.Client, holder: str
) -> None:
    # Assumption (contract §4/§5): a 500 may be transient. Idempotent requests (GETs, read-only POSTs and
    # creates keyed by the caller's id) are retried; a batch create is not (it would bill twice), unless
    # the policy leaves 500 out altogether.
    api = no_wait(harnesses)
    burst(admin, 500, count=1, retry_after=None)
    assert (await run(api.client.account_holders.get(holder))).id == holder
    assert api.statuses(f"/v3/account_holders/{holder}") == [500, 200]

    created = f"{holder}-created"
    burst(admin, 500, count=1, retry_after=None)
    assert (await run(api.client.account_holders.create(created, "consumer"))).id == created
    assert api.statuses("/v3/account_holders", "POST") == [500, 200]

    burst(admin, 500, count=1, retry_after=None)
    with pytest.raises(InternalServerError) as failed:
        await run(api.client.batches.create([tx(f"{holder}-tx")]))
    assert failed.value.status_code == 500
    assert api.statuses("/v3/batches") == [500]

    opted_out = no_wait(harnesses, retry_statuses=RetryPolicy().retry_statuses - {500})
    burst(admin, 500, count=1, retry_after=None)
    with pytest.raises(InternalServerError):
        await run(opted_out.client.account_holders.get(holder))
    assert opted_out.sleeps.seconds == []


async def test_429_burst_longer_than_max_attempts_raises_rate_limit_error(
    harnesses: Callable[..., Harness], admin: httpx.Client, holder: str
) -> None:
    api = no_wait(harnesses, max_attempts=3)
    burst(admin, 429, count=10, retry_after=1)
    with pytest.raises(RateLimitError) as limited:
        await run(api.client.account_holders.get(holder))
    error = limited.value
    assert (error.status_code, error.retry_after) == (429, 1.0)
    sent = api.sent_to(f"/v3/account_holders/{holder}")
    assert len(sent) == 3 and api.sleeps.seconds == [1.0, 1.0]
    assert error.request_id == sent[0].headers["X-Request-ID"]


async def test_503_burst_longer_than_max_attempts_raises_server_error(
    harnesses: Callable[..., Harness], admin: httpx.Client, holder: str
) -> None:
    api = no_wait(harnesses, max_attempts=4)
    burst(admin, 503, count=10, retry_after=None)
    with pytest.raises(InternalServerError) as unavailable:
        await run(api.client.account_holders.get(holder))
    assert unavailable.value.status_code == 503 and unavailable.value.request_id
    assert unavailable.value.message == "Injected fault"
    assert len(api.sent_to(f"/v3/account_holders/{holder}")) == 4


async def test_random_errors_are_absorbed_by_retries(
    harnesses: Callable[..., Harness], admin: httpx.Client, holder: str
) -> None:
    # Assumption: injected statuses are ones the default policy retries (429/502/503). A 500 is a server
    # logic error that the client, like the official SDK, does not retry by default.
    api = no_wait(harnesses, max_attempts=8)
    faults = {"error_rate": 0.3, "seed": 7, "error_statuses": [429, 502, 503]}
    admin.put("/_sandbox/faults", json=faults).raise_for_status()
    for _ in range(50):
        assert (await run(api.client.account_holders.get(holder))).id == holder
    statuses = api.statuses(f"/v3/account_holders/{holder}")
    assert statuses.count(200) == 50
    assert len(statuses) - 50 == len(api.sleeps.seconds) >= 5  # faults really happened and were retried
    assert {429, 502, 503} <= set(statuses)
