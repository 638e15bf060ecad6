"""The parent side of the reliability suite: the sandbox and its bill, the child processes, the invariants.

* :class:`BillingJournal` records, inside the sandbox (the server's own batch-creation function, wrapped
  in the test process), every transaction each batch was sent: the bill. It is cross-checked against
  ``GET /v3/batches`` (ids and totals), so nothing the client did can hide from it.
* :class:`ForkServer` talks to ``python -m tests.reliability.driver serve``: one child process per
  materialization, killed with SIGKILL at a chosen boundary or run to the end.
* :func:`assert_settled` and :func:`assert_billed_once` are the invariants every test ends with: every valid
  raw row enriched exactly once with its current content, every invalid row rejected, never both, nothing
  pending in the ledger; no transaction version enriched in two batches (unless its batch errored).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pandas as pd
import pytest
import sqlalchemy as sa
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.test_utils import create_run_for_test

from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.sandbox import SandboxConfig, SandboxServer
from ntropy_dagster.sandbox.routes import batches as sandbox_batches
from tests.reliability import driver

API_KEY = "reliability-test-key"
REPO = Path(__file__).resolve().parents[2]
#: Faults survived and inputs tried in this session, by kind: the figures of the README section.
FIGURES: Counter[str] = Counter()

#: Raw rows of a partition, as the raw asset returns them (one dict per row).
Rows = list[dict[str, Any]]
#: A transaction version: what one credit pays for (the fields the tests vary, as the sandbox received them).
Version = tuple[str, str, float]


def record(kind: str, count: int = 1) -> None:
    """Count ``count`` faults (or inputs) of ``kind`` that the pipeline survived in this session."""
    FIGURES[kind] += count


# -- the sandbox and its bill ----------------------------------------------------------------------------


@dataclass
class BillingJournal:
    """Every batch the sandbox created, with the versions of the transactions it was sent."""

    batches: dict[str, list[Version]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Wrap the sandbox's batch creation (in this process) so that each created batch is recorded."""
        original = sandbox_batches._enrich_and_store

        def journaled(
            ctx: Any,
            api_key: str,
            operation: str,
            priority: str,
            inputs: list[dict[str, Any]],
            admission: Any,
        ) -> dict[str, Any]:
            view: dict[str, Any] = original(ctx, api_key, operation, priority, inputs, admission)
            versions = [(str(i["id"]), str(i["description"]), float(i["amount"])) for i in inputs]
            with self._lock:
                self.batches[str(view["id"])] = versions
            return view

        monkeypatch.setattr(sandbox_batches, "_enrich_and_store", journaled)

    @property
    def credits(self) -> int:
        """Transactions sent in batches, in all: what the API bills."""
        return sum(len(v) for v in self.batches.values())

    def versions(self, exclude: Iterable[str] = ()) -> Counter[Version]:
        """How many batches (other than ``exclude``) each transaction version was sent in."""
        skipped = set(exclude)
        return Counter(
            v for batch, versions in self.batches.items() if batch not in skipped for v in versions
        )


def start_sandbox(tmp_path: Path, *, port: int = 0, **config: Any) -> SandboxServer:
    """A sandbox of the test's own, its state in ``tmp_path/sandbox.db`` (so it survives a restart)."""
    base = SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"))
    return SandboxServer(replace(base, **config), port=port).start()


def remote_batches(base_url: str) -> list[dict[str, Any]]:
    """Every batch the sandbox holds for the test key (``GET /v3/batches``, all pages)."""
    out: list[dict[str, Any]] = []
    cursor = None
    with httpx.Client(base_url=base_url, headers={"X-Api-Key": API_KEY}) as http:
        while True:
            params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = http.get("/v3/batches", params=params).raise_for_status().json()
            out.extend(page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                return out


def admin(base_url: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A request to the sandbox's own endpoints (``/_sandbox/...``)."""
    with httpx.Client(base_url=base_url, headers={"X-Api-Key": API_KEY}) as http:
        return http.request(method, path, **kwargs).raise_for_status()


def assert_billed_once(journal: BillingJournal, base_url: str) -> dict[str, int]:
    """No transaction version was enriched in two batches, unless one of them errored; returns the counts.

    The journal must hold exactly the sandbox's batches (ids and sizes, from ``GET /v3/batches``).
    """
    remote = remote_batches(base_url)
    assert {b["id"]: b["total"] for b in remote} == {k: len(v) for k, v in journal.batches.items()}
    errored = {b["id"] for b in remote if b["status"] == "error"}
    twice = {v: n for v, n in journal.versions(exclude=errored).items() if n > 1}
    assert twice == {}, f"billed twice: {twice}"
    return {"batches": len(remote), "errored": len(errored), "credits": journal.credits}


# -- raw rows ----------------------------------------------------------------------------------------------

_serial = itertools.count(1)


def row(
    tx_id: str, *, amount: float | None = None, description: str | None = None, holder: str = ""
) -> dict[str, Any]:
    """A valid raw row (a fresh amount unless given: every version of every row is distinct)."""
    n = next(_serial)
    return {
        "id": tx_id,
        "description": description or f"AMAZON MKTPLACE PMTS {n}",
        "date": "2025-03-01",
        "amount": float(amount if amount is not None else 10 + n / 100),
        "entry_type": "outgoing",
        "currency": "USD",
        "account_holder_id": holder or None,
        "account_holder_type": "consumer" if holder else None,
    }


def invalid_row(tx_id: str) -> dict[str, Any]:
    """A row validation rejects (a currency that is not ISO 4217)."""
    return {**row(tx_id), "currency": "ABC"}


def rows_for(prefix: str, n: int, *, holders: int = 2, invalid: int = 0) -> list[dict[str, Any]]:
    """``n`` valid rows (ids ``<prefix>-000``...) over ``holders`` account holders, then ``invalid`` bad ones."""
    valid = [row(f"{prefix}-{i:03d}", holder=f"{prefix}-holder-{i % holders}") for i in range(n)]
    return valid + [invalid_row(f"{prefix}-bad-{i}") for i in range(invalid)]


def version_of(raw: dict[str, Any]) -> Version:
    """The version of a valid raw row, as the sandbox receives it."""
    return (str(raw["id"]), str(raw["description"]), float(raw["amount"]))


# -- the warehouse -----------------------------------------------------------------------------------------


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.db'}"


def open_warehouse(url: str) -> Warehouse:
    warehouse = Warehouse(url)
    warehouse.ensure_schema()
    return warehouse


def assert_settled(
    warehouse: Warehouse, partition: str, rows: list[dict[str, Any]], *, pending: bool = True
) -> None:
    """The partition is settled: its enriched rows are exactly its valid rows with their current content
    (ids, fingerprints and amounts, each once), its rejected rows are exactly its invalid rows, no row is
    both, and (``pending``) the ledger has nothing pending for it."""
    validated = validate_transactions(pd.DataFrame(rows) if rows else pd.DataFrame(columns=["id"]))
    expected = dict(zip((str(p["id"]) for p in validated.payloads), validated.fingerprints(), strict=True))
    amounts = {str(p["id"]): float(p["amount"]) for p in validated.payloads}
    enriched = _enriched(warehouse, partition)
    assert enriched["transaction_id"].is_unique, "a transaction is enriched twice"
    got = dict(zip(enriched["transaction_id"], enriched["fingerprint"], strict=True))
    assert got == expected, (
        f"enriched rows differ: missing {set(expected) - set(got)}, extra {set(got) - set(expected)}"
    )
    assert dict(zip(enriched["transaction_id"], enriched["amount"], strict=True)) == amounts
    assert enriched["error_code"].isna().all(), "an enriched row holds a per-item error"
    rejected = _rejected_ids(warehouse, partition)
    assert rejected == {r.transaction_id for r in validated.rejected}
    assert not rejected & set(got), "a row is both enriched and rejected"
    if pending:
        assert SubmissionLedger(warehouse).pending(partition) == [], "the ledger has chunks pending"


def assert_never_both(warehouse: Warehouse, partition: str) -> None:
    """No transaction id of the partition is both enriched and rejected (true at every moment)."""
    both = set(_enriched(warehouse, partition)["transaction_id"]) & _rejected_ids(warehouse, partition)
    assert not both, f"enriched and rejected at once: {both}"


def _enriched(warehouse: Warehouse, partition: str) -> pd.DataFrame:
    table = warehouse.tables.enriched_transactions
    query = sa.select(
        table.c.transaction_id, table.c.fingerprint, table.c.amount, table.c.error_code, table.c.batch_id
    ).where(table.c.partition_key == partition)
    with warehouse.engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(query).all(),
            columns=["transaction_id", "fingerprint", "amount", "error_code", "batch_id"],
        )


def _rejected_ids(warehouse: Warehouse, partition: str) -> set[str]:
    table = warehouse.tables.rejected_transactions
    query = sa.select(table.c.transaction_id).where(table.c.partition_key == partition)
    with warehouse.engine.connect() as conn:
        return {tx_id for (tx_id,) in conn.execute(query)}


# -- child processes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KillPoint:
    """SIGKILL the child at the ``call``-th call of ``target`` (a name of ``driver.KILL_POINTS``),
    ``when`` = ``"before"`` or ``"after"`` the real call; ``arg0`` counts only calls with that first argument."""

    target: str
    call: int = 1
    when: str = "after"
    arg0: str | None = None

    @property
    def label(self) -> str:
        which = f"[{self.arg0}]" if self.arg0 else ""
        return f"{self.when} {self.target}{which} #{self.call}"


@dataclass
class Spec:
    """One materialization of one partition in a child process (see ``driver.py``)."""

    mode: str
    partition_key: str
    rows: list[dict[str, Any]]
    base_url: str
    warehouse_url: str
    partitions: list[str]
    batch_size: int
    kill: KillPoint | None = None
    poll_interval: float = 0.1
    max_attempts: int = 3
    step_max_retries: int = 0
    step_retry_delay_seconds: float = 0.0
    resume_after_seconds: float = 600.0
    timeout: float = 30.0  # seconds per HTTP request: NtropyResource(timeout=...) in driver.resources_of
    #: PipelineOptions.resend_after_seconds (120 s by default): 0 sends an unanswered chunk again at once.
    resend_after_seconds: float = 0.0
    store_while_submitting: bool = True

    def payload(self, result_path: Path) -> dict[str, Any]:
        out = asdict(self)
        out["kill"] = asdict(self.kill) if self.kill else None
        out["api_key"] = API_KEY
        out["result_path"] = str(result_path)
        return out


@dataclass(frozen=True)
class Outcome:
    """How a child ended: the signal that killed it, or its exit code and its report."""

    signal: int | None
    exit: int | None
    report: dict[str, Any] | None

    @property
    def killed(self) -> bool:
        return self.signal == 9

    @property
    def succeeded(self) -> bool:
        return self.exit == 0 and bool(self.report and self.report["success"])

    @property
    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = (self.report or {}).get("metadata", {})
        return metadata


class ForkServer:
    """``python -m tests.reliability.driver serve``: imports once, forks a child per materialization."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("w")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.driver", "serve"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._results = log_path.parent / "results"
        self._results.mkdir(exist_ok=True)
        self._count = itertools.count()

    def run(self, *specs: Spec) -> list[Outcome]:
        """Run the specs in children at once and wait for all of them."""
        self.start(*specs)
        return self.wait()

    def start(self, *specs: Spec) -> None:
        """Start the specs in children at once; :meth:`wait` for their outcomes."""
        assert self._process.stdin is not None
        payloads = [s.payload(self._results / f"{next(self._count)}.json") for s in specs]
        self._process.stdin.write(json.dumps({"specs": payloads}) + "\n")
        self._process.stdin.flush()

    def wait(self) -> list[Outcome]:
        """The outcomes of the children :meth:`start` started, once all of them ended."""
        assert self._process.stdout is not None
        answer = self._process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the fork server died; see {self.log_path}")
        return [Outcome(**o) for o in json.loads(answer)]

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


class SensorDaemon:
    """The batch sensor as the Dagster daemon runs it, on the pipeline the children build from ``spec``.

    Each :meth:`tick` evaluates the real sensor on a real instance (its cursor carried over) and returns
    the runs the daemon would launch: a run request whose run key was launched before is skipped, as
    Dagster skips a sensor's run key that already has a run, whatever that run's status. Each launch is
    recorded on the instance as a started run with the request's tags, as the daemon's would be, and
    :meth:`finish` ends it with the outcome of the child that ran it (a killed child's run is marked
    failed, as Dagster's run monitoring marks a run whose worker died).
    """

    def __init__(self, spec: Spec, instance: dg.DagsterInstance) -> None:
        payload = spec.payload(Path("unused.json"))

        def unread(partition_key: str) -> pd.DataFrame:
            raise AssertionError("a sensor tick reads the ledger, never the raw data")

        raw, pipeline = driver.build_definitions(payload, unread)
        self.keys = pipeline.keys
        self.defs = dg.Definitions(
            assets=[raw, *pipeline.assets], sensors=pipeline.sensors, resources=driver.resources_of(payload)
        )
        self.instance = instance
        self.cursor: str | None = None
        self.launched: set[str] = set()
        self.skipped: list[str] = []
        self.running: list[dg.DagsterRun] = []

    def tick(self) -> list[tuple[str, str]]:
        """One tick: the (mode, partition) of each run launched (``submit``: ntropy_batches; ``store``: the
        enriched asset)."""
        sensor = self.defs.resolve_sensor_def("ntropy_batch_sensor")
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, definitions=self.defs, resources=self.defs.resources
        ) as context:
            result = sensor.evaluate_tick(context)
        self.cursor = result.cursor
        launches = []
        for request in result.run_requests or []:
            assert request.run_key and request.partition_key
            if request.run_key in self.launched:
                self.skipped.append(request.run_key)
                continue
            self.launched.add(request.run_key)
            self.running.append(
                create_run_for_test(
                    self.instance,
                    tags={**request.tags, "dagster/run_key": request.run_key},
                    status=dg.DagsterRunStatus.STARTED,
                )
            )
            mode = "submit" if request.asset_selection == [self.keys.batches] else "store"
            launches.append((mode, request.partition_key))
        return launches

    def finish(self, succeeded: bool) -> None:
        """End the runs launched so far: succeeded, or failed (the child raised or was killed)."""
        for run in self.running:
            if succeeded:
                event = DagsterEvent(
                    event_type_value=DagsterEventType.RUN_SUCCESS.value, job_name=run.job_name
                )
                self.instance.report_dagster_event(event, run_id=run.run_id)
            else:
                self.instance.report_run_failed(run, message="the run's worker was killed")
        self.running.clear()
