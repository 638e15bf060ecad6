"""``/v3/reports``: report wrong enrichment results to Ntropy."""

from __future__ import annotations

from collections.abc import Sequence
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
    parse_none,
    validate_input,
)
from ntropy_dagster.client.models import Report
from ntropy_dagster.client.models.reports import ReportCreate
from ntropy_dagster.client.pagination import PageRequest

__all__ = ["Reports"]


class Reports(Resource[C]):
    """File, follow and withdraw reports of wrong results."""

    @endpoint
    def create(self, *, transaction_id: str, description: str, fields: Sequence[str]) -> Op[Report]:
        """Report a wrong result (``POST /v3/reports``); ``fields`` e.g. ``[".entities.counterparty"]``."""
        body = validate_input(
            ReportCreate,
            {"transaction_id": transaction_id, "description": description, "fields": list(fields)},
            what="report",
        )
        return self._request("POST", "/v3/reports", parse_model(Report), json=body.model_dump())

    @endpoint
    def get(self, report_id: str) -> Op[Report]:
        """One report (``GET /v3/reports/{id}``)."""
        return self._request("GET", f"/v3/reports/{path_segment(report_id)}", parse_model(Report))

    @endpoint
    def delete(self, report_id: str) -> Op[None]:
        """Withdraw a report (``DELETE /v3/reports/{id}``)."""
        return self._request("DELETE", f"/v3/reports/{path_segment(report_id)}", parse_none)

    @paginated
    def list(
        self,
        *,
        status: Literal["open", "pending", "resolved", "rejected"] | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        limit: int | None = None,
    ) -> PageRequest[Report]:
        """Every report matching the filters (``GET /v3/reports``)."""
        return page_request(
            "/v3/reports",
            Report,
            status=status,
            created_after=created_after,
            created_before=created_before,
            limit=limit,
        )
