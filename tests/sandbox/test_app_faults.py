"""Fault injection: token buckets, 429/503 bursts, random errors, latency, admin auth, reset."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from sandbox_testkit import KEY, OTHER_KEY

from ntropy_dagster.sandbox import FaultConfig, SandboxConfig, SandboxServer, run_sandbox


@pytest.fixture(scope="module")
def limited() -> Iterator[SandboxServer]:
    """Rate limiting on from the start; one endpoint overridden to 2 ops/s."""
    faults = FaultConfig(rate_limit=True, rate_limits={"GET /v3/batches/{batch_id}": 2})
    config = SandboxConfig.instant(api_keys=(KEY, OTHER_KEY), faults=faults, dispatch_webhooks=False)
    with run_sandbox(config) as server:
        yield server


def _client(server: SandboxServer, key: str = KEY) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"X-Api-Key": key}, timeout=30)


def test_token_bucket_answers_429_with_integer_retry_after(limited: SandboxServer) -> None:
    with _client(limited) as http, _client(limited, OTHER_KEY) as other:
        statuses = [http.get("/v3/batches/some-id").status_code for _ in range(4)]
        assert statuses[:2] == [404, 404] and statuses[2:] == [429, 429]
        limited_response = http.get("/v3/batches/some-id")
        assert limited_response.status_code == 429
        assert int(limited_response.headers["retry-after"]) >= 1
        assert limited_response.headers["x-request-id"]
        assert other.get("/v3/batches/some-id").status_code == 404  # buckets are per key
        assert http.get("/v3/batches").status_code == 200  # and per endpoint
        time.sleep(0.55)
        assert http.get("/v3/batches/some-id").status_code == 404  # refilled


def test_documented_limit_applies_to_account_holder_listing(limited: SandboxServer) -> None:
    with _client(limited) as http:
        statuses = [http.get("/v3/account_holders").status_code for _ in range(14)]
        assert statuses.count(429) >= 1 and statuses[:10] == [200] * 10


@pytest.fixture
def faulty() -> Iterator[SandboxServer]:
    """A fresh sandbox for tests that change faults at run time."""
    with run_sandbox(SandboxConfig.instant(api_keys=(KEY,), dispatch_webhooks=False)) as server:
        yield server


def test_429_and_503_bursts(faulty: SandboxServer) -> None:
    with _client(faulty) as http:
        http.post("/_sandbox/faults/burst", json={"status": 429, "count": 2, "retry_after": 1})
        http.post("/_sandbox/faults/burst", json={"status": 503, "count": 1, "retry_after": None})
        first, second, third, fourth = (http.get("/v3/webhooks") for _ in range(4))
        assert (first.status_code, second.status_code) == (429, 429)
        assert first.headers["retry-after"] == "1"
        assert third.status_code == 503 and "retry-after" not in third.headers
        assert third.json() == {"detail": "Injected fault"}
        assert fourth.status_code == 200
        assert http.get("/_sandbox/faults").json()["bursts"] == []


def test_error_rate_latency_and_reset(faulty: SandboxServer) -> None:
    with _client(faulty) as http:
        changed = http.put("/_sandbox/faults", json={"error_rate": 1.0, "error_statuses": [503], "seed": 1})
        assert changed.json()["error_rate"] == 1.0
        assert {http.get("/v3/webhooks").status_code for _ in range(3)} == {503}
        assert http.get("/_sandbox/faults").status_code == 200  # admin routes are never faulted
        http.put("/_sandbox/faults", json={"error_rate": 0.0, "latency_ms": 150})
        started = time.perf_counter()
        assert http.get("/v3/webhooks").status_code == 200
        assert time.perf_counter() - started >= 0.15
        assert http.put("/_sandbox/faults", json={"unknown": 1}).status_code == 422
        http.delete("/_sandbox/faults")
        assert http.get("/_sandbox/faults").json()["latency_ms"] == 0


def test_admin_needs_a_key_but_health_does_not(faulty: SandboxServer) -> None:
    assert httpx.post(f"{faulty.base_url}/_sandbox/reset").status_code == 401
    health = httpx.get(f"{faulty.base_url}/_sandbox/health").json()
    assert health["status"] == "ok"
    with _client(faulty) as http:
        http.post("/v3/account_holders", json={"id": "h", "type": "consumer"})
        assert http.post("/_sandbox/reset").json() == {"status": "reset"}
        assert http.get("/v3/account_holders/h").status_code == 404
