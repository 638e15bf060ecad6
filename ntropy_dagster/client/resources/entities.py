"""``/v3/entities``: look up merchants and other organisations."""

from __future__ import annotations

from ntropy_dagster.client._base import Op, path_segment
from ntropy_dagster.client._resource import C, Resource, endpoint, parse_model, validate_input
from ntropy_dagster.client.models import Entity
from ntropy_dagster.client.models.entities import EntityResolveRequest

__all__ = ["Entities"]


class Entities(Resource[C]):
    """Resolve names or websites to entities, and fetch entities by id."""

    @endpoint
    def resolve(
        self, *, name: str | None = None, website: str | None = None, location: str | None = None
    ) -> Op[Entity]:
        """Resolve ``name`` or ``website`` (exactly one) to an entity (``POST /v3/entities/resolve``).

        Retried after connection errors like a lookup, although resolving by name is billed.
        """
        body = validate_input(
            EntityResolveRequest,
            {"name": name, "website": website, "location": location},
            what="entity query",
        )
        return self._request(
            "POST",
            "/v3/entities/resolve",
            parse_model(Entity),
            json=body.model_dump(exclude_none=True),
            idempotent=True,
        )

    @endpoint
    def get(self, entity_id: str) -> Op[Entity]:
        """One entity (``GET /v3/entities/{id}``)."""
        return self._request("GET", f"/v3/entities/{path_segment(entity_id)}", parse_model(Entity))
