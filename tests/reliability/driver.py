"""The child side of the reliability suite: materialize one partition with the public API, maybe SIGKILLed.

Run as ``python -m tests.reliability.driver serve`` (from the repository root): a single-threaded server
that imports everything once, then reads one JSON command per line on stdin, ``{"specs": [spec, ...]}``,
forks one child per spec (all at once, so two partitions can be killed together), waits for them and
answers one JSON line: per spec, the child's exit code or the signal that ended it, and what it reported.
``python -m tests.reliability.driver run SPEC.json`` runs one spec in the process itself.

A spec (see :class:`~tests.reliability.kit.Spec`) names the sandbox, the warehouse, the partition, its raw
rows, the pipeline mode and, optionally, a *kill point*: a function of the product (a ledger method, a
client endpoint, ``Warehouse.upsert``, the rejected-rows writer) whose N-th call SIGKILLs the process,
before or after the real call. Nothing of the product is changed: the wrapper is installed in the child
only, after the fork.

Modes:

* ``blocking``: ``build_ntropy_assets(raw, blocking=True)``, ``dagster.materialize`` of the raw
  partition, its account holders and the enriched asset (submit, wait and store in one step);
* ``submit`` / ``store``: the sensor mode's two runs, ``ntropy_batches`` and ``ntropy_enriched_transactions``
  (each with the raw asset, which a run recomputes from the spec's rows);
* ``core``: the core path without Dagster, as the blocking run's steps run it: account holders, rejected
  rows, then ``submit_wait_and_store``.
"""

# No `from __future__ import annotations`: Dagster inspects the annotations of decorated functions.

import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

import dagster as dg
import pandas as pd

from ntropy_dagster import NtropyResource, NtropyWarehouseResource, PipelineOptions, build_ntropy_assets
from ntropy_dagster.client import NtropyClient, RetryPolicy
from ntropy_dagster.client.resources import Batches
from ntropy_dagster.core import rejected as core_rejected
from ntropy_dagster.core.account_holders import ensure_account_holders
from ntropy_dagster.core.enrichment import submit_wait_and_store
from ntropy_dagster.core.ledger import SubmissionLedger
from ntropy_dagster.core.rejected import raise_if_wholly_rejected
from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.core.warehouse import Warehouse

#: Kill points: name -> (owner, attribute) pairs wrapped together (one call counter for all of them).
KILL_POINTS: dict[str, list[tuple[Any, str]]] = {
    "rejections.write": [(core_rejected.RejectionWriter, "add")],  # write_rejected writes through it too
    "ledger.claim_slot": [(SubmissionLedger, "claim_slot")],
    "ledger.record_batch": [(SubmissionLedger, "record_batch")],
    "ledger.update_status": [(SubmissionLedger, "update_status")],
    "ledger.mark_enriched": [(SubmissionLedger, "mark_enriched")],
    "client.batches.create": [(Batches, "create")],
    "client.batches.get": [(Batches, "get")],
    "client.batches.results_decoded": [(Batches, "results_decoded")],
    "warehouse.upsert": [(Warehouse, "upsert")],
}


def die() -> None:
    """SIGKILL this process: no ``finally``, no atexit, no flush, as when the machine loses the process."""
    os.kill(os.getpid(), signal.SIGKILL)


def install_kill(point: dict[str, Any]) -> None:
    """Wrap the functions of ``point["target"]`` so that their ``point["call"]``-th call (counting only
    calls whose first argument is ``point["arg0"]``, when given) kills the process ``point["when"]``
    (``"before"`` or ``"after"``) the real call."""
    target, call, when, arg0 = point["target"], int(point["call"]), point["when"], point.get("arg0")
    if when not in ("before", "after"):
        raise ValueError(f"kill point 'when' must be 'before' or 'after', got {when!r}")
    seen = [0]

    def counts(args: tuple[Any, ...]) -> bool:
        if arg0 is not None and (not args or args[0] != arg0):
            return False
        seen[0] += 1
        return seen[0] == call

    for owner, name in KILL_POINTS[target]:
        if isinstance(owner, type):
            descriptor = owner.__dict__[name]

            def method(self: Any, *args: Any, _d: Any = descriptor, **kwargs: Any) -> Any:
                fatal = counts(args)
                if fatal and when == "before":
                    die()
                out = _d.__get__(self, type(self))(*args, **kwargs)
                if fatal:
                    die()
                return out

            setattr(owner, name, method)
        else:
            function = getattr(owner, name)

            def plain(*args: Any, _f: Callable[..., Any] = function, **kwargs: Any) -> Any:
                fatal = counts(args)
                if fatal and when == "before":
                    die()
                out = _f(*args, **kwargs)
                if fatal:
                    die()
                return out

            setattr(owner, name, plain)


def options_of(spec: dict[str, Any]) -> PipelineOptions:
    return PipelineOptions(
        batch_size=spec["batch_size"],
        poll_interval=spec.get("poll_interval", 0.1),
        blocking_timeout=spec.get("blocking_timeout", 60.0),
        step_max_retries=spec.get("step_max_retries", 0),
        step_retry_delay_seconds=spec.get("step_retry_delay_seconds", 0.0),
        resume_after_seconds=spec.get("resume_after_seconds", 600.0),
        resend_after_seconds=spec.get("resend_after_seconds", 0.0),
        store_while_submitting=spec.get("store_while_submitting", True),
    )


def build_definitions(spec: dict[str, Any], frame: Callable[[str], pd.DataFrame]) -> tuple[Any, Any]:
    """The test's raw asset (its partitions' rows given by ``frame``) and the pipeline built on it."""
    partitions = dg.StaticPartitionsDefinition(spec["partitions"])

    @dg.asset(name="raw_transactions", partitions_def=partitions)
    def raw_transactions(context: dg.AssetExecutionContext) -> pd.DataFrame:
        return frame(context.partition_key)

    pipeline = build_ntropy_assets(
        raw_transactions,
        blocking=spec["mode"] == "blocking",
        include_marts=False,
        options=options_of(spec),
    )
    return raw_transactions, pipeline


def resources_of(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "ntropy": NtropyResource(
            api_key=spec["api_key"],
            base_url=spec["base_url"],
            max_attempts=spec.get("max_attempts", 3),
            timeout=spec.get("timeout", 30.0),
        ),
        "ntropy_warehouse": NtropyWarehouseResource(url=spec["warehouse_url"]),
    }


def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Materialize the spec's partition; return what the run reported."""
    if spec.get("kill"):
        install_kill(spec["kill"])
    rows = pd.DataFrame(spec["rows"]) if spec["rows"] else pd.DataFrame(columns=["id"])
    if spec["mode"] == "core":
        return _run_core(spec, rows)
    raw, pipeline = build_definitions(spec, lambda _key: rows)
    keys = pipeline.keys
    selection = {
        "blocking": [keys.raw, keys.account_holders, keys.enriched],
        "submit": [keys.raw, keys.account_holders, keys.batches],
        "store": [keys.raw, keys.enriched],
    }[spec["mode"]]
    result = dg.materialize(
        [raw, *pipeline.assets],
        selection=selection,
        partition_key=spec["partition_key"],
        resources=resources_of(spec),
        raise_on_error=False,
    )
    metadata: dict[str, Any] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
        for key, value in materialization.metadata.items():
            if key.startswith("ntropy/") and isinstance(value.value, (int, float, str, list)):
                metadata[key] = value.value
    failures = [str(e.message) for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return {"success": result.success, "metadata": metadata, "failures": failures}


def _run_core(spec: dict[str, Any], rows: pd.DataFrame) -> dict[str, Any]:
    warehouse = Warehouse(spec["warehouse_url"])
    warehouse.ensure_schema()
    partition = spec["partition_key"]
    validated = validate_transactions(rows)
    retry = RetryPolicy(max_attempts=spec.get("max_attempts", 3), initial_backoff=0.05, jitter=False)
    with NtropyClient(api_key=spec["api_key"], base_url=spec["base_url"], retry=retry) as client:
        ensure_account_holders(client, warehouse, validated.account_holders)
        core_rejected.write_rejected(warehouse, partition, validated)
        raise_if_wholly_rejected(validated, partition)
        submission, stored = submit_wait_and_store(
            client, warehouse, validated, partition_key=partition, options=options_of(spec)
        )
    warehouse.dispose()
    return {
        "success": True,
        "metadata": {
            "ntropy/transactions_submitted": submission.transactions_submitted,
            "ntropy/partition_rows": stored.rows_written,
            "ntropy/rejected_rows": len({r.row_number for r in validated.rejected}),
        },
        "failures": [],
    }


def child(spec: dict[str, Any]) -> int:
    """Run one spec and write its report (JSON) to ``spec["result_path"]``; the exit code says success."""
    try:
        report = run_spec(spec)
    except Exception as exc:
        report = {"success": False, "metadata": {}, "failures": [f"{type(exc).__name__}: {exc}"]}
        traceback.print_exc()
    with open(spec["result_path"], "w") as out:
        json.dump(report, out)
    return 0 if report["success"] else 1


def serve() -> None:
    """Fork a child per spec of each command line; answer their outcomes, one JSON line per command."""
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # children (and Dagster) print to stderr only: stdout carries the answers
    for line in sys.stdin:
        if not line.strip():
            continue
        specs = json.loads(line)["specs"]
        pids = []
        for spec in specs:
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = child(spec)
                finally:
                    sys.stderr.flush()
                    os._exit(code)
            pids.append(pid)
        outcomes = []
        for pid, spec in zip(pids, specs, strict=True):
            _, status = os.waitpid(pid, 0)
            report = None
            if os.path.exists(spec["result_path"]):
                with open(spec["result_path"]) as handle:
                    report = json.load(handle)
            outcomes.append(
                {
                    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                    "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                    "report": report,
                }
            )
        protocol.write(json.dumps(outcomes) + "\n")
        protocol.flush()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    elif sys.argv[1:2] == ["run"]:
        with open(sys.argv[2]) as handle:
            sys.exit(child(json.load(handle)))
    else:
        sys.exit("usage: python -m tests.reliability.driver serve | run SPEC.json")
