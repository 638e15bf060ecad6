"""Account holders are created once across concurrent runs, and none is lost when a run fails, against the sandbox."""

import datetime as dt
import multiprocessing
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import sqlalchemy as sa

from ntropy_dagster.client import NtropyClient, RetryPolicy
from ntropy_dagster.core.account_holders import CLAIM_SLICE, CREATE_RATE, RECORD_EVERY, ensure_account_holders
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.validation import AccountHolderRef, validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import RealisticLimits, SandboxConfig, SandboxServer, run_sandbox
from tests.warehouse.conftest import DIALECTS, url_for

API_KEY = "holders-test-key"


class CountingTransport(httpx.HTTPTransport):
    """The real HTTP transport, counting the account-holder creates it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.creates: list[str] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/v3/account_holders":
            with self._lock:
                self.creates.append(request.content.decode())
        return super().handle_request(request)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"))) as s:
        yield s


def _client(sandbox: SandboxServer, transport: httpx.BaseTransport) -> NtropyClient:
    return NtropyClient(api_key=API_KEY, base_url=sandbox.base_url, transport=transport)


def _holders(holders: int) -> list[AccountHolderRef]:
    rows = [
        {
            "id": f"tx-{i}",
            "description": "SALARY ACME",
            "date": "2024-03-01",
            "amount": 100.0,
            "entry_type": "incoming",
            "currency": "USD",
            "account_holder_id": f"holder-{i % holders}",
        }
        for i in range(holders * 2)
    ]
    return validate_transactions(pd.DataFrame(rows)).account_holders


def _warehouse(tmp_path: Path) -> Warehouse:
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    warehouse.ensure_schema()
    return warehouse


def test_concurrent_runs_create_each_holder_once(sandbox: SandboxServer, tmp_path: Path) -> None:
    holders = _holders(25)
    transport = CountingTransport()
    results: list[tuple[int, int]] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        warehouse = Warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")  # one engine per "run"
        barrier.wait()
        results.append(ensure_account_holders(_client(sandbox, transport), warehouse, holders))

    _warehouse(tmp_path)
    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(transport.creates) == 25  # 4 concurrent runs, 25 holders: 25 POSTs
    assert sum(created for created, _ in results) == 25
    assert len(results) == 4 and all(created + existing == 25 for created, existing in results)
    recorded = _warehouse(tmp_path).read_frame("account_holders")
    assert len(recorded) == 25 and recorded["created_at"].notna().all()


@pytest.mark.parametrize(("holders", "failing_after"), [(10, 3), (RECORD_EVERY + 60, RECORD_EVERY + 50)])
def test_the_holders_created_before_a_failure_are_recorded(
    sandbox: SandboxServer, tmp_path: Path, holders: int, failing_after: int
) -> None:
    warehouse = _warehouse(tmp_path)

    class Failing(CountingTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and len(self.creates) == failing_after:
                raise httpx.ConnectError("the run was killed")
            return super().handle_request(request)

    with pytest.raises(Exception, match="killed"):
        ensure_account_holders(_client(sandbox, Failing()), warehouse, _holders(holders))
    recorded = warehouse.read_frame("account_holders")
    # The holders created before the failure are recorded; the claims of the others are released.
    assert len(recorded) == failing_after and recorded["created_at"].notna().all()

    transport = CountingTransport()
    created, existing = ensure_account_holders(
        _client(sandbox, transport), warehouse, _holders(holders), claim_timeout=dt.timedelta(seconds=0)
    )
    assert (created, existing) == (holders - failing_after, failing_after)
    assert len(transport.creates) == holders - failing_after  # nothing created twice


def test_a_slices_holders_are_created_concurrently_and_never_more_than_a_slice(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """One round trip per holder at a time would leave a run far under the endpoint's limit against the
    real API's latency: a claimed slice's creates are in flight together, never more than a slice."""
    warehouse = _warehouse(tmp_path)

    class Slow(CountingTransport):
        def __init__(self) -> None:
            super().__init__()
            self.in_flight = self.most = 0

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method != "POST":
                return super().handle_request(request)
            with self._lock:
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
            try:
                time.sleep(0.05)  # the API's round trip
                return super().handle_request(request)
            finally:
                with self._lock:
                    self.in_flight -= 1

    transport = Slow()
    assert ensure_account_holders(_client(sandbox, transport), warehouse, _holders(35)) == (35, 0)
    assert len(transport.creates) == 35
    assert 1 < transport.most <= CLAIM_SLICE
    assert warehouse.read_frame("account_holders")["created_at"].notna().all()


def test_a_stale_claim_of_a_killed_run_is_taken_over(sandbox: SandboxServer, tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    old = utcnow() - dt.timedelta(hours=1)
    warehouse.upsert(
        "account_holders", [{"account_holder_id": "holder-0", "type": "consumer", "claimed_at": old}]
    )
    transport = CountingTransport()
    waits: list[float] = []
    created, existing = ensure_account_holders(
        _client(sandbox, transport), warehouse, _holders(1), sleep=waits.append
    )
    assert (created, existing, len(transport.creates), waits) == (1, 0, 1, [])
    assert warehouse.read_frame("account_holders")["created_at"].notna().all()


def test_a_failed_create_releases_its_claim_so_a_retry_does_not_wait(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    warehouse = _warehouse(tmp_path)

    class Refusing(CountingTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                raise httpx.ConnectError("the API is unreachable")
            return super().handle_request(request)

    with pytest.raises(Exception, match="unreachable"):
        ensure_account_holders(_client(sandbox, Refusing()), warehouse, _holders(1))
    assert warehouse.count("account_holders") == 0  # no claim left behind
    waits: list[float] = []
    transport = CountingTransport()
    assert ensure_account_holders(
        _client(sandbox, transport), warehouse, _holders(1), sleep=waits.append
    ) == (1, 0)
    assert waits == [] and len(transport.creates) == 1


def _create_in_process(
    url: str, schema: str | None, base_url: str, index: int, rate: float, start_at: float, out: Any
) -> None:
    """One "run": its own 60 holders, created at ``rate`` with the others, without retrying a 429."""
    holders = [AccountHolderRef(id=f"run{index}-holder-{i}", type="consumer") for i in range(60)]
    warehouse = Warehouse(url, schema=schema)
    with NtropyClient(api_key=API_KEY, base_url=base_url, retry=RetryPolicy(max_attempts=1)) as client:
        time.sleep(max(0.0, start_at - time.time()))
        try:
            out.put((index, ensure_account_holders(client, warehouse, holders, rate=rate)))
        except Exception as exc:  # reported by the test
            out.put((index, repr(exc)))


def _four_runs_at_once(
    url: str, schema: str | None, rate: float, time_scale: float = 1.0
) -> tuple[dict[int, Any], dict[str, Any]]:
    """Four processes creating 240 holders together against the documented endpoint limits (100/s, a
    burst of 100; the rate times ``time_scale``): what each returned, and the sandbox's 429 report."""
    Warehouse(url, schema=schema).ensure_schema()
    limits = RealisticLimits(time_scale=time_scale)
    config = SandboxConfig.realistic(api_keys=(API_KEY,), realistic_limits=limits, dispatch_webhooks=False)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    with run_sandbox(config) as server:
        start_at = time.time() + 4.0  # every process is up by then
        args = [(url, schema, server.base_url, i, rate, start_at, out) for i in range(4)]
        processes = [context.Process(target=_create_in_process, args=a) for a in args]
        for process in processes:
            process.start()
        results = dict(out.get(timeout=120) for _ in processes)
        for process in processes:
            process.join(timeout=30)
        report = httpx.get(f"{server.base_url}/_sandbox/stats", headers={"X-Api-Key": API_KEY}).json()
    return results, report["requests_429"]


@pytest.mark.slow  # four processes racing: the slow suite
@pytest.mark.parametrize("dialect", [d for d in DIALECTS if d.values[0] != "duckdb"])
def test_concurrent_runs_keep_to_the_endpoints_rate_limit(dialect: str, tmp_path: Path) -> None:
    schema = f"holders_{uuid.uuid4().hex[:10]}" if dialect == "postgresql" else None
    url = url_for(dialect, tmp_path)
    started = time.monotonic()
    results, rejections = _four_runs_at_once(url, schema, rate=CREATE_RATE)
    assert rejections["total"] == 0, rejections
    assert results == {i: (60, 0) for i in range(4)}
    # 240 creates at under 100/s: the claims paced them (the first 100 or so without waiting).
    assert time.monotonic() - started > 4.0 + 1.3
    recorded = Warehouse(url, schema=schema).read_frame("account_holders")
    assert len(recorded) == 240 and recorded["created_at"].notna().all()
    if schema is not None:
        with Warehouse(url, schema=schema).begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))


@pytest.mark.slow  # four processes racing: the slow suite
def test_unpaced_runs_would_meet_the_endpoints_rate_limit(tmp_path: Path) -> None:
    """The control for the test above: the same four runs without the pace get 429s. The limit is 25/s
    (a burst of 100) so that four runs slowed by a busy machine still exceed it (240 creates in 5 s)."""
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    results, rejections = _four_runs_at_once(url, None, rate=1_000_000, time_scale=0.25)
    assert rejections["by_endpoint"]["POST /v3/account_holders"]["endpoint_rate_limit"] > 0, rejections
    assert any("429" in str(result) for result in results.values()), results
