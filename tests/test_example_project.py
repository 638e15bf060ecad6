"""The Quickstart's first command: the example pipeline, end to end, offline."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_example_runs_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "EXAMPLE_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "example_project.run"],
        cwd=Path(__file__).parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for partition in ("2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"):
        assert f"[{partition}] enriched" in out
    assert "marts refreshed" in out
    assert "Netflix" in out and "salary" in out
    assert "'enriched_transactions': 4800" in out
