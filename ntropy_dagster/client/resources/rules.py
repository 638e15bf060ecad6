"""``/v3/rules``: the personalisation ruleset of the API key (rules are plain JSON dicts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ntropy_dagster.client._base import Op, path_segment
from ntropy_dagster.client._resource import C, Resource, endpoint, parse_json, parse_none

__all__ = ["Rules"]


def _as_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(rule, Mapping):
        raise TypeError(f"a rule must be a mapping, got {type(rule).__name__}")
    return dict(rule)


class Rules(Resource[C]):
    """Read and edit the ruleset (one per API key, at most 200,000 bytes: 413 beyond)."""

    @endpoint
    def list(self) -> Op[Any]:
        """The whole ruleset as a list of rule dicts (``GET /v3/rules``)."""
        return self._request("GET", "/v3/rules", parse_json)

    @endpoint
    def create(self, rule: Mapping[str, Any]) -> Op[Any]:
        """Append one rule (``POST /v3/rules``); returns it with its generated ``id``."""
        return self._request("POST", "/v3/rules", parse_json, json=_as_rule(rule))

    @endpoint
    def replace(self, rules: Sequence[Mapping[str, Any]]) -> Op[Any]:
        """Replace the whole ruleset (``POST /v3/rules/replace``); idempotent, so retried like a PUT."""
        body = [_as_rule(rule) for rule in rules]
        return self._request("POST", "/v3/rules/replace", parse_json, json=body, idempotent=True)

    @endpoint
    def update(self, rule_id: str, rule: Mapping[str, Any]) -> Op[Any]:
        """Replace one rule (``PATCH /v3/rules/{id}``)."""
        return self._request(
            "PATCH", f"/v3/rules/{path_segment(rule_id)}", parse_json, json=_as_rule(rule), idempotent=True
        )

    @endpoint
    def delete(self, rule_id: str) -> Op[None]:
        """Remove one rule (``DELETE /v3/rules/{id}``)."""
        return self._request("DELETE", f"/v3/rules/{path_segment(rule_id)}", parse_none)
