"""Account holders are created once across concurrent runs, and none is lost when a run fails, against the sandbox."""

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest

from ntropy_dagster.client import NtropyClient
from ntropy_dagster.core.account_holders import RECORD_EVERY, ensure_account_holders
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.validation import AccountHolderRef, validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox

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
