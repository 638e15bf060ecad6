"""Real processes driven from the outside: ``dagster dev`` (webserver + daemon) over GraphQL, and the sandbox.

The one implementation behind the showcase (``example_project/run.py``), the end-to-end tests
(``tests/e2e``) and the backfill benchmark (``benchmarks/realistic_backfill.py``):

* :func:`start_child` starts a process in a session of its own (so that its whole group can be ended),
  its output in a log file; :meth:`Child.stop` (:func:`stop_group`) asks it to stop, waits, then kills
  whatever is left of its group (for ``dagster dev``: webserver, daemon, code server, run workers);
* :func:`free_port` picks a free loopback port, :func:`wait_for` polls a condition while a child is alive;
* :func:`start_sandbox` serves ``python -m ntropy_dagster.sandbox`` and waits for its health check;
* :class:`DagsterDev` starts ``dagster dev`` on a ``DAGSTER_HOME``, waits for its code location and
  launches partition backfills through GraphQL (``launchPartitionBackfill``, as the UI's button does).

Failures raise :class:`DagsterDevError` with the child's log tail.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from typing_extensions import Self

REPO_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"


class DagsterDevError(RuntimeError):
    """A child process exited or was not ready in time, or Dagster answered with an error."""


# ------------------------------------------------------------------------------------------ child processes


@dataclass
class Child:
    """A process started in a session of its own, so that its whole group can be ended."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    stop_signal: signal.Signals = signal.SIGTERM
    grace: float = 20.0

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of its log ("" if there is none)."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def exited(self) -> str:
        """``"<name> exited (<code>)"`` and the log's tail: the message for a process that died."""
        return f"{self.name} exited ({self.process.returncode})\n{self.log_tail()}"

    def stop(self, grace: float | None = None) -> None:
        """Send the stop signal, wait ``grace`` seconds (default: its own), then kill the whole group."""
        stop_group(self.process, self.stop_signal, self.grace if grace is None else grace)


def start_child(
    name: str,
    args: Sequence[str],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    stop_signal: signal.Signals = signal.SIGTERM,
    grace: float = 20.0,
) -> Child:
    """Start ``args`` in a new session (its own process group), its output in ``log``.

    ``env`` is the child's whole environment (``None``: this process's); see :func:`child_env`.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:  # the child keeps its own descriptor
        process = subprocess.Popen(
            list(args),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=None if env is None else dict(env),
            start_new_session=True,
        )
    return Child(name, process, log, stop_signal, grace)


def stop_group(process: subprocess.Popen[Any], first: signal.Signals, grace: float) -> None:
    """Send ``first`` to ``process``, wait ``grace`` seconds, then SIGKILL what is left of its group.

    ``process`` must lead its own group (started with ``start_new_session=True``).
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # e.g. the daemon, webserver, code server, run workers
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(10)


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment updated with ``env``, for a child that imports this repository.

    The repository comes first on ``PYTHONPATH`` (``example_project`` is not an installed package) and
    ``DAGSTER_IS_DEV_CLI`` is dropped (set when this process itself runs under ``dagster dev``).
    """
    merged = {**os.environ, **(env or {})}
    merged.pop("DAGSTER_IS_DEV_CLI", None)
    paths = [p for p in merged.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(REPO_ROOT)]
    merged["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *paths])
    return merged


def free_port() -> int:
    """A TCP port nobody listens on right now, on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_for(
    check: Callable[[], object], child: Child, timeout: float, what: str, *, every: float = 0.5
) -> None:
    """Poll ``check()`` until it is true; raise :class:`DagsterDevError` if ``child`` exits or ``timeout``
    passes (with its log tail). HTTP errors and incomplete answers (``KeyError``, ``TypeError``) count as
    not yet; any other exception of ``check`` propagates."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise DagsterDevError(f"{what}: {child.exited()}")
        with contextlib.suppress(httpx.HTTPError, KeyError, TypeError):
            if check():
                return
        time.sleep(every)
    raise DagsterDevError(f"{what}: not ready after {timeout:.0f} s\n{child.log_tail()}")


class _StopsOnExit:
    """``with`` support: the object itself, stopped at exit."""

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


# --------------------------------------------------------------------------------------------------- sandbox


@dataclass
class Sandbox(_StopsOnExit):
    """A running ``python -m ntropy_dagster.sandbox``: its URL, its API key, its process."""

    base_url: str
    api_key: str
    child: Child

    def client(self, timeout: float = 60.0) -> httpx.Client:
        """An httpx client of the sandbox's URL and key."""
        return httpx.Client(base_url=self.base_url, headers={"X-Api-Key": self.api_key}, timeout=timeout)

    def stop(self) -> None:
        """SIGTERM, then kill its group after the grace period."""
        self.child.stop()


def start_sandbox(
    api_key: str,
    db: Path,
    log: Path,
    *extra_args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
    timeout: float = 60.0,
) -> Sandbox:
    """Serve the sandbox on a free loopback port (state in ``db``, output in ``log``) once it is healthy.

    ``extra_args`` are its command-line options (``--instant``, ``--realistic-limits``, ``--rate``, ...);
    ``env`` is added to this process's environment. If it does not get healthy it is stopped.
    """
    port = free_port()
    args = [sys.executable, "-m", "ntropy_dagster.sandbox", "--host", LOOPBACK, "--port", str(port),
            "--api-key", api_key, "--db", str(db), "--log-level", "warning", *extra_args]  # fmt: skip
    child = start_child("the Ntropy sandbox", args, log, env=child_env(env), cwd=cwd)
    sandbox = Sandbox(f"http://{LOOPBACK}:{port}", api_key, child)
    try:
        wait_for(
            lambda: httpx.get(f"{sandbox.base_url}/_sandbox/health", timeout=2).status_code == 200,
            child,
            timeout,
            "sandbox",
        )
    except BaseException:
        child.stop()
        raise
    return sandbox


# ------------------------------------------------------------------------------------------------ dagster dev

LOCATION = """{ workspaceOrError { ... on Workspace { locationEntries { name
    locationOrLoadError { __typename ... on PythonError { message } } } } } }"""

LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}"""


class DagsterDev(_StopsOnExit):
    """A ``dagster dev`` (webserver, daemon, code server) in a process group of its own, with its GraphQL
    endpoint. Start it with :meth:`start`; ``with`` stops it at exit."""

    def __init__(self, child: Child, url: str, home: Path) -> None:
        self.child = child
        self.url = url
        """The webserver, ``http://host:port`` (the UI; GraphQL at ``/graphql``)."""
        self.home = home
        """Its ``DAGSTER_HOME``."""
        self._client = httpx.Client(timeout=60)

    @classmethod
    def start(
        cls,
        target: Sequence[str],
        *,
        home: Path,
        log: Path,
        env: Mapping[str, str] | None = None,
        instance_yaml: str | None = None,
        cwd: Path = REPO_ROOT,
        host: str = LOOPBACK,
        port: int | None = None,
        grace: float = 30.0,
    ) -> DagsterDev:
        """Start ``dagster dev <target> -h host -p port`` (a free port by default); it is not loaded yet
        (:meth:`wait_loaded`).

        ``target`` is dagster dev's code-location options: ``("-m", "package.definitions")``,
        ``("-f", "project.py")`` or ``("-w", "workspace.yaml")``. ``home`` becomes ``DAGSTER_HOME`` (created;
        its ``dagster.yaml`` is ``instance_yaml`` if given, else an empty home: SQLite storage, defaults);
        ``env`` is added to this process's environment (see :func:`child_env`). :meth:`stop` sends
        SIGINT (as Ctrl-C) and kills the group after ``grace`` seconds.
        """
        home.mkdir(parents=True, exist_ok=True)
        if instance_yaml is not None:
            (home / "dagster.yaml").write_text(instance_yaml)
        port = port or free_port()
        args = [sys.executable, "-m", "dagster", "dev", *target, "-h", host, "-p", str(port)]
        environment = child_env({**(env or {}), "DAGSTER_HOME": str(home)})
        child = start_child(
            "dagster dev", args, log, env=environment, cwd=cwd, stop_signal=signal.SIGINT, grace=grace
        )
        return cls(child, f"http://{host}:{port}", home)

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run one query or mutation; its ``data``. GraphQL errors raise :class:`DagsterDevError`."""
        response = self._client.post(
            f"{self.url}/graphql", json={"query": query, "variables": dict(variables or {})}
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise DagsterDevError(f"GraphQL error: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data

    def location_loaded(self) -> bool:
        """True once every code location loaded; a load error raises with its PythonError message."""
        entries = self.graphql(LOCATION)["workspaceOrError"]["locationEntries"]
        states = [e["locationOrLoadError"] for e in entries if e["locationOrLoadError"]]
        errors = [s["message"] for s in states if s["__typename"] == "PythonError"]
        if errors:
            raise DagsterDevError(f"the code location failed to load:\n{errors[0]}")
        return bool(states) and all(s["__typename"] == "RepositoryLocation" for s in states)

    def wait_loaded(self, timeout: float = 300.0) -> None:
        """Until the code location is loaded; raises if it fails to load, ``dagster dev`` exits or
        ``timeout`` seconds pass."""
        wait_for(self.location_loaded, self.child, timeout, "dagster dev")

    def launch_backfill(
        self, partitions: Sequence[str], asset_names: Sequence[str], title: str | None = None
    ) -> str:
        """One backfill of ``asset_names`` over ``partitions`` (what the UI's "Materialize" does); its id."""
        params: dict[str, Any] = {
            "partitionNames": list(partitions),
            "assetSelection": [{"path": [name]} for name in asset_names],
            "fromFailure": False,
        }
        if title is not None:
            params["title"] = title
        result = self.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise DagsterDevError(f"launchPartitionBackfill: {result.get('message')}")
        return str(result["backfillId"])

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of its log."""
        return self.child.log_tail(lines)

    def stop(self) -> None:
        """SIGINT (as Ctrl-C), then kill whatever is left of its group after the grace period."""
        self._client.close()
        self.child.stop()
