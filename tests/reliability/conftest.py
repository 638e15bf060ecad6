"""Fixtures of the reliability suite: a journaled sandbox of the test's own, a SQLite warehouse file, the
fork server of child processes; and the session's figures (faults survived, inputs tried) in the summary."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from ntropy_dagster.sandbox import SandboxServer
from tests.reliability.kit import FIGURES, BillingJournal, ForkServer, sqlite_url, start_sandbox

#: Set to a file path to have the session's figures written there as JSON (for the README).
FIGURES_ENV = "NTROPY_RELIABILITY_FIGURES"


@pytest.fixture(scope="session")
def fork_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkServer]:
    server = ForkServer(tmp_path_factory.mktemp("driver") / "driver.log")
    yield server
    server.close()


@pytest.fixture
def journal(monkeypatch: pytest.MonkeyPatch) -> BillingJournal:
    billing = BillingJournal()
    billing.install(monkeypatch)
    return billing


@pytest.fixture
def sandbox(journal: BillingJournal, tmp_path: Path) -> Iterator[SandboxServer]:
    server = start_sandbox(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def warehouse_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    """A Dagster instance for the sensor's ticks (``SensorDaemon``)."""
    with dg.instance_for_test() as inst:
        yield inst


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for kind, count in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{kind}: {count}")
    target = os.environ.get(FIGURES_ENV)
    if target:
        Path(target).write_text(json.dumps(dict(FIGURES), indent=2, sort_keys=True))
