"""The retry policy: what is retried, how long the client sleeps, and what it raises when retries run out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from ntropy_client_testkit import TX, FakeTime, close, make_client, run
from ntropy_fake_api import FakeNtropy

from ntropy_dagster.client import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    UnprocessableEntityError,
)
from ntropy_dagster.client._retry import parse_retry_after


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, json={"detail": f"status {code}"}, headers=headers)


async def test_429_with_retry_after_sleeps_that_long(
    client: Any, fake: FakeNtropy, fake_time: FakeTime
) -> None:
    fake.fail_next(status(429, **{"Retry-After": "3"}))
    await run(client.categories.get("consumer"))
    assert fake_time.sleeps == [3.0]
    assert len(fake.requests) == 2
    # The same request id is sent on every attempt of one call.
    assert fake.requests[0].headers["X-Request-ID"] == fake.requests[1].headers["X-Request-ID"]


async def test_429_with_http_date_retry_after(client: Any, fake: FakeNtropy, fake_time: FakeTime) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=20)
    fake.fail_next(status(429, **{"Retry-After": format_datetime(when, usegmt=True)}))
    await run(client.categories.get("consumer"))
    assert len(fake_time.sleeps) == 1
    assert 17 <= fake_time.sleeps[0] <= 20


async def test_429_without_retry_after_uses_exponential_backoff(
    client: Any, fake: FakeNtropy, fake_time: FakeTime
) -> None:
    fake.fail_next(status(429), status(429), status(429))
    await run(client.categories.get("consumer"))
    assert fake_time.sleeps == [0.5, 1.0, 2.0]  # jitter disabled in the test clients


async def test_503_burst_then_success_for_a_post(client: Any, fake: FakeNtropy, fake_time: FakeTime) -> None:
    fake.fail_next(status(503), status(503))
    batch = await run(client.batches.create([TX]))
    assert batch.total == 1
    assert fake_time.sleeps == [0.5, 1.0]
    assert [r.url.path for r in fake.requests] == ["/v3/batches"] * 3


async def test_502_and_504_retried_for_idempotent_requests(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(status(502), status(504))
    await run(client.categories.get("consumer"))
    assert len(fake.requests) == 3


async def test_gateway_errors_not_retried_for_batch_creation(client: Any, fake: FakeNtropy) -> None:
    # The batch may have been created behind the gateway: a retry could enrich (and bill) it twice.
    fake.fail_next(status(504))
    with pytest.raises(InternalServerError) as info:
        await run(client.batches.create([TX]))
    assert info.value.status_code == 504
    assert len(fake.requests) == 1


async def test_rate_limit_exhausted_raises_with_request_id(
    client: Any, fake: FakeNtropy, fake_time: FakeTime
) -> None:
    fake.fail_next(*[status(429, **{"Retry-After": "1"}) for _ in range(5)])
    with pytest.raises(RateLimitError) as info:
        await run(client.transactions.get("t"))
    assert len(fake.requests) == 5  # max_attempts
    assert fake_time.sleeps == [1.0] * 4
    error = info.value
    assert error.status_code == 429
    assert error.retry_after == 1.0
    assert error.request_id == fake.requests[0].headers["X-Request-ID"]
    assert error.request_id in str(error)


async def test_server_errors_exhausted_raise_internal_server_error(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(*[status(503) for _ in range(5)])
    with pytest.raises(InternalServerError) as info:
        await run(client.batches.get("b"))
    assert info.value.status_code == 503
    assert info.value.request_id == fake.requests[-1].headers["X-Request-ID"]
    assert len(fake.requests) == 5


@pytest.mark.parametrize(
    ("code", "error"), [(400, BadRequestError), (404, NotFoundError), (422, UnprocessableEntityError)]
)
async def test_other_client_errors_are_not_retried(
    client: Any, fake: FakeNtropy, fake_time: FakeTime, code: int, error: type[Exception]
) -> None:
    fake.fail_next(status(code))
    with pytest.raises(error):
        await run(client.batches.get("b"))
    assert len(fake.requests) == 1
    assert fake_time.sleeps == []


async def test_500_is_retried_for_idempotent_requests_only(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(status(500))
    assert (await run(client.categories.get("consumer"))).incoming  # GET: retried
    assert [r.method for r in fake.requests] == ["GET", "GET"]
    fake.requests.clear()
    fake.fail_next(status(500))
    with pytest.raises(InternalServerError):  # creating a batch twice would bill twice: not retried
        await run(
            client.batches.create(
                [
                    {
                        "id": "t1",
                        "description": "x",
                        "date": "2024-01-01",
                        "amount": 1,
                        "entry_type": "outgoing",
                        "currency": "USD",
                    }
                ]
            )
        )
    assert len(fake.requests) == 1


async def test_connection_errors_and_timeouts_retried_on_get(
    client: Any, fake: FakeNtropy, fake_time: FakeTime
) -> None:
    fake.fail_next(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof"))
    assert (await run(client.categories.get("consumer"))).incoming
    assert len(fake.requests) == 4
    assert fake_time.sleeps == [0.5, 1.0, 2.0]


async def test_transaction_upsert_is_retried_after_read_errors(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(httpx.ReadError("connection reset"))
    assert (await run(client.transactions.create(TX))).id == "t"
    assert len(fake.requests) == 2


async def test_batch_create_not_retried_after_request_was_sent(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(httpx.ReadTimeout("no answer"))
    with pytest.raises(APITimeoutError) as info:
        await run(client.batches.create([TX]))
    assert len(fake.requests) == 1
    assert info.value.method == "POST" and info.value.path == "/v3/batches"
    assert isinstance(info.value, APIError) and info.value.status_code is None
    assert info.value.request_id == fake.requests[0].headers["X-Request-ID"]
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


async def test_batch_create_retried_when_connection_never_opened(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(httpx.ConnectError("refused"), httpx.ConnectTimeout("no route"))
    assert (await run(client.batches.create([TX]))).total == 1
    assert len(fake.requests) == 3


async def test_connection_errors_exhausted(client: Any, fake: FakeNtropy) -> None:
    fake.fail_next(*[httpx.ConnectError("refused") for _ in range(5)])
    with pytest.raises(APIConnectionError, match="ConnectError: refused") as info:
        await run(client.batches.get("b"))
    assert not isinstance(info.value, APITimeoutError)
    # An APIError now, and still retried to the last attempt (a 4xx APIError is not retried at all).
    assert isinstance(info.value, APIError) and info.value.status_code is None
    assert (info.value.method, info.value.path) == ("GET", "/v3/batches/b")
    assert len(fake.requests) == 5


async def test_elapsed_time_bounds_retries(kind: str, fake: FakeNtropy, fake_time: FakeTime) -> None:
    policy = RetryPolicy(max_attempts=10, initial_backoff=4, max_backoff=100, max_elapsed=20, jitter=False)
    client = make_client(kind, fake, fake_time, retry=policy)
    fake.fail_next(*[status(503) for _ in range(10)])
    with pytest.raises(InternalServerError):
        await run(client.batches.get("b"))
    await close(client)
    # 4 + 8 = 12 s slept; the next wait (16 s) would end after the 20 s budget, so the client gives up.
    assert fake_time.sleeps == [4.0, 8.0]
    assert len(fake.requests) == 3


async def test_retry_after_beyond_elapsed_budget_raises_at_once(
    kind: str, fake: FakeNtropy, fake_time: FakeTime
) -> None:
    client = make_client(kind, fake, fake_time, retry=RetryPolicy(max_elapsed=60))
    fake.fail_next(status(429, **{"Retry-After": "3600"}))
    with pytest.raises(RateLimitError) as info:
        await run(client.batches.get("b"))
    await close(client)
    assert fake_time.sleeps == []
    assert info.value.retry_after == 3600


async def test_max_attempts_one_disables_retries(kind: str, fake: FakeNtropy, fake_time: FakeTime) -> None:
    client = make_client(kind, fake, fake_time, retry=RetryPolicy(max_attempts=1))
    fake.fail_next(status(503))
    with pytest.raises(InternalServerError):
        await run(client.batches.get("b"))
    await close(client)
    assert len(fake.requests) == 1


async def test_custom_retry_statuses(kind: str, fake: FakeNtropy, fake_time: FakeTime) -> None:
    client = make_client(
        kind, fake, fake_time, retry=RetryPolicy(retry_statuses=frozenset({500}), jitter=False)
    )
    fake.fail_next(status(500))
    await run(client.categories.get("consumer"))
    fake.fail_next(status(503))
    with pytest.raises(InternalServerError):
        await run(client.categories.get("consumer"))
    await close(client)
    assert fake_time.sleeps == [0.5]


def test_backoff_full_jitter_and_cap() -> None:
    policy = RetryPolicy(initial_backoff=1, max_backoff=8)
    for attempt in range(1, 8):
        ceiling = min(8, 2 ** (attempt - 1))
        samples = [policy.backoff(attempt) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling / 2  # spread over the whole range, not a constant
    assert RetryPolicy(jitter=False, max_backoff=30).backoff(10) == 30


def test_retry_policy_is_frozen_and_validated() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.initial_backoff, policy.max_backoff, policy.max_elapsed) == (
        5,
        0.5,
        30.0,
        120.0,
    )
    assert policy.retry_statuses == frozenset({429, 500, 502, 503, 504})
    with pytest.raises(AttributeError):
        policy.max_attempts = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:09 GMT", now=now) == 9.0
    assert parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
