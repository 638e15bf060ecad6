"""One call from a raw-transactions asset to complete ``dg.Definitions``."""

from __future__ import annotations

import os
from typing import Any

import dagster as dg
import sqlalchemy as sa

from ntropy_dagster.dagster.assets import CoercibleToAssetKey, build_ntropy_assets
from ntropy_dagster.dagster.pipeline import NTROPY_RESOURCE_KEY, WAREHOUSE_RESOURCE_KEY
from ntropy_dagster.dagster.resources import NtropyResource, NtropyWarehouseResource


def build_ntropy_definitions(
    raw_transactions: CoercibleToAssetKey,
    *,
    ntropy: NtropyResource | None = None,
    warehouse: NtropyWarehouseResource | None = None,
    **kwargs: Any,
) -> dg.Definitions:
    """The enrichment pipeline as Definitions: assets, checks, the sensors and both resources.

    The sensors are the batch sensor (sensor mode) and, with the marts, the marts automation sensor,
    both running by default: after a backfill of the raw partitions the Dagster daemon alone brings
    every asset up to date, marts included.

    A raw asset passed as an ``AssetsDefinition`` is included; one passed as a key is expected from
    another ``Definitions`` (merge them).

    ``ntropy`` defaults to ``NtropyResource(api_key=dg.EnvVar("NTROPY_API_KEY"))`` (with
    ``NTROPY_BASE_URL`` honoured when set), ``warehouse`` to an embedded SQLite file. Other keyword
    arguments go to :func:`~ntropy_dagster.dagster.assets.build_ntropy_assets`; when ``dialect`` is not
    one of them, it is read from the warehouse URL if that is a literal (never connecting). Merge the
    result with your own definitions via ``dg.Definitions.merge``.
    """
    warehouse = warehouse or NtropyWarehouseResource()
    if kwargs.get("dialect") is None:
        kwargs["dialect"] = warehouse_dialect(warehouse)
    pipeline = build_ntropy_assets(raw_transactions, **kwargs)
    own_raw = [raw_transactions] if isinstance(raw_transactions, dg.AssetsDefinition) else []
    return dg.Definitions(
        assets=[*own_raw, *pipeline.assets],
        asset_checks=pipeline.asset_checks,
        sensors=pipeline.sensors,
        resources={
            kwargs.get("ntropy_resource_key", NTROPY_RESOURCE_KEY): ntropy or default_ntropy_resource(),
            kwargs.get("warehouse_resource_key", WAREHOUSE_RESOURCE_KEY): warehouse,
        },
    )


def warehouse_dialect(warehouse: NtropyWarehouseResource) -> str | None:
    """The SQL dialect of the warehouse's URL (``sqlite``, ``duckdb``, ``postgresql``, ...), parsed
    without connecting; None when the URL is read from the environment at run time or does not parse."""
    url = warehouse.url
    if isinstance(url, dg.EnvVar) or not url:
        return None
    try:
        return sa.engine.make_url(url).get_backend_name()
    except sa.exc.ArgumentError:
        return None


def default_ntropy_resource() -> NtropyResource:
    """``NtropyResource`` configured from ``NTROPY_API_KEY`` (and ``NTROPY_BASE_URL`` if set)."""
    base_url = dg.EnvVar("NTROPY_BASE_URL") if os.environ.get("NTROPY_BASE_URL") else None
    return NtropyResource(api_key=dg.EnvVar("NTROPY_API_KEY"), base_url=base_url)
