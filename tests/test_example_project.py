"""The Quickstart's first command: the showcase, end to end, through the real Dagster daemon.

The quick tests check the generator (deterministic, a month alone equals its slice of the year, the statement
PDFs reconcile); the slow one runs ``python -m example_project.run`` as ``bash scripts/example.sh`` does
(sandbox, ``dagster dev``, one GraphQL backfill, the daemon does the rest) and checks its summary against the
generator and the warehouse, and that no process it started is left running.
"""

import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from example_project.generator import (
    GeneratorConfig,
    generate,
    generate_month,
    population,
    statement_specs,
    valid_transaction_ids,
    write_statements,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SMALL = GeneratorConfig(consumers=12, businesses=4, months=3)


def test_the_generator_is_deterministic_and_a_month_alone_is_its_slice_of_the_period() -> None:
    month = generate_month(SMALL, dt.date(2025, 2, 1))
    assert month["date"].str.startswith("2025-02").all()  # weekend paydays move within the month
    pd.testing.assert_frame_equal(month, generate_month(SMALL, dt.date(2025, 2, 1)))
    whole = generate(SMALL)
    pd.testing.assert_frame_equal(
        month.reset_index(drop=True),
        whole[whole["date"].str.startswith("2025-02")].reset_index(drop=True),
    )
    other_seed = generate_month(
        GeneratorConfig(seed=1, consumers=12, businesses=4, months=3), dt.date(2025, 2, 1)
    )
    assert not other_seed["description"].equals(month["description"])


def test_the_generated_feed_looks_like_a_bank_feed() -> None:
    frame = generate(SMALL)
    holders = population(SMALL)
    assert {h.type for h in holders} == {"consumer", "business"}
    assert set(frame["account_holder_id"]) == {h.id for h in holders}
    assert frame["date"].nunique() == 90  # daily: every day of January to March has transactions
    descriptions = frame["description"]
    assert (descriptions == descriptions.str.upper()).all()  # bank feeds shout
    for pattern in (
        "PAYROLL|DIR DEP|SALARY",
        "VENMO|ZELLE|CASH APP|PAYPAL",
        "REFUND|RETURN",
        "RENT|MORTGAGE|MTG",
    ):
        assert descriptions.str.contains(pattern).any(), pattern
    assert descriptions.str.contains(r"XXXX\d{4}|CARD \d{4}").any()  # masked card numbers
    assert (frame.loc[frame["entry_type"] == "incoming", "description"].str.contains("REFUND|RETURN")).any()
    # The glitches the pipeline must quarantine: 4 a month, each with a reason.
    assert len(frame) - len(valid_transaction_ids(frame)) == 4 * 3
    assert (frame["amount"] < 0).sum() == 3 and (frame["currency"] != "USD").sum() == 3
    assert frame["id"].duplicated().sum() == 3  # ids are unique but for the rows delivered twice


def test_subscriptions_start_change_price_and_stop() -> None:
    config = GeneratorConfig()
    items = [item for holder in population(config) for item in holder.recurring]
    subscriptions = [i for i in items if i.description.startswith(("NETFLIX", "SPOTIFY", "HULU", "SLACK"))]
    assert any(i.start > config.start for i in subscriptions)  # starts mid-year
    assert any(i.end < config.end for i in subscriptions)  # stops (or changes price)
    by_description: dict[str, set[float]] = {}
    for item in subscriptions:
        by_description.setdefault(item.description, set()).add(item.amount)
    assert any(len(prices) > 1 for prices in by_description.values())  # a price change


def test_statement_pdfs_parse_and_reconcile(tmp_path: Path) -> None:
    from ntropy_dagster.sandbox.statements import parse_statement

    paths = write_statements(tmp_path, SMALL, count=3)
    specs = statement_specs(SMALL, count=3)
    assert [p.name for p in sorted(tmp_path.iterdir())] == [p.name for p in paths]
    for path, spec in zip(paths, specs, strict=True):
        [account] = parse_statement(path.read_bytes())["accounts"]
        assert account["is_balance_reconciled"]
        assert len(account["transactions"]) == len(spec.transactions)


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes whose command line or environment mentions ``text`` (every process
    the showcase starts has its data folder in ``EXAMPLE_DATA_DIR``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if text.encode() in cmdline or text.encode() in environ:
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


@pytest.mark.slow
def test_the_showcase_runs_through_the_daemon_and_prints_its_summary(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "example_project.run", "--data-dir", str(data_dir)],
        cwd=REPO_ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("NTROPY_WAREHOUSE_URL", "DAGSTER_HOME")},
        capture_output=True,
        text=True,
        timeout=900,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    out = done.stdout

    config = GeneratorConfig()
    raw = generate(config)
    valid = valid_transaction_ids(raw)
    statement_lines = sum(len(spec.transactions) for spec in statement_specs(config))

    # Every run came from the daemon: the one backfill, the sensors, the marts' automation.
    assert re.search(r"(\d+) runs, every one launched by the Dagster daemon", out)
    assert "12 by the backfill" in out and "12 by ntropy_batch_sensor" in out
    assert "by ntropy_marts_automation_sensor" in out and "6 by ntropy_bank_statement_sensor" in out
    assert "failed runs: 0" in out
    assert f"Rows enriched: {len(valid) + statement_lines:,}" in out
    assert f"{len(valid):,} from the raw feed: 200 consumers and 40 businesses" in out
    assert f"Rows rejected: {len(raw) - len(valid)} raw rows" in out
    assert "Bank statements: 6 of 6 reconciled" in out
    groups = re.search(r"Recurring groups: ([\d,]+) for (\d+) account holders", out)
    assert groups and int(groups[1].replace(",", "")) > 1000 and int(groups[2]) == 240
    for expected in (
        "Netflix",
        "Amazon",
        "groceries",
        "salary",
        "benefits",
        "Social Security Administration",
    ):
        assert expected in out, expected
    assert str(data_dir / "warehouse.db") in out

    # The same numbers in the warehouse.
    engine = sa.create_engine(f"sqlite:///{data_dir / 'warehouse.db'}")
    with engine.connect() as conn:
        enriched = pd.read_sql("select transaction_id, source from ntropy_enriched_transactions", conn)
        statements = pd.read_sql("select is_reconciled, status from ntropy_bank_statements", conn)
        batches = pd.read_sql("select status from ntropy_batches", conn)
    engine.dispose()
    assert set(enriched.loc[enriched["source"] == "raw", "transaction_id"]) == valid
    assert (enriched["source"] == "bank_statement").sum() == statement_lines
    assert len(statements) == 6 and statements["is_reconciled"].astype(bool).all()
    assert set(batches["status"]) == {"completed"}

    # Nothing it started is left running.
    deadline = time.monotonic() + 10
    while _processes_mentioning(str(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _processes_mentioning(str(data_dir))
    print(f"showcase through the daemon: {elapsed:.0f} s")
