"""Category set models (contract §2.9)."""

from __future__ import annotations

from pydantic import Field

from ntropy_dagster.client.models._common import ResponseModel

__all__ = ["CategorySet"]


class CategorySet(ResponseModel):
    """The category labels of a set, split by direction."""

    incoming: list[str] = Field(default_factory=list)
    outgoing: list[str] = Field(default_factory=list)
