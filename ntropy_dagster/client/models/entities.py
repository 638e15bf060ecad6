"""Entity models (contract §2.5)."""

from __future__ import annotations

from pydantic import Field, model_validator

from ntropy_dagster.client.models._common import InputModel, ResponseModel

__all__ = ["Entity", "EntityResolveRequest"]


class Entity(ResponseModel):
    """An organisation or person known to Ntropy (``GET /v3/entities/{id}``, counterparties...)."""

    id: str | None = None
    name: str | None = None
    website: str | None = None
    logo: str | None = None
    mccs: list[int] = Field(default_factory=list)
    phone_number: str | None = None
    tax_number: str | None = None
    naics2017: str | None = None


class EntityResolveRequest(InputModel):
    """Body of ``POST /v3/entities/resolve``: ``name`` or ``website`` (not both), optional ``location``."""

    name: str | None = None
    website: str | None = None
    location: str | None = None

    @model_validator(mode="after")
    def _name_xor_website(self) -> EntityResolveRequest:
        if (self.name is None) == (self.website is None):
            raise ValueError("give exactly one of name or website")
        return self
