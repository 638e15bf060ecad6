"""The attribute keys earlier versions of the component used, moved to where they live now.

Pipeline settings were top-level keys (``batch_size: 500``) and the sensor had an ``automation:``
block; they are now fields of ``options:`` (the :class:`~ntropy_dagster.core.options.PipelineOptions`)
and top-level ``sensor_name`` / ``sensor_default_status``, as in Python. A ``defs.yaml`` written for
the earlier layout still loads, with a ``FutureWarning`` naming the new place of each key.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, model_validator

#: Old top-level key -> field of ``options``.
LEGACY_OPTION_KEYS: Mapping[str, str] = {
    "batch_size": "batch_size",
    "max_in_flight": "max_in_flight",
    "max_attempts": "max_attempts",
    "error_rate_threshold": "error_rate_threshold",
    "marts_as_of": "marts_as_of",
    "blocking_timeout_seconds": "blocking_timeout",
}
#: Old key of the ``automation`` block -> (new parent key or None for top level, new key).
LEGACY_AUTOMATION_KEYS: Mapping[str, tuple[str | None, str]] = {
    "minimum_interval_seconds": ("options", "sensor_interval_seconds"),
    "sensor_default_status": (None, "sensor_default_status"),
    "sensor_name": (None, "sensor_name"),
}


def _put(data: dict[str, Any], parent: str | None, key: str, value: Any, old: str) -> str:
    """Set ``data[parent][key]`` (or ``data[key]``) unless the new key is already given."""
    target = data if parent is None else data.setdefault(parent, {})
    new = key if parent is None else f"{parent}.{key}"
    if not isinstance(target, dict):
        raise ValueError(f"{old} moved to {new}: give it there, {parent} is not a mapping")
    if key in target:
        raise ValueError(f"{old} moved to {new}: give it once, in {new}")
    target[key] = value
    return new


def move_legacy_keys(data: Any) -> Any:
    """The attributes with every legacy key moved to its new place (a FutureWarning lists them)."""
    if not isinstance(data, Mapping):
        return data
    data = {key: dict(value) if isinstance(value, Mapping) else value for key, value in data.items()}
    moved: dict[str, str] = {}
    for old, new in LEGACY_OPTION_KEYS.items():
        if old in data:
            moved[old] = _put(data, "options", new, data.pop(old), old)
    automation = data.pop("automation", None)
    if isinstance(automation, Mapping):
        for old, value in automation.items():
            if old not in LEGACY_AUTOMATION_KEYS:
                raise ValueError(f"automation.{old} is not a setting (automation: is a legacy block)")
            parent, new = LEGACY_AUTOMATION_KEYS[old]
            moved[f"automation.{old}"] = _put(data, parent, new, value, f"automation.{old}")
    elif automation is not None:
        data["automation"] = automation  # not a mapping: let validation report it
    if moved:
        renamed = ", ".join(f"{old} -> {new}" for old, new in moved.items())
        warnings.warn(
            f"NtropyEnrichmentComponent: renamed attributes: {renamed}", FutureWarning, stacklevel=2
        )
    return data


@functools.cache
def with_legacy_keys(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` that also accepts the legacy keys (its JSON schema shows only the current ones)."""

    class WithLegacyKeys(model):  # type: ignore[valid-type, misc]
        @model_validator(mode="before")
        @classmethod
        def _move_legacy_keys(cls, data: Any) -> Any:
            return move_legacy_keys(data)

    WithLegacyKeys.__name__ = WithLegacyKeys.__qualname__ = model.__name__
    return WithLegacyKeys
