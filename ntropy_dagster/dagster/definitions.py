"""One call from a raw-transactions asset to complete ``dg.Definitions``."""

from __future__ import annotations

from typing import Any

import dagster as dg

from ntropy_dagster.dagster.assets import CoercibleToAssetKey, build_ntropy_assets
from ntropy_dagster.dagster.resources import NtropyResource, NtropyWarehouseResource


def build_ntropy_definitions(
    raw_transactions: CoercibleToAssetKey,
    *,
    ntropy: NtropyResource | None = None,
    warehouse: NtropyWarehouseResource | None = None,
    **kwargs: Any,
) -> dg.Definitions:
    """The enrichment pipeline as Definitions: assets, checks, the batch sensor and both resources.

    A raw asset passed as an ``AssetsDefinition`` is included; one passed as a key is expected from
    another ``Definitions`` (merge them).

    ``ntropy`` defaults to ``NtropyResource(api_key=dg.EnvVar("NTROPY_API_KEY"))`` (with
    ``NTROPY_BASE_URL`` honoured when set), ``warehouse`` to an embedded SQLite file. Other keyword
    arguments go to :func:`~ntropy_dagster.dagster.assets.build_ntropy_assets`. Merge the result with your own
    definitions via ``dg.Definitions.merge``.
    """
    pipeline = build_ntropy_assets(raw_transactions, **kwargs)
    own_raw = [raw_transactions] if isinstance(raw_transactions, dg.AssetsDefinition) else []
    ntropy_key = kwargs.get("ntropy_resource_key", "ntropy")
    warehouse_key = kwargs.get("warehouse_resource_key", "ntropy_warehouse")
    return dg.Definitions(
        assets=[*own_raw, *pipeline.assets],
        asset_checks=pipeline.asset_checks,
        sensors=pipeline.sensors,
        resources={
            ntropy_key: ntropy or default_ntropy_resource(),
            warehouse_key: warehouse or NtropyWarehouseResource(),
        },
    )


def default_ntropy_resource() -> NtropyResource:
    """``NtropyResource`` configured from ``NTROPY_API_KEY`` (and ``NTROPY_BASE_URL`` if set)."""
    import os

    base_url = dg.EnvVar("NTROPY_BASE_URL") if os.environ.get("NTROPY_BASE_URL") else None
    return NtropyResource(api_key=dg.EnvVar("NTROPY_API_KEY"), base_url=base_url)
