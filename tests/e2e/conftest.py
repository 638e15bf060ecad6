"""Real processes for the end-to-end tests: the sandbox server and ``dagster dev`` (webserver + daemon).

Every process is started in a session of its own, and its whole process group is ended when the test
ends, passed or failed: ``dagster dev`` is asked to stop (SIGINT, as Ctrl-C), then whatever is left of
its group (webserver, daemon, code server, run workers) is killed. Both are driven by
``example_project.dagster_dev``, as the showcase and the backfill benchmark drive them.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from example_project.dagster_dev import DagsterDev, Sandbox, start_sandbox

API_KEY = "e2e-key"


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[Sandbox]:
    """``python -m ntropy_dagster.sandbox --instant`` on a free port, as a process of its own."""
    with start_sandbox(API_KEY, tmp_path / "sandbox.db", tmp_path / "sandbox.log", "--instant") as sandbox:
        yield sandbox


@pytest.fixture
def dagster_dev(tmp_path: Path) -> Iterator[Callable[..., DagsterDev]]:
    """Start ``dagster dev -f <file>`` on 127.0.0.1 with an empty DAGSTER_HOME (or ``instance_yaml`` as its
    ``dagster.yaml``) and wait until its code location loaded; stopped at teardown."""
    started: list[DagsterDev] = []

    def start(project: Path, env: dict[str, str], instance_yaml: str | None = None) -> DagsterDev:
        dev = DagsterDev.start(
            ("-f", str(project)),
            home=tmp_path / "dagster_home",
            log=tmp_path / "dagster_dev.log",
            env=env,
            instance_yaml=instance_yaml,
            cwd=tmp_path,
        )
        started.append(dev)
        dev.wait_loaded(180)
        return dev

    try:
        yield start
    finally:
        for dev in started:
            dev.stop()


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
        drop_database(admin, name)
        admin.dispose()


def drop_database(admin: sa.Engine, name: str, attempts: int = 20) -> None:
    """``DROP DATABASE ... WITH (FORCE)``, again a moment later while it meets a backend it may not end
    (an autovacuum worker runs as the superuser: only the superuser may terminate it)."""
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            return
        except sa.exc.ProgrammingError as exc:
            if "InsufficientPrivilege" not in type(exc.orig).__name__ or attempt == attempts - 1:
                raise
            time.sleep(0.5)
