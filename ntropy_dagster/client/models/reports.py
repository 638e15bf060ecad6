"""Report models (contract §2.6)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from ntropy_dagster.client.models._common import InputModel, ResponseModel

__all__ = ["Report", "ReportCreate"]


class ReportCreate(InputModel):
    """Body of ``POST /v3/reports``."""

    transaction_id: str = Field(min_length=1)
    description: str
    fields: list[str]


class Report(ResponseModel):
    """A report of a wrong enrichment result."""

    id: str
    created_at: datetime | None = None
    status: str | None = None
    rejection_reason: str | None = None
    transaction_id: str | None = None
    description: str | None = None
    fields: list[str] = Field(default_factory=list)
