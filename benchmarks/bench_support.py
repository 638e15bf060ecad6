"""Helpers shared by the scale benchmarks: a sandbox in a process of its own, measured child processes,
ranges, and the self-time table of a py-spy profile."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SandboxProcess:
    """A sandbox served by ``python -m ntropy_dagster.sandbox`` in a process of its own."""

    process: subprocess.Popen[bytes]
    base_url: str
    api_key: str

    def client(self, timeout: float = 60.0) -> httpx.Client:
        """An httpx client of the sandbox's key."""
        return httpx.Client(base_url=self.base_url, headers={"X-Api-Key": self.api_key}, timeout=timeout)


@contextmanager
def sandbox_process(workdir: Path, api_key: str, *extra_args: str) -> Iterator[SandboxProcess]:
    """Start a sandbox (state in ``workdir/sandbox.db``, log in ``workdir/sandbox.log``); stop it at exit.

    ``extra_args`` are command-line options (``--instant``, ``--realistic-limits``, ...).
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "ntropy_dagster.sandbox",
        "--port",
        str(port),
        "--api-key",
        api_key,
        "--db",
        str(workdir / "sandbox.db"),
        "--no-webhooks",
        "--log-level",
        "warning",
        *extra_args,
    ]
    with open(workdir / "sandbox.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base_url)
        yield SandboxProcess(process, base_url, api_key)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with status {process.returncode}")
        try:
            if httpx.get(f"{base_url}/_sandbox/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError("the sandbox did not answer its health check in time")


@dataclass
class ChildRun:
    """What one measured child process did."""

    wall_seconds: float
    peak_rss_mb: float
    returncode: int
    output: str


def run_measured(command: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> ChildRun:
    """Run ``command`` to completion; its wall time and peak RSS (``wait4``'s ``ru_maxrss``).

    Standard output and error go to ``cwd/child.log`` (returned as ``output``).
    """
    log_path = cwd / "child.log"
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(wall, usage.ru_maxrss / 1024, process.returncode, log_path.read_text(errors="replace"))


def span(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    """``"min-max"`` of the values (one value alone when they are all equal)."""
    low, high = min(values), max(values)
    return fmt.format(low) if fmt.format(low) == fmt.format(high) else f"{fmt.format(low)}-{fmt.format(high)}"


def load_average() -> str:
    """The 1-minute load average and the CPU count, for the record of the conditions."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


REPOSITORY = str(Path(__file__).resolve().parents[1])
_SITE = re.compile(r"^.*/(site-packages|lib/python3\.\d+)/")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def top_self_frames(
    raw_profile: Path, limit: int = 15, by_line: bool = False
) -> list[tuple[str, int, float]]:
    """The frames with the most self time in a py-spy ``--format raw`` profile: (frame, samples, share).

    Frames are ``function (file)`` (lines merged) unless ``by_line``; paths are shortened to the part
    after ``site-packages/`` or the repository root.
    """
    counts: Counter[str] = Counter()
    total = 0
    for line in raw_profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.split(";")[-1]
        counts[_frame_name(leaf, by_line)] += int(count)
        total += int(count)
    return [(frame, n, n / max(total, 1)) for frame, n in counts.most_common(limit)]


def _frame_name(frame: str, by_line: bool) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = _SITE.sub("", match["file"]).replace(f"{REPOSITORY}/", "")
    suffix = f":{match['line']}" if by_line and match["line"] else ""
    return f"{match['function']} ({path}{suffix})"
