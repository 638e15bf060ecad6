"""Webhook models (contract §2.7)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import Field

from ntropy_dagster.client.models._common import InputModel, ResponseModel

__all__ = ["WEBHOOK_EVENTS", "Webhook", "WebhookCreate", "WebhookEvent", "WebhookUpdate"]

WebhookEvent = Literal[
    "reports.resolved",
    "reports.rejected",
    "reports.pending",
    "bank_statements.completed",
    "bank_statements.error",
    "batches.completed",
    "batches.error",
]
WEBHOOK_EVENTS: tuple[str, ...] = get_args(WebhookEvent)


class WebhookCreate(InputModel):
    """Body of ``POST /v3/webhooks``."""

    url: str = Field(min_length=1, max_length=1024)
    events: list[WebhookEvent]
    token: str | None = Field(default=None, max_length=128)
    hmac_secret: str | None = Field(default=None, repr=False)


class WebhookUpdate(InputModel):
    """Body of ``PATCH /v3/webhooks/{id}``; only the fields that were set are sent."""

    url: str | None = Field(default=None, min_length=1, max_length=1024)
    events: list[WebhookEvent] | None = None
    token: str | None = Field(default=None, max_length=128)
    enabled: bool | None = None
    hmac_secret: str | None = Field(default=None, repr=False)


class Webhook(ResponseModel):
    """A registered webhook."""

    id: str
    created_at: datetime | None = None
    url: str
    events: list[str] = Field(default_factory=list)
    token: str | None = None
    enabled: bool = True
