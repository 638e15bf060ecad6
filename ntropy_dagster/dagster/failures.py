"""Every failure a step can meet, shown in Dagster with what it knows: status, request id, batch ids."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg

from ntropy_dagster.client import NtropyError

#: Error attributes copied into the failure's metadata, when the error has them.
_ATTRIBUTES = {
    "status_code": "ntropy/status_code",
    "request_id": "ntropy/request_id",
    "method": "ntropy/method",
    "path": "ntropy/path",
    "batch_id": "ntropy/batch_id",
    "batch_ids": "ntropy/batch_ids",
    "job_id": "ntropy/job_id",
    "code": "ntropy/error_code",
}


def failure_metadata(exc: NtropyError) -> dict[str, Any]:
    """The metadata a step failure shows for ``exc``: its type and every id it carries."""
    metadata: dict[str, Any] = {"ntropy/error": type(exc).__name__}
    for attribute, key in _ATTRIBUTES.items():
        value = getattr(exc, attribute, None)
        if value is not None and value != []:
            metadata[key] = value
    return metadata


def is_retryable(exc: NtropyError) -> bool:
    """Whether re-running the step may succeed (:attr:`NtropyError.retryable`): False for a 4xx the API
    answered for the request's content, input that failed validation, a statement rejected before upload
    or whose job failed on Ntropy, a wholly rejected partition; True for transient failures."""
    return exc.retryable


@contextmanager
def step_failures(**metadata: Any) -> Iterator[None]:
    """Turn any :class:`~ntropy_dagster.client.NtropyError` into a :class:`dagster.Failure`.

    The failure's description is the error's message (never a secret: errors do not carry the key);
    its metadata is :func:`failure_metadata` plus ``metadata`` (e.g. the partition key). An error that is
    not :func:`retryable <is_retryable>` fails the step without the retries of its retry policy.
    """
    try:
        yield
    except NtropyError as exc:
        raise dg.Failure(
            description=str(exc),
            metadata={**failure_metadata(exc), **metadata},
            allow_retries=is_retryable(exc),
        ) from exc
