"""example_project/dagster.yaml: PostgreSQL instance storage, the run queue and the ntropy_api pool limit."""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from ntropy_dagster import NTROPY_POOL
from tests.e2e.conftest import drop_database

PG_URL = os.environ.get("NTROPY_DAGSTER_TEST_PG_URL")
CONFIG = Path(__file__).parent.parent / "example_project" / "dagster.yaml"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="NTROPY_DAGSTER_TEST_PG_URL is not set (.ci/run starts a server)"),
]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards."""
    assert PG_URL is not None
    name = f"dagster_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(
        database=name, drivername="postgresql+psycopg2"
    )  # dagster-postgres needs psycopg2
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)
        admin.dispose()


def test_the_example_instance_runs_on_postgres_with_the_pool_limit(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(CONFIG, tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", postgres_url)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.run_coordinator is not None and "Queued" in type(instance.run_coordinator).__name__
        settings = instance.get_concurrency_config()
        assert settings.pool_config.default_pool_limit == 10
        assert settings.run_queue_config is not None and settings.run_queue_config.max_concurrent_runs == 8
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 2

        @dg.asset(pool=NTROPY_POOL)
        def calls_the_api() -> int:
            return 1

        result = dg.materialize([calls_the_api], instance=instance)
        assert result.success
        assert instance.get_runs_count() == 1  # the run is in PostgreSQL
        assert instance.event_log_storage.get_pool_limits()  # the pool got its default limit of 10
