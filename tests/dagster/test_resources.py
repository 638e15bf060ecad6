"""NtropyResource and NtropyWarehouseResource: configuration, client wiring, secret redaction."""

from __future__ import annotations

import logging
from typing import Any

import dagster as dg
import pytest

from ntropy_dagster import NtropyResource, NtropyWarehouseResource
from ntropy_dagster.client import EU_BASE_URL, US_BASE_URL, AuthenticationError

SECRET = "sk-live-THIS-MUST-NEVER-LEAK-123"


def test_api_key_is_absent_from_repr_dump_and_errors(sandbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    resource = NtropyResource(api_key=SECRET, base_url=sandbox.base_url, max_attempts=1)
    assert SECRET not in repr(resource)
    assert SECRET not in str(resource)
    assert SECRET not in resource.model_dump_json()
    assert SECRET not in str(resource.model_dump())
    client = resource.get_client()
    assert SECRET not in repr(client)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as excinfo:  # the sandbox does not know this key
        client.batches.get("anything")
    assert excinfo.value.status_code == 401
    assert excinfo.value.request_id
    assert SECRET not in str(excinfo.value) and SECRET not in repr(excinfo.value)
    assert SECRET not in caplog.text


def test_env_var_key_is_resolved_at_run_time_and_not_shown(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NTROPY_TEST_KEY", sandbox.api_key)
    resource = NtropyResource(api_key=dg.EnvVar("NTROPY_TEST_KEY"), base_url=sandbox.base_url)
    assert sandbox.api_key not in resource.model_dump_json()

    @dg.asset
    def categories(ntropy: NtropyResource) -> list[str]:
        return ntropy.get_client().categories.get("consumer").outgoing

    result = dg.materialize([categories], resources={"ntropy": resource})
    assert result.success
    assert "groceries" in " ".join(result.output_for_node("categories"))


def test_materialization_logs_do_not_contain_the_key(sandbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    @dg.asset
    def holder(ntropy: NtropyResource) -> str:
        return ntropy.get_client().account_holders.create("redaction-holder", "consumer").id

    result = dg.materialize(
        [holder], resources={"ntropy": NtropyResource(api_key=sandbox.api_key, base_url=sandbox.base_url)}
    )
    assert result.success
    events = " ".join(str(e) for e in result.all_events)
    assert sandbox.api_key not in events
    assert sandbox.api_key not in caplog.text


def test_region_selects_the_base_url() -> None:
    assert NtropyResource(api_key="k").resolved_base_url == US_BASE_URL
    assert NtropyResource(api_key="k", region="eu").resolved_base_url == EU_BASE_URL
    assert NtropyResource(api_key="k", region="eu", base_url="http://x/").resolved_base_url == "http://x"


def test_warehouse_url_password_is_redacted() -> None:
    resource = NtropyWarehouseResource(url="postgresql+psycopg://etl:hunter2@db.internal:5432/dw")
    dumped = resource.model_dump_json()
    assert "hunter2" not in dumped and "hunter2" not in repr(resource)
    assert "etl:***@db.internal" in dumped
