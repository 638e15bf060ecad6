"""``/v3/transactions``: enrich one transaction, read, list, delete and re-assign stored ones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ntropy_dagster.client._base import Op, path_segment
from ntropy_dagster.client._resource import (
    C,
    Resource,
    endpoint,
    page_request,
    paginated,
    parse_model,
    parse_none,
    validate_input,
)
from ntropy_dagster.client.errors import TransactionValidationError
from ntropy_dagster.client.models import EnrichedTransaction, Transaction, TransactionInput
from ntropy_dagster.client.pagination import PageRequest

__all__ = ["Transactions"]


class Transactions(Resource[C]):
    """Single transactions (for many at once use ``client.batches``)."""

    @endpoint
    def create(self, transaction: TransactionInput | Mapping[str, Any]) -> Op[EnrichedTransaction]:
        """Enrich one transaction (``POST /v3/transactions``).

        The input is validated first (:class:`TransactionValidationError`). The API upserts by ``id``, so
        this request is retried after connection errors like a GET.
        """
        tx = validate_input(
            TransactionInput, transaction, error=TransactionValidationError, what="transaction"
        )
        return self._request(
            "POST",
            "/v3/transactions",
            parse_model(EnrichedTransaction),
            json=tx.model_dump(mode="json", exclude_none=True),
            idempotent=True,
        )

    @endpoint
    def get(self, transaction_id: str) -> Op[Transaction]:
        """One stored transaction with its enrichment (``GET /v3/transactions/{id}``)."""
        return self._request(
            "GET", f"/v3/transactions/{path_segment(transaction_id)}", parse_model(Transaction)
        )

    @endpoint
    def delete(self, transaction_id: str) -> Op[None]:
        """Delete a stored transaction (``DELETE /v3/transactions/{id}``)."""
        return self._request("DELETE", f"/v3/transactions/{path_segment(transaction_id)}", parse_none)

    @endpoint
    def assign(self, transaction_id: str, account_holder_id: str) -> Op[Transaction]:
        """Move a transaction to another account holder of the same type (``POST .../{id}/assign``)."""
        return self._request(
            "POST",
            f"/v3/transactions/{path_segment(transaction_id)}/assign",
            parse_model(Transaction),
            json={"account_holder_id": account_holder_id},
            idempotent=True,
        )

    @paginated
    def list(
        self,
        *,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        account_holder_id: str | None = None,
        dataset_id: int | None = None,
        limit: int | None = None,
    ) -> PageRequest[Transaction]:
        """Every stored transaction matching the filters, newest first (``GET /v3/transactions``).

        Returns a paginator: iterate it for transactions, or ``.pages()`` for pages. ``limit`` is the page
        size sent with every page request.
        """
        return page_request(
            "/v3/transactions",
            Transaction,
            created_after=created_after,
            created_before=created_before,
            account_holder_id=account_holder_id,
            dataset_id=dataset_id,
            limit=limit,
        )
