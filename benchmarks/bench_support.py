"""Helpers shared by the scale benchmarks: a sandbox in a process of its own, measured child processes,
ranges, and the self-time table of a py-spy profile.

Importing it puts the repository on ``sys.path``: ``example_project`` (whose ``dagster_dev`` module
starts the sandbox and ``dagster dev``) is not an installed package, and a benchmark runs as a script
(``python benchmarks/<name>.py``, with only ``benchmarks/`` on the path).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = str(Path(__file__).resolve().parents[1])
if REPOSITORY not in sys.path:
    sys.path.append(REPOSITORY)

from example_project.dagster_dev import Sandbox, start_sandbox  # noqa: E402


@contextmanager
def sandbox_process(workdir: Path, api_key: str, *extra_args: str) -> Iterator[Sandbox]:
    """Start a sandbox (state in ``workdir/sandbox.db``, log in ``workdir/sandbox.log``, no webhooks);
    stop it at exit.

    ``extra_args`` are command-line options (``--instant``, ``--realistic-limits``, ...).
    """
    with start_sandbox(
        api_key, workdir / "sandbox.db", workdir / "sandbox.log", "--no-webhooks", *extra_args
    ) as sandbox:
        yield sandbox


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
