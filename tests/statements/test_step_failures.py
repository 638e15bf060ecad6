"""Errors become step failures with their ids; an error whose class says ``retryable = False`` (a statement
rejected, gone or failed on Ntropy) fails the step without the retries of its retry policy."""

from __future__ import annotations

import dagster as dg
import pytest

from ntropy_dagster.client import NtropyError
from ntropy_dagster.core.errors import PipelineError, SlotTimeoutError
from ntropy_dagster.core.statements.errors import StatementJobFailedError, StatementUnavailableError
from ntropy_dagster.dagster.failures import is_retryable, step_failures


def test_a_non_retryable_error_becomes_a_failure_that_forbids_retries() -> None:
    error = StatementJobFailedError(
        "job failed: unreadable_statement", job_id="job-1", code="unreadable_statement"
    )
    with pytest.raises(dg.Failure) as caught, step_failures(**{"ntropy/partition_key": "jan-0123456789ab"}):
        raise error
    failure = caught.value
    assert failure.allow_retries is False
    assert failure.description == "job failed: unreadable_statement"
    assert {key: value.value for key, value in failure.metadata.items()} == {
        "ntropy/error": "StatementJobFailedError",
        "ntropy/job_id": "job-1",
        "ntropy/error_code": "unreadable_statement",
        "ntropy/partition_key": "jan-0123456789ab",
    }
    assert failure.__cause__ is error


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (StatementUnavailableError("rejected before upload"), False),
        (StatementJobFailedError("failed", job_id="j", code=None), False),
        (SlotTimeoutError("no slot"), True),
        (PipelineError("anything else"), True),
        (NtropyError("an API error"), True),
    ],
)
def test_retryable_comes_from_the_error_class(error: NtropyError, retryable: bool) -> None:
    assert is_retryable(error) is retryable
    with pytest.raises(dg.Failure) as caught, step_failures():
        raise error
    assert caught.value.allow_retries is retryable


def _attempts(error: NtropyError) -> int:
    """How many times Dagster runs a step with ``RetryPolicy(max_retries=2)`` that raises ``error``."""
    attempts: list[int] = []

    @dg.op(retry_policy=dg.RetryPolicy(max_retries=2))
    def failing() -> None:
        attempts.append(1)
        with step_failures():
            raise error

    @dg.job
    def job() -> None:
        failing()

    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return len(attempts)


def test_dagster_skips_the_retry_policy_for_a_non_retryable_error() -> None:
    assert _attempts(StatementUnavailableError("Statement x was rejected before upload")) == 1
    assert _attempts(SlotTimeoutError("no free slot")) == 3
