"""The realistic-limits mode over real HTTP: credit bucket, 10-operation cap, time scale, the 429 ledger."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sandbox_testkit import KEY, OTHER_KEY, tx

from ntropy_dagster.sandbox import FaultConfig, RealisticLimits, SandboxConfig, SandboxServer, run_sandbox
from ntropy_dagster.sandbox.__main__ import build_parser, config_from_args
from ntropy_dagster.sandbox.config import DOCUMENTED_RATE_LIMITS
from ntropy_dagster.sandbox.faults import Fault
from ntropy_dagster.sandbox.limits import (
    Admission,
    LimitState,
    api_bound_minimum,
    best_split_minimum,
    full_batches,
    peak_concurrency,
)
from ntropy_dagster.sandbox.store import Store


@contextmanager
def limited_sandbox(limits: RealisticLimits, **kwargs: Any) -> Iterator[tuple[SandboxServer, httpx.Client]]:
    """A sandbox in the realistic-limits mode and a client of :data:`KEY`."""
    config = SandboxConfig.realistic(
        api_keys=(KEY, OTHER_KEY), realistic_limits=limits, dispatch_webhooks=False, **kwargs
    )
    with (
        run_sandbox(config) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}, timeout=30) as http,
    ):
        yield server, http


def submit(http: httpx.Client, n: int, prefix: str) -> httpx.Response:
    """POST a batch of ``n`` transactions."""
    data = [tx(f"{prefix}-{i}") for i in range(n)]
    return http.post("/v3/batches", json={"operation": "POST /v3/transactions", "data": data})


def stats(http: httpx.Client) -> dict[str, Any]:
    response = http.get("/_sandbox/stats")
    response.raise_for_status()
    return response.json()


def test_the_defaults_are_the_documented_limits() -> None:
    limits = RealisticLimits()
    # ntropy-api.md §1.1: 1 credit per transaction, bucket of 100,000 refilled at 1,000/s, 10 operations.
    assert (limits.credit_capacity, limits.credit_refill_per_second, limits.max_operations) == (
        100_000,
        1_000,
        10,
    )
    assert limits.processing_seconds(24_960) == pytest.approx(1 + 249.6)
    scaled = RealisticLimits(time_scale=20)
    assert scaled.refill_rate == 20_000
    assert scaled.processing_seconds(24_960) == pytest.approx(250.6 / 20)
    with pytest.raises(ValueError, match="time_scale"):
        RealisticLimits(time_scale=0)


def test_the_bucket_drains_and_refills() -> None:
    # 100 credits refilled at 20/s (2/s x time scale 10); processing is quick.
    limits = RealisticLimits(
        time_scale=10, credit_capacity=100, credit_refill_per_second=2, operation_overhead=0
    )
    with limited_sandbox(limits) as (_, http):
        assert submit(http, 60, "drain-a").status_code == 200
        refused = submit(http, 60, "drain-b")  # 40 credits left
        assert refused.status_code == 429
        detail = re.fullmatch(
            r"Rate limit exceeded: 60 enrichment credits needed, (\d+) available \(at most 100, refilled at 20/s\)",
            refused.json()["detail"],
        )
        assert detail is not None and 40 <= int(detail.group(1)) < 60
        assert refused.headers["retry-after"] == "1"  # 20 missing at 20/s
        assert refused.headers["x-request-id"]
        assert http.get("/v3/batches").json()["data"][0]["total"] == 60  # nothing was created
        credits = stats(http)["keys"][KEY]["credits"]
        assert credits["used"] == 60 and credits["available"] < 60
        time.sleep(1.05)
        assert submit(http, 60, "drain-b").status_code == 200  # refilled
        other = httpx.post(
            f"{http.base_url}/v3/batches",
            headers={"X-Api-Key": OTHER_KEY},
            json={"operation": "POST /v3/transactions", "data": [tx(f"other-{i}") for i in range(100)]},
        )
        assert other.status_code == 200  # one bucket per key
        time.sleep(0.2)
        report = stats(http)
        assert report["keys"][KEY]["credits"]["used"] == 120
        assert report["keys"][OTHER_KEY]["credits"]["used"] == 100
        assert report["requests_429"]["by_endpoint"] == {"POST /v3/batches": {"credits": 1}}


def test_the_eleventh_concurrent_operation_is_refused_until_a_slot_frees() -> None:
    # Every operation takes 30 s (unscaled): ten stay in flight for the whole test.
    limits = RealisticLimits(operation_overhead=30)
    with limited_sandbox(limits) as (_, http):
        ids = []
        for i in range(10):
            response = submit(http, 1, f"slot-{i}")
            assert response.status_code == 200, response.text
            ids.append(response.json()["id"])
        refused = submit(http, 1, "slot-10")
        assert refused.status_code == 429
        assert (
            "10 enrichment operations are running for this API key (at most 10 at once)"
            in (refused.json()["detail"])
        )
        assert 25 <= int(refused.headers["retry-after"]) <= 31  # when the first one finishes
        sync = http.post("/v3/transactions", json=tx("sync-1"))
        assert sync.status_code == 429  # synchronous enrichment shares the cap
        assert http.get(f"/v3/batches/{ids[0]}").json()["status"] == "processing"
        assert http.post(f"/_sandbox/batches/{ids[0]}/complete").status_code == 200
        accepted = submit(http, 1, "slot-10")
        assert accepted.status_code == 200
        report = stats(http)
        operations = report["keys"][KEY]["operations"]
        assert operations["in_flight"] == 10 and operations["peak_concurrent"] == 10
        assert operations["started"] == 11 and operations["transactions"] == 11
        assert report["keys"][KEY]["credits"]["used"] == 11  # refusals cost nothing
        assert report["requests_429"]["by_reason"] == {"concurrent_operations": 2}
        assert report["requests_429"]["by_endpoint"] == {
            "POST /v3/batches": {"concurrent_operations": 1},
            "POST /v3/transactions": {"concurrent_operations": 1},
        }


def test_the_time_scale_divides_processing_time() -> None:
    # 50 transactions at 100 tx/s + 1 s overhead = 1.5 s, divided by 10.
    with limited_sandbox(RealisticLimits(time_scale=10)) as (_, http):
        created = submit(http, 50, "scale").json()
        assert created["status"] == "processing"
        assert http.get(f"/v3/batches/{created['id']}").json()["status"] == "processing"
        time.sleep(0.25)
        done = http.get(f"/v3/batches/{created['id']}").json()
        assert done["status"] == "completed" and done["progress"] == 50
        operations = stats(http)["keys"][KEY]["operations"]
        assert operations["busy_seconds"] == pytest.approx(0.15, abs=0.02)
        assert operations["in_flight"] == 0


def test_the_unscaled_processing_time_is_the_documented_model() -> None:
    with limited_sandbox(RealisticLimits()) as (_, http):
        created = submit(http, 50, "unscaled").json()
        time.sleep(0.3)
        batch = http.get(f"/v3/batches/{created['id']}").json()
        assert batch["status"] == "processing" and 0 < batch["progress"] < 50  # 1.5 s in all


def _exhaust(http: httpx.Client, path: str) -> int:
    """Requests until the first 429 (at most 50); the count of accepted ones."""
    for accepted in range(50):
        if http.get(path).status_code == 429:
            return accepted
    raise AssertionError(f"{path} was never limited")


def test_endpoint_limits_are_enforced_and_scaled() -> None:
    faults = FaultConfig(rate_limits={"GET /v3/webhooks": 2})
    with limited_sandbox(RealisticLimits(), faults=faults) as (_, slow):
        assert (
            _exhaust(slow, "/v3/webhooks") == 2
        )  # a bucket of one documented second, no --rate-limit needed
        assert _exhaust(slow, "/v3/account_holders") == DOCUMENTED_RATE_LIMITS["GET /v3/account_holders"]
        time.sleep(0.1)
        assert slow.get("/v3/webhooks").status_code == 429  # 0.2 of a token back at 2/s
        assert stats(slow)["requests_429"]["by_reason"] == {"endpoint_rate_limit": 3}
    with limited_sandbox(RealisticLimits(time_scale=50), faults=faults) as (_, fast):
        assert _exhaust(fast, "/v3/webhooks") >= 2
        time.sleep(0.1)
        assert fast.get("/v3/webhooks").status_code == 200  # 10 tokens back at 2 x 50/s, capped at 2


def test_stats_count_injected_429s_and_reset() -> None:
    with limited_sandbox(RealisticLimits(time_scale=10)) as (_, http):
        http.post("/_sandbox/faults/burst", json={"status": 429, "count": 2, "retry_after": 1})
        assert [http.get("/v3/batches").status_code for _ in range(3)] == [429, 429, 200]
        submit(http, 5, "stats")
        report = stats(http)
        assert report["requests_429"] == {
            "total": 2,
            "by_reason": {"injected": 2},
            "by_endpoint": {"GET /v3/batches": {"injected": 2}},
        }
        assert report["realistic_limits"]["time_scale"] == 10
        assert report["realistic_limits"]["scaled"]["credit_refill_per_second"] == 10_000
        assert report["keys"][KEY]["credits"]["used"] == 5
        assert http.delete("/_sandbox/stats").json() == {"status": "reset"}
        fresh = stats(http)
        assert fresh["requests_429"]["total"] == 0
        assert fresh["keys"][KEY]["credits"] == {
            "used": 0,
            "available": 100_000,
            "capacity": 100_000,
            "refill_per_second": 10_000,
        }


def test_stats_without_the_mode_still_count_429s() -> None:
    config = SandboxConfig.instant(api_keys=(KEY,), dispatch_webhooks=False)
    with (
        run_sandbox(config) as server,
        httpx.Client(base_url=server.base_url, headers={"X-Api-Key": KEY}) as http,
    ):
        http.post("/_sandbox/faults/burst", json={"status": 429, "count": 1})
        assert http.get("/v3/webhooks").status_code == 429
        assert submit(http, 30, "plain").status_code == 200  # no credits, no cap
        report = stats(http)
        assert report["realistic_limits"] is None and report["keys"] == {}
        assert report["requests_429"]["by_endpoint"] == {"GET /v3/webhooks": {"injected": 1}}
        assert http.get("/_sandbox/stats", headers={"X-Api-Key": "nope"}).status_code == 401


def test_command_line_flags() -> None:
    args = build_parser().parse_args(
        ["--realistic-limits", "--time-scale", "20", "--operation-rate", "50", "--operation-overhead", "2"]
    )
    assert config_from_args(args).realistic_limits == RealisticLimits(
        time_scale=20, operation_rate=50, operation_overhead=2
    )
    assert config_from_args(build_parser().parse_args(["--realistic-limits"])).realistic_limits == (
        RealisticLimits()
    )
    assert config_from_args(build_parser().parse_args([])).realistic_limits is None
    with pytest.raises(ValueError, match="--time-scale: needs --realistic-limits"):
        config_from_args(build_parser().parse_args(["--time-scale", "5"]))


def test_api_bound_minimum() -> None:
    # Two slots, 10 tx/s each, no overhead: two batches of 50 run at once (5 s), the third waits for a slot.
    two_slots = RealisticLimits(
        credit_capacity=100,
        credit_refill_per_second=10,
        max_operations=2,
        operation_rate=10,
        operation_overhead=0,
    )
    assert api_bound_minimum([50, 50, 50], two_slots) == pytest.approx(10.0)
    # Credits bind: the second batch waits 10 s for 100 credits, then takes 0.1 s.
    credits = RealisticLimits(
        credit_capacity=100, credit_refill_per_second=10, operation_rate=1000, operation_overhead=0
    )
    assert api_bound_minimum([100, 100], credits) == pytest.approx(10.1)
    # The documented limits and a million transactions: the 40th full batch gets its credits after
    # (40 x 24,960 - 100,000) / 1,000 s, then takes 250.6 s (a slot frees a little later than that).
    documented = api_bound_minimum(full_batches(1_000_000, 24_960), RealisticLimits())
    credit_bound = (40 * 24_960 - 100_000) / 1_000 + RealisticLimits().processing_seconds(24_960)
    assert credit_bound <= documented <= credit_bound * 1.01
    assert api_bound_minimum(
        full_batches(1_000_000, 24_960), RealisticLimits(time_scale=10)
    ) == pytest.approx(documented / 10)
    with pytest.raises(ValueError, match="never fit"):
        api_bound_minimum([101], credits)


def test_peak_concurrency_counts_overlaps() -> None:
    assert peak_concurrency([(0, 2), (1, 3), (2, 4), (5, 6)]) == 2
    assert peak_concurrency([]) == 0


def test_the_best_split_is_never_slower_than_full_batches() -> None:
    limits = RealisticLimits(time_scale=2)
    seconds, size = best_split_minimum(1_000_000, limits)
    assert seconds <= api_bound_minimum(full_batches(1_000_000, 24_960), limits)
    assert seconds >= (1_000_000 - 100_000) / limits.refill_rate  # the credits arrive no sooner
    assert 100 <= size <= 24_960
    # 60,000 transactions fit the bucket: three parallel batches beat 24,960 + 24,960 + 10,080.
    small, small_size = best_split_minimum(60_000, RealisticLimits())
    assert small_size * 10 >= 60_000 and small == pytest.approx(
        RealisticLimits().processing_seconds(small_size)
    )
    assert best_split_minimum(0, limits) == (0.0, 0)


def test_an_operation_being_stored_is_never_counted_twice(tmp_path: Path) -> None:
    """The operation's batch row is committed and its admission released as one step: a submission
    arriving in between waits for it and finds one slot taken, not two (a spurious 429)."""
    limits = LimitState(RealisticLimits(max_operations=2), Store(str(tmp_path / "sandbox.db")))
    first = limits.admit(KEY, 5)
    assert isinstance(first, Admission)
    second: list[Admission | Fault] = []
    with limits.storing(first):
        with limits.store.transaction() as conn:
            now = time.time()
            conn.execute(
                "INSERT INTO batches (api_key, id, ts, created_at, operation, priority, total, started, rate, "
                "done_at, results) VALUES (?, 'b-1', ?, ?, 'POST /v3/transactions', 'default', 5, ?, 0.1, ?, '[]')",
                (KEY, now, "2025-03-01T00:00:00+00:00", now, now + 60),
            )
        other = threading.Thread(target=lambda: second.append(limits.admit(KEY, 5)))
        other.start()
        other.join(0.3)
        assert other.is_alive()  # it waits for the release
    other.join(5)
    assert len(second) == 1 and isinstance(second[0], Admission), second
