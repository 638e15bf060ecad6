"""Late, changed and removed rows across runs and kills, as random sequences (hypothesis).

Each example starts two empty partitions and applies a random sequence of operations: add valid rows, add
invalid rows, change a row's amount or description, make a valid row invalid or an invalid one valid,
remove a row, materialize a partition (or both at once, in parallel), each materialization maybe SIGKILLed
at a random boundary. Every change makes a new version of a row (a fresh amount), so a version is a
credit: it must never be paid twice. After every materialization that ran to the end the partition is
settled (each raw row enriched with its current content or rejected, never both, none lost); after a kill,
no row is both; at the end of the example, after a last normal run of both partitions:

* no version was sent in two batches (billed twice: 0);
* only versions that were in a partition when a run started were sent (nothing invented, nothing stale);
* every version a run ended with is enriched, so it was sent: the credits spent lie between the distinct
  versions the completed runs enriched and those any run (killed ones included) could send (the two are
  equal when no run was killed).

The runs are the core path (``driver.py`` mode ``core``: account holders, rejected rows,
``submit_wait_and_store``) in child processes, against one sandbox for the whole test (each example has
ids of its own) and a SQLite warehouse file per example.
"""

from __future__ import annotations

import itertools
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ntropy_dagster.core.validation import validate_transactions
from ntropy_dagster.sandbox import SandboxServer
from tests.reliability.kit import (
    BillingJournal,
    ForkServer,
    KillPoint,
    Spec,
    Version,
    assert_billed_once,
    assert_never_both,
    assert_settled,
    open_warehouse,
    record,
    sqlite_url,
)

pytestmark = pytest.mark.slow

PARTITIONS = ["2025-03-01", "2025-03-02"]
CHUNK = 3
ENRICHED = "enriched_transactions"
#: Where a run may be killed; None (no kill) is drawn as often as all of them together.
KILLS: list[KillPoint | None] = [
    KillPoint("rejections.write"),
    KillPoint("ledger.claim_slot"),
    KillPoint("ledger.claim_slot", call=2),
    KillPoint("client.batches.create"),
    KillPoint("client.batches.create", call=2),
    KillPoint("ledger.record_batch"),
    KillPoint("client.batches.get", when="before"),
    KillPoint("warehouse.upsert", arg0=ENRICHED),
    KillPoint("ledger.mark_enriched", when="before"),
]
kills = st.one_of(st.none(), st.sampled_from(KILLS))
part = st.integers(0, 1)
pick = st.integers(0, 1_000)

operations = st.one_of(
    st.tuples(st.just("add"), part, st.integers(1, 4)),
    st.tuples(st.just("add_invalid"), part, st.integers(1, 2)),
    st.tuples(st.just("change_amount"), part, pick),
    st.tuples(st.just("change_description"), part, pick),
    st.tuples(st.just("invalidate"), part, pick),
    st.tuples(st.just("fix"), part, pick),
    st.tuples(st.just("remove"), part, pick),
    st.tuples(st.just("materialize"), part, kills),
    st.tuples(st.just("materialize"), part, kills),
    st.tuples(st.just("materialize_both"), kills, kills),
)


@dataclass
class Model:
    """The raw partitions as the test changed them, and what every run could have sent."""

    prefix: str
    rows: list[list[dict[str, Any]]] = field(default_factory=lambda: [[], []])
    #: Versions in a partition when some run started (killed runs included), and when a run completed.
    present_any: set[Version] = field(default_factory=set)
    present_done: set[Version] = field(default_factory=set)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count())

    def fresh(self) -> float:
        """A new amount: every version of every row is distinct."""
        return round(10 + next(self._serial) / 100, 2)

    def new_row(self, p: int, *, valid: bool = True) -> dict[str, Any]:
        n = next(self._ids)
        return {
            "id": f"{self.prefix}-{p}-{n}",
            "description": f"AMAZON MKTPLACE PMTS {n}",
            "date": "2025-03-01",
            "amount": self.fresh(),
            "entry_type": "outgoing",
            "currency": "USD" if valid else "ABC",
            "account_holder_id": f"{self.prefix}-{p}-holder-{n % 2}",
            "account_holder_type": "consumer",
        }

    def apply(self, op: tuple[Any, ...]) -> None:
        kind, p, arg = op
        rows = self.rows[p]
        valid = [r for r in rows if r["currency"] == "USD"]
        invalid = [r for r in rows if r["currency"] != "USD"]
        if kind == "add":
            rows.extend(self.new_row(p) for _ in range(arg))
        elif kind == "add_invalid":
            rows.extend(self.new_row(p, valid=False) for _ in range(arg))
        elif kind == "change_amount" and valid:
            valid[arg % len(valid)]["amount"] = self.fresh()
        elif kind == "change_description" and valid:
            target = valid[arg % len(valid)]
            target["description"] = f"{target['description'].split(' #')[0]} #{self.fresh()}"
        elif kind == "invalidate" and valid:
            valid[arg % len(valid)].update(currency="ABC", amount=self.fresh())
        elif kind == "fix" and invalid:
            invalid[arg % len(invalid)].update(currency="USD", amount=self.fresh())
        elif kind == "remove" and rows:
            rows.pop(arg % len(rows))

    def versions(self, p: int) -> set[Version]:
        """The versions of the partition's valid rows, as a run would send them."""
        validated = validate_transactions(
            pd.DataFrame(self.rows[p]) if self.rows[p] else pd.DataFrame(columns=["id"])
        )
        return {(str(x["id"]), str(x["description"]), float(x["amount"])) for x in validated.payloads}

    def snapshot(self, p: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows[p]]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(operations, min_size=2, max_size=12))
def test_random_late_changed_removed_rows_and_kills_never_lose_a_row_or_bill_twice(
    steps: list[tuple[Any, ...]], fork_server: ForkServer, journal: BillingJournal, sandbox: SandboxServer
) -> None:
    model = Model(prefix=f"h{uuid.uuid4().hex[:8]}")
    with tempfile.TemporaryDirectory() as tmp:
        url = sqlite_url(Path(tmp))
        warehouse = open_warehouse(url)

        def materialize(runs: list[tuple[int, KillPoint | None]]) -> None:
            specs, frames = [], []
            for p, kill in runs:
                frames.append(model.snapshot(p))
                model.present_any |= model.versions(p)
                specs.append(
                    Spec(
                        mode="core",
                        partition_key=PARTITIONS[p],
                        rows=frames[-1],
                        base_url=sandbox.base_url,
                        warehouse_url=url,
                        partitions=PARTITIONS,
                        batch_size=CHUNK,
                        kill=kill,
                    )
                )
            for (p, _kill), rows, outcome in zip(runs, frames, fork_server.run(*specs), strict=True):
                partition = PARTITIONS[p]
                if outcome.killed:
                    record("SIGKILL at a random boundary (property test)")
                    assert_never_both(warehouse, partition)
                    continue
                versions = model.versions(p)
                if rows and not versions:  # every row rejected: the run fails, naming the cause
                    assert not outcome.succeeded and "were rejected" in str(outcome.report), outcome
                    assert_settled(warehouse, partition, rows, pending=False)
                    continue
                assert outcome.succeeded, outcome
                model.present_done |= versions
                assert_settled(warehouse, partition, rows)

        for op in steps:
            if op[0] == "materialize":
                materialize([(op[1], op[2])])
            elif op[0] == "materialize_both":
                materialize([(0, op[1]), (1, op[2])])
            else:
                model.apply(op)
        materialize([(0, None), (1, None)])
        warehouse.dispose()

    assert_billed_once(journal, sandbox.base_url)
    sent = {v for batch in journal.batches.values() for v in batch if v[0].startswith(model.prefix)}
    assert sent <= model.present_any, f"sent versions no run had: {sent - model.present_any}"
    assert model.present_done <= sent, f"enriched versions never sent: {model.present_done - sent}"
    credits = sum(1 for batch in journal.batches.values() for v in batch if v[0].startswith(model.prefix))
    assert credits == len(sent)
    record("hypothesis examples (operation sequences)")
    record("hypothesis operations", len(steps))
