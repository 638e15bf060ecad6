"""``/v3/account_holders``: the owners of transactions, and their recurring payment groups."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ntropy_dagster.client._base import Op, path_segment
from ntropy_dagster.client._resource import (
    C,
    Resource,
    endpoint,
    page_request,
    paginated,
    parse_model,
    parse_model_list,
    parse_none,
    validate_input,
)
from ntropy_dagster.client.models import AccountHolder, AccountHolderCreate, RecurrenceGroup
from ntropy_dagster.client.pagination import PageRequest

__all__ = ["AccountHolders"]


class AccountHolders(Resource[C]):
    """Create, read, list and delete account holders; compute their recurrence groups."""

    @endpoint
    def create(
        self,
        id: str,
        type: Literal["consumer", "business"],
        *,
        name: str | None = None,
        category_id: str | None = None,
    ) -> Op[AccountHolder]:
        """Create an account holder (``POST /v3/account_holders``); an existing id answers 400.

        Keyed by the caller's id, so it is retried like a GET: a repeat of a create that succeeded answers
        400 (duplicate), which callers treat as "exists", and never creates a second holder.
        """
        body = validate_input(
            AccountHolderCreate,
            {"id": id, "type": type, "name": name, "category_id": category_id},
            what="account holder",
        )
        return self._request(
            "POST",
            "/v3/account_holders",
            parse_model(AccountHolder),
            json=body.model_dump(exclude_none=True),
            idempotent=True,
        )

    @endpoint
    def get(self, account_holder_id: str) -> Op[AccountHolder]:
        """One account holder (``GET /v3/account_holders/{id}``)."""
        path = f"/v3/account_holders/{path_segment(account_holder_id)}"
        return self._request("GET", path, parse_model(AccountHolder))

    @endpoint
    def delete(self, account_holder_id: str) -> Op[None]:
        """Delete an account holder and its transactions (``DELETE /v3/account_holders/{id}``)."""
        path = f"/v3/account_holders/{path_segment(account_holder_id)}"
        return self._request("DELETE", path, parse_none)

    @endpoint
    def recurring_groups(self, account_holder_id: str) -> Op[list[RecurrenceGroup]]:
        """The account holder's recurring payment groups (``POST .../{id}/recurring_groups``).

        A read-only computation, so it is retried like a GET.
        """
        path = f"/v3/account_holders/{path_segment(account_holder_id)}/recurring_groups"
        return self._request("POST", path, parse_model_list(RecurrenceGroup), idempotent=True)

    @paginated
    def list(
        self,
        *,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        limit: int | None = None,
    ) -> PageRequest[AccountHolder]:
        """Every account holder matching the filters (``GET /v3/account_holders``)."""
        return page_request(
            "/v3/account_holders",
            AccountHolder,
            created_after=created_after,
            created_before=created_before,
            limit=limit,
        )
