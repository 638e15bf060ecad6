"""Real processes for the end-to-end tests: the sandbox server and ``dagster dev`` (webserver + daemon).

Every process is started in a session of its own, and its whole process group is ended when the test
ends, passed or failed: ``dagster dev`` is asked to stop (SIGINT, as Ctrl-C), then whatever is left of
its group (webserver, daemon, code server, run workers) is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

API_KEY = "e2e-key"
REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str, process: subprocess.Popen[Any]) -> None:
    """Poll ``check`` until it is true; fail naming ``what`` if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with code {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if check():
                return
        time.sleep(0.5)
    raise AssertionError(f"{what}: not ready after {timeout:.0f}s")


def stop_group(process: subprocess.Popen[Any], first: signal.Signals, grace: float) -> None:
    """Send ``first`` to the process, wait ``grace`` seconds, then kill what is left of its group."""
    pgid = process.pid  # start_new_session=True: the process leads its own group
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


def _start(args: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[Any]:
    handle = log.open("wb")
    try:
        return subprocess.Popen(
            args, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
    finally:
        handle.close()  # the child has its own descriptor


@dataclass
class Sandbox:
    base_url: str
    api_key: str


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[Sandbox]:
    """``python -m ntropy_dagster.sandbox --instant`` on a free port, as a process of its own."""
    port = free_port()
    log = tmp_path / "sandbox.log"
    args = [sys.executable, "-m", "ntropy_dagster.sandbox", "--instant", "--host", "127.0.0.1"]
    args += ["--port", str(port), "--api-key", API_KEY, "--db", str(tmp_path / "sandbox.db")]
    process = _start([*args, "--log-level", "warning"], log, cwd=REPO_ROOT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: httpx.get(f"{base_url}/_sandbox/health", timeout=2).status_code == 200,
            60,
            "sandbox",
            process,
        )
        yield Sandbox(base_url, API_KEY)
    finally:
        stop_group(process, signal.SIGTERM, 10)


@dataclass
class DagsterDev:
    """A running ``dagster dev``: its GraphQL endpoint, its DAGSTER_HOME and its log."""

    url: str
    home: Path
    log: Path
    process: subprocess.Popen[Any]

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST one GraphQL request; return its ``data`` (errors fail the test)."""
        response = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


LOCATION_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


def _location_loaded(dev: DagsterDev) -> bool:
    entries = dev.graphql(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
    loaded = [e["locationOrLoadError"] for e in entries if e["locationOrLoadError"]]
    errors = [e for e in loaded if e["__typename"] == "PythonError"]
    assert not errors, errors
    return bool(loaded) and all(e["__typename"] == "RepositoryLocation" for e in loaded)


@pytest.fixture
def dagster_dev(tmp_path: Path) -> Iterator[Callable[..., DagsterDev]]:
    """Start ``dagster dev -f <file>`` on 127.0.0.1 with an empty DAGSTER_HOME; stopped at teardown."""
    started: list[DagsterDev] = []

    def start(project: Path, env: dict[str, str], instance_yaml: str | None = None) -> DagsterDev:
        home = tmp_path / "dagster_home"
        home.mkdir()
        if instance_yaml is not None:  # otherwise an empty DAGSTER_HOME: SQLite storage, defaults
            (home / "dagster.yaml").write_text(instance_yaml)
        port = free_port()
        log = tmp_path / "dagster_dev.log"
        args = [
            sys.executable,
            "-m",
            "dagster",
            "dev",
            "-f",
            str(project),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ]
        environment = {**os.environ, **env, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO_ROOT)}
        environment.pop("DAGSTER_IS_DEV_CLI", None)
        process = _start(args, log, cwd=tmp_path, env=environment)
        dev = DagsterDev(f"http://127.0.0.1:{port}", home, log, process)
        started.append(dev)
        try:
            wait_until(lambda: _location_loaded(dev), 180, "dagster dev", process)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- dagster dev log ---\n{dev.log_tail()}") from None
        return dev

    try:
        yield start
    finally:
        for dev in started:
            stop_group(dev.process, signal.SIGINT, 30)


PG_URL = os.environ.get("NTROPY_DAGSTER_TEST_PG_URL")


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh database on the test PostgreSQL server (its psycopg2 URL, as dagster-postgres needs),
    dropped at teardown even if connections to it are still open."""
    if not PG_URL:
        pytest.skip("NTROPY_DAGSTER_TEST_PG_URL is not set (.ci/run starts a PostgreSQL server)")
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(database=name, drivername="postgresql+psycopg2")
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
