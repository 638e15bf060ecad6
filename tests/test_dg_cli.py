"""The dg CLI works in the project's own environment: its help lists its commands."""

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("group", [[], ["scaffold"], ["list"]])
def test_dg_help_lists_its_commands(group: list[str]) -> None:
    dg = Path(sys.executable).parent / "dg"  # dagster-dg-cli is a dev dependency of this environment
    shown = subprocess.run([str(dg), *group, "--help"], capture_output=True, text=True, check=True).stdout
    expected = {(): ["scaffold", "check", "list", "launch"], ("scaffold",): ["defs"], ("list",): ["defs"]}
    for command in expected[tuple(group)]:
        assert command in shown, f"`dg {' '.join(group)} --help` does not list {command!r}:\n{shown}"
