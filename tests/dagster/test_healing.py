"""Transient failures heal through Dagster's step retries; failures that retrying cannot fix are not retried."""

from typing import Any

import dagster as dg
import httpx

from ntropy_dagster import NtropyResource, PipelineOptions
from tests.dagster.conftest import history, make_defs, query, remote_batches, run_selection

#: Attempts per request of the test resource (conftest.ntropy_resource).
CLIENT_ATTEMPTS = 3


def _events(result: dg.ExecuteInProcessResult, event_type: dg.DagsterEventType, step: str) -> list[Any]:
    return [e for e in result.all_events if e.event_type == event_type and e.step_key == step]


def test_a_503_that_outlives_the_client_retries_heals_through_the_step_retry(
    fresh_sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    raw = history(1, per_day=12, holders=2, prefix="heal-")
    # A POST that met a 503 is sent again at once (by default only after resend_after_seconds, in case
    # the API took it after all; the sandbox's 503 burst never does).
    options = PipelineOptions(step_retry_delay_seconds=0.2, resend_after_seconds=0)
    defs, pipeline, wh = make_defs(raw, fresh_sandbox, f"sqlite:///{tmp_path / 'wh.db'}", options=options)
    keys = pipeline.keys
    run_selection(defs, instance, [keys.raw, keys.account_holders])
    # The next requests all answer 503, more of them than the client tries: the step's first attempt
    # fails after recording its intent to submit, and the retry finds no orphan batch to adopt.
    with httpx.Client(base_url=fresh_sandbox.base_url, headers={"X-Api-Key": fresh_sandbox.api_key}) as http:
        burst = {"status": 503, "count": CLIENT_ATTEMPTS + 1}
        http.post("/_sandbox/faults/burst", json=burst).raise_for_status()

    result = run_selection(defs, instance, [keys.batches])
    assert result.success  # healed within the one run
    step = "ntropy_batches"
    [retry] = _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY, step)
    assert "503" in str(retry.event_specific_data)
    assert len(_events(result, dg.DagsterEventType.STEP_RESTARTED, step)) == 1
    assert not [e for e in result.all_events if e.is_step_failure]
    assert len(remote_batches(fresh_sandbox)) == 1  # submitted (and paid for) once
    assert list(query(wh, "select status from {t}batches")["status"]) in (["processing"], ["completed"])


def test_a_refused_key_fails_the_step_once_without_retries(
    sandbox: Any, tmp_path: Any, instance: dg.DagsterInstance
) -> None:
    raw = history(1, per_day=5, holders=1, prefix="refused-")
    options = PipelineOptions(step_retry_delay_seconds=0.05)  # a retry, if one happened, would be quick
    defs, pipeline, wh = make_defs(raw, sandbox, f"sqlite:///{tmp_path / 'wh.db'}", options=options)
    wrong = NtropyResource(api_key="not-a-valid-key", base_url=sandbox.base_url, max_attempts=1)
    bad_defs = dg.Definitions(
        assets=list(defs.assets or []), resources={"ntropy": wrong, "ntropy_warehouse": wh}
    )
    result = run_selection(
        bad_defs, instance, [pipeline.keys.raw, pipeline.keys.account_holders], expect_success=False
    )
    step = "ntropy_account_holders"
    assert not _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY, step)
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.user_failure_data
    assert error is not None and error.metadata["ntropy/status_code"].value == 401
