"""The README's YAML path from an empty folder: a dg project, the scaffolded component, check, list, launch.

Runs the real ``dg`` CLI in subprocesses against the sandbox over HTTP, in blocking mode (no daemon): the
README's "Declaring the pipeline in YAML" steps, with PYTHONPATH standing in for ``pip install -e .``.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ntropy_dagster.sandbox import SandboxConfig, SandboxServer, run_sandbox

pytestmark = pytest.mark.slow

TYPE_NAME = "ntropy_dagster.components.NtropyEnrichmentComponent"
API_KEY = "yaml-from-zero-key"

PYPROJECT = """\
[project]
name = "my_bank"
version = "0.1.0"
dependencies = ["ntropy-dagster"]

[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "my_bank"
"""

DEFINITIONS = """\
from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
"""

RAW_ASSET = """\
import dagster as dg
import pandas as pd

from ntropy_dagster.sandbox.synthetic import synthetic_transactions


@dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2024-03-01"))
def raw_transactions(context: dg.AssetExecutionContext) -> pd.DataFrame:
    return synthetic_transactions(context.partition_key, n=30, account_holders=5)
"""


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    with run_sandbox(SandboxConfig.instant(api_keys=(API_KEY,), db_path=str(tmp_path / "sandbox.db"))) as s:
        yield s


def _project(root: Path) -> None:
    """What the README has the user write: pyproject.toml, definitions.py and their raw asset."""
    package = root / "src" / "my_bank"
    (package / "defs" / "raw").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (package / "__init__.py").write_text("")
    (package / "definitions.py").write_text(DEFINITIONS)
    (package / "defs" / "raw" / "assets.py").write_text(RAW_ASSET)


def test_the_yaml_path_from_an_empty_folder(tmp_path: Path, sandbox: SandboxServer) -> None:
    _project(tmp_path)
    dg_cli = str(Path(sys.executable).parent / "dg")
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path / "src"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "NTROPY_API_KEY": API_KEY,
        "NTROPY_BASE_URL": sandbox.base_url,
    }
    (tmp_path / "dagster_home").mkdir()

    def dg(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [dg_cli, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"dg {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    dg(
        "scaffold",
        "defs",
        TYPE_NAME,
        "ntropy_enrichment",
        "--raw-asset",
        "raw_transactions",
        "--partitioning",
        "daily",
        "--start-date",
        "2024-03-01",
        "--mode",
        "blocking",
    )
    checked = dg("check", "defs")
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr
    listed = json.loads(dg("list", "defs", "--json").stdout)
    keys = {asset["asset_key"] for asset in listed["assets"]}
    assert {"raw_transactions", "ntropy_account_holders", "ntropy_enriched_transactions"} <= keys

    dg(
        "launch",
        "--assets",
        "raw_transactions,ntropy_account_holders,ntropy_enriched_transactions",
        "--partition",
        "2024-03-02",
    )
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ntropy_warehouse.db'}")
    with engine.connect() as conn:
        enriched = conn.execute(
            sa.text("SELECT count(*) FROM ntropy_enriched_transactions WHERE partition_key = '2024-03-02'")
        ).scalar_one()
    engine.dispose()
    assert enriched == 30
