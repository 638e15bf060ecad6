"""``/v3/webhooks``: subscriptions to batch, bank statement and report events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import orjson

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
from ntropy_dagster.client.models import Webhook
from ntropy_dagster.client.models.webhooks import WebhookCreate, WebhookUpdate
from ntropy_dagster.client.pagination import PageRequest

__all__ = ["NOT_GIVEN", "Webhooks"]


class _NotGiven:
    """Marks a keyword argument that was not passed (as opposed to an explicit None)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = _NotGiven()

_parse_webhook = parse_model(Webhook)


def _parse_optional_webhook(response: httpx.Response, request_id: str) -> Webhook | None:
    # The contract leaves the PATCH response open (the SDK ignores it): a webhook object if there is one.
    data = orjson.loads(response.content) if response.content else None
    if isinstance(data, dict) and "id" in data and "url" in data:
        return _parse_webhook(response, request_id)
    return None


class Webhooks(Resource[C]):
    """Register, inspect, change and remove webhooks (at most 10 per organisation)."""

    @endpoint
    def create(
        self, *, url: str, events: Sequence[str], token: str | None = None, hmac_secret: str | None = None
    ) -> Op[Webhook]:
        """Register a webhook (``POST /v3/webhooks``); ``events`` from :data:`WEBHOOK_EVENTS`."""
        body = validate_input(
            WebhookCreate,
            {"url": url, "events": list(events), "token": token, "hmac_secret": hmac_secret},
            what="webhook",
        )
        return self._request(
            "POST", "/v3/webhooks", parse_model(Webhook), json=body.model_dump(exclude_none=True)
        )

    @endpoint
    def get(self, webhook_id: str) -> Op[Webhook]:
        """One webhook (``GET /v3/webhooks/{id}``)."""
        return self._request("GET", f"/v3/webhooks/{path_segment(webhook_id)}", parse_model(Webhook))

    @endpoint
    def update(
        self,
        webhook_id: str,
        *,
        url: str = NOT_GIVEN,
        events: Sequence[str] = NOT_GIVEN,
        token: str | None = NOT_GIVEN,
        enabled: bool = NOT_GIVEN,
        hmac_secret: str | None = NOT_GIVEN,
    ) -> Op[Webhook | None]:
        """Change a webhook (``PATCH /v3/webhooks/{id}``), sending only the arguments given.

        ``token=None`` / ``hmac_secret=None`` clear them; ``enabled=True`` re-enables a webhook disabled
        after failed deliveries. Returns the updated :class:`Webhook` if the API answers with one, else None.
        """
        given = {
            name: value
            for name, value in {
                "url": url,
                "events": list(events) if events is not NOT_GIVEN else NOT_GIVEN,
                "token": token,
                "enabled": enabled,
                "hmac_secret": hmac_secret,
            }.items()
            if value is not NOT_GIVEN
        }
        body = validate_input(WebhookUpdate, given, what="webhook update")
        return self._request(
            "PATCH",
            f"/v3/webhooks/{path_segment(webhook_id)}",
            _parse_optional_webhook,
            json=body.model_dump(exclude_unset=True),
            idempotent=True,
        )

    @endpoint
    def delete(self, webhook_id: str) -> Op[None]:
        """Remove a webhook (``DELETE /v3/webhooks/{id}``)."""
        return self._request("DELETE", f"/v3/webhooks/{path_segment(webhook_id)}", parse_none)

    @paginated
    def list(self) -> PageRequest[Webhook]:
        """Every webhook (``GET /v3/webhooks``)."""
        return page_request("/v3/webhooks", Webhook)
