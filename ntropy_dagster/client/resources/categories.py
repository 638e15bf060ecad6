"""``/v3/categories``: the category sets used to label transactions."""

from __future__ import annotations

from collections.abc import Sequence

from ntropy_dagster.client._base import Op, path_segment
from ntropy_dagster.client._resource import C, Resource, endpoint, parse_model
from ntropy_dagster.client.models import CategorySet

__all__ = ["CategorySets"]

_parse_set = parse_model(CategorySet)


class CategorySets(Resource[C]):
    """Read, replace and reset a category set (``consumer``, ``business`` or a custom id)."""

    @endpoint
    def get(self, category_id: str) -> Op[CategorySet]:
        """The set's labels (``GET /v3/categories/{id}``)."""
        return self._request("GET", f"/v3/categories/{path_segment(category_id)}", _parse_set)

    @endpoint
    def set(self, category_id: str, *, incoming: Sequence[str], outgoing: Sequence[str]) -> Op[CategorySet]:
        """Replace the set's labels (``POST /v3/categories/{id}``); idempotent, so retried like a PUT."""
        for name, labels in (("incoming", incoming), ("outgoing", outgoing)):
            if isinstance(labels, str) or not all(isinstance(label, str) for label in labels):
                raise TypeError(f"{name} must be a sequence of strings")
        return self._request(
            "POST",
            f"/v3/categories/{path_segment(category_id)}",
            _parse_set,
            json={"incoming": list(incoming), "outgoing": list(outgoing)},
            idempotent=True,
        )

    @endpoint
    def reset(self, category_id: str) -> Op[CategorySet]:
        """Restore the default labels (``POST /v3/categories/{id}/reset``)."""
        return self._request(
            "POST", f"/v3/categories/{path_segment(category_id)}/reset", _parse_set, idempotent=True
        )
