"""The sandbox's per-endpoint token buckets against the client's Retry-After handling.

Real waits: the buckets refill in real time, so the clients here really sleep what ``Retry-After`` says.
Requests are fired concurrently (or against a lowered limit) so that the limit is hit however slowly a
loaded machine answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from client_sandbox_kit import KEYS, Harness, collect, run, tx

from ntropy_dagster.sandbox import FaultConfig, SandboxConfig, SandboxServer, run_sandbox
from ntropy_dagster.sandbox.config import DOCUMENTED_RATE_LIMITS

LISTING_LIMIT = 4.0
"""ops/s for ``GET /v3/account_holders`` here (documented: 10), so 8 sequential pages must hit it."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    """This module's sandbox: the documented per-endpoint limits enforced, the listing one lowered."""
    faults = FaultConfig(rate_limit=True, rate_limits={"GET /v3/account_holders": LISTING_LIMIT})
    config = SandboxConfig.instant(api_keys=KEYS, faults=faults, dispatch_webhooks=False)
    with run_sandbox(config) as server:
        yield server


def _assert_limited_then_retried(api: Harness, path: str, successes: int) -> None:
    statuses = api.statuses(path, "GET")
    assert statuses.count(200) == successes
    assert 429 in statuses and set(statuses) == {200, 429}
    assert len(api.sleeps.seconds) == statuses.count(429)
    assert all(s >= 1 and s == int(s) for s in api.sleeps.seconds)  # integer Retry-After, honoured


async def test_forty_rapid_gets_of_a_hot_endpoint_all_succeed(
    kind: str, client: Any, api: Harness, uid: str
) -> None:
    assert DOCUMENTED_RATE_LIMITS["GET /v3/batches/{batch_id}"] == 20
    batch = await run(client.batches.create([tx(f"{uid}-0")]))
    # All at once: half of them are turned away and come back after Retry-After.
    if kind == "async":
        got = await asyncio.gather(*(client.batches.get(batch.id) for _ in range(40)))
    else:
        with ThreadPoolExecutor(max_workers=40) as pool:
            got = list(pool.map(client.batches.get, [batch.id] * 40))
    assert [b.id for b in got] == [batch.id] * 40
    _assert_limited_then_retried(api, f"/v3/batches/{batch.id}", successes=40)


async def test_pagination_survives_the_listing_limit(client: Any, api: Harness, uid: str) -> None:
    first = await run(client.account_holders.create(f"{uid}-0", "consumer"))
    for i in range(1, 8):
        await run(client.account_holders.create(f"{uid}-{i}", "consumer"))
    listed = await collect(client.account_holders.list(created_after=first.created_at, limit=1))
    assert [h.id for h in listed] == [f"{uid}-{i}" for i in reversed(range(8))]
    _assert_limited_then_retried(api, "/v3/account_holders", successes=8)
