"""Batch models (contract §2.2)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ntropy_dagster.client.models._common import ResponseModel
from ntropy_dagster.client.models.transactions import EnrichedTransaction

__all__ = ["BATCH_OPERATION", "Batch", "BatchPriority", "BatchResults", "BatchStatus"]

BATCH_OPERATION = "POST /v3/transactions"
BatchStatus = Literal["processing", "completed", "error"]
BatchPriority = Literal["default", "low"]


class Batch(ResponseModel):
    """An asynchronous enrichment job of up to 24,960 transactions."""

    id: str
    operation: str = BATCH_OPERATION
    status: str
    created_at: datetime | None = None
    updated_at: datetime | None = None
    progress: int = 0
    total: int = 0
    priority: str | None = None

    @property
    def is_completed(self) -> bool:
        """True when the batch finished and its results can be fetched."""
        return self.status == "completed"

    @property
    def is_error(self) -> bool:
        """True when the whole batch failed."""
        return self.status == "error"


class BatchResults(ResponseModel):
    """``GET /v3/batches/{id}/results``: the enriched transactions in input order."""

    id: str
    total: int = 0
    status: str | None = None
    results: list[EnrichedTransaction] = Field(default_factory=list)
