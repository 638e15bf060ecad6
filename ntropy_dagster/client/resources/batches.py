"""``/v3/batches``: asynchronous enrichment of up to 24,960 transactions per batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, TypeVar

import httpx
import orjson
import pydantic

from ntropy_dagster._gc import gc_paused
from ntropy_dagster.client._base import Op, RequestSpec, path_segment
from ntropy_dagster.client._resource import (
    C,
    Resource,
    bounded_list,
    endpoint,
    page_request,
    paginated,
    parse_model,
    validate_many,
)
from ntropy_dagster.client.chunking import MAX_BATCH_SIZE
from ntropy_dagster.client.errors import BatchFailedError, TransactionValidationError
from ntropy_dagster.client.models import Batch, BatchResults, TransactionInput
from ntropy_dagster.client.models.batches import BATCH_OPERATION
from ntropy_dagster.client.pagination import PageRequest

__all__ = ["Batches"]

R = TypeVar("R")

_TRANSACTIONS = pydantic.TypeAdapter(list[TransactionInput])


def _results_records(response: httpx.Response, request_id: str) -> list[dict[str, Any]]:
    # Tens of thousands of small dicts at once: the cyclic GC would re-scan them repeatedly.
    with gc_paused():
        body = orjson.loads(response.content)
    results = body["results"]
    if not isinstance(results, list):
        raise TypeError("'results' is not a list")
    return results


def _batch_finished(batch: Batch) -> bool:
    if batch.is_error:
        raise BatchFailedError(batch.id, batch)
    return batch.is_completed


class Batches(Resource[C]):
    """Submit, watch and fetch enrichment batches."""

    @endpoint
    def create(
        self,
        data: Iterable[TransactionInput | Mapping[str, Any]],
        *,
        priority: Literal["default", "low"] = "default",
        validate: bool = True,
    ) -> Op[Batch]:
        """Submit transactions for enrichment (``POST /v3/batches``).

        Every item is validated first; :class:`TransactionValidationError` names each bad item as
        ``data[i].field``. More than 24,960 items (see :func:`chunk_transactions`) or none at all is rejected
        before any HTTP request. ``validate=False`` sends ``data`` as given: JSON-ready dicts the caller
        already validated against :class:`TransactionInput` and dumped (as ``mode="json",
        exclude_none=True``), such as the payloads of ``ntropy_dagster.core.validation``; validating them
        again would cost more than the request's encoding.

        Not retried after a connection error that may have happened once the request was sent (read
        errors/timeouts): the batch may have been created, and a blind retry would enrich (and bill) the
        transactions twice. Errors before sending (connect errors, 429, 503) are retried.
        """
        if priority not in ("default", "low"):
            raise ValueError(f"priority must be 'default' or 'low', got {priority!r}")
        if validate:
            items = validate_many(
                _TRANSACTIONS,
                data,
                max_items=MAX_BATCH_SIZE,
                error=TransactionValidationError,
                what="transactions",
            )
            payloads: Any = _TRANSACTIONS.dump_python(items, mode="json", exclude_none=True)
        else:
            payloads = bounded_list(
                data, max_items=MAX_BATCH_SIZE, error=TransactionValidationError, what="transactions"
            )
        body = {"operation": BATCH_OPERATION, "data": payloads, "priority": priority}
        # Encoded once here, so a retry does not serialise 24,960 transactions again.
        return self._request(
            "POST", "/v3/batches", parse_model(Batch), content=orjson.dumps(body), idempotent=False
        )

    @endpoint
    def get(self, batch_id: str) -> Op[Batch]:
        """The batch's status and progress (``GET /v3/batches/{id}``)."""
        return self._request("GET", f"/v3/batches/{path_segment(batch_id)}", parse_model(Batch))

    @endpoint
    def results(self, batch_id: str) -> Op[BatchResults]:
        """The enriched transactions as typed models (``GET /v3/batches/{id}/results``)."""
        return self._request(
            "GET", f"/v3/batches/{path_segment(batch_id)}/results", parse_model(BatchResults)
        )

    @endpoint
    def results_records(self, batch_id: str) -> Op[list[dict[str, Any]]]:
        """The enriched transactions as plain dicts: the fast path for bulk processing.

        The body is decoded with orjson and ``results`` returned as is, without building a pydantic object
        per item (several times faster than :meth:`results` on a full batch).
        """
        return self._request("GET", f"/v3/batches/{path_segment(batch_id)}/results", _results_records)

    @endpoint
    def results_decoded(self, batch_id: str, decode: Callable[[bytes], R]) -> Op[R]:
        """The results body (``GET /v3/batches/{id}/results``, JSON bytes as received) decoded by ``decode``.

        For bulk callers that decode only what they use, such as the pipeline's projection of each result
        onto the columns it stores (:func:`ntropy_dagster.core.results.decode_results`). A ``ValueError``
        raised by ``decode`` (msgspec's and orjson's decode errors are ones) surfaces as
        :class:`~ntropy_dagster.client.errors.APIResponseValidationError`, with the response's request id.
        """
        return self._request(
            "GET",
            f"/v3/batches/{path_segment(batch_id)}/results",
            lambda response, _: decode(response.content),
        )

    @endpoint
    def wait(
        self,
        batch_id: str,
        *,
        timeout: float = 3600,
        poll_interval: float = 5.0,
        on_progress: Callable[[Batch], object] | None = None,
    ) -> Op[Batch]:
        """Poll the batch every ``poll_interval`` s until it completes and return it.

        ``on_progress`` is called with every polled :class:`Batch`. Raises :class:`BatchFailedError` when
        the batch's status becomes ``error`` and :class:`WaitTimeoutError` after ``timeout`` seconds
        (monotonic clock).
        """
        spec = RequestSpec("GET", f"/v3/batches/{path_segment(batch_id)}", parse_model(Batch))
        return self._client.poll(
            spec,
            finished=_batch_finished,
            timeout=timeout,
            poll_interval=poll_interval,
            on_progress=on_progress,
            describe=("batch", batch_id),
        )

    @paginated
    def list(
        self,
        *,
        status: Literal["processing", "completed", "error"] | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        limit: int | None = None,
    ) -> PageRequest[Batch]:
        """Every batch matching the filters, newest first (``GET /v3/batches``); ``limit``: page size."""
        return page_request(
            "/v3/batches",
            Batch,
            status=status,
            created_after=created_after,
            created_before=created_before,
            limit=limit,
        )
