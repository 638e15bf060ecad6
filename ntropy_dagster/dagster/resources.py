"""Dagster resources: authenticated Ntropy API access and the SQL warehouse the tables land in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import dagster as dg
from pydantic import Field, PrivateAttr, field_serializer

from ntropy_dagster.client import EU_BASE_URL, US_BASE_URL, NtropyClient, RetryPolicy
from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.validation import ColumnMapping
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.dagster.asset_decorator import declared_options
from ntropy_dagster.dagster.assets.steps import enrich_frame

_REDACTED = "**********"


class NtropyResource(dg.ConfigurableResource):
    """Authenticated access to the Ntropy v3 API.

    Configure the key from the environment so it never lands in code or in the Dagster UI::

        NtropyResource(api_key=dg.EnvVar("NTROPY_API_KEY"))

    ``get_client()`` returns one pooled :class:`~ntropy_dagster.client.NtropyClient` per resource
    instance; it is closed when the step that used it finishes.
    """

    api_key: str = Field(
        repr=False,
        description="Ntropy API key. Pass dg.EnvVar('NTROPY_API_KEY'); a literal value would be shown "
        "as the default of the resource's config in the Dagster UI.",
    )
    region: Literal["us", "eu"] = Field(
        default="us", description="API region: 'us' (api.ntropy.com) or 'eu' (api.eu.ntropy.com)."
    )
    base_url: str | None = Field(
        default=None,
        description="Overrides the region's URL, e.g. a sandbox started with `python -m ntropy_dagster.sandbox`.",
    )
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for each HTTP request.")
    max_attempts: int = Field(
        default=5, ge=1, description="Attempts per request for retryable failures (429, 502-504, network)."
    )
    max_retry_seconds: float = Field(
        default=120.0, gt=0, description="Upper bound on the time one request may spend retrying."
    )

    _client: NtropyClient | None = PrivateAttr(default=None)

    @field_serializer("api_key")
    def _redact_api_key(self, _value: str) -> str:
        return _REDACTED

    @property
    def resolved_base_url(self) -> str:
        """The URL requests go to: ``base_url`` if set, else the region's URL."""
        if self.base_url:
            return self.base_url.rstrip("/")
        return EU_BASE_URL if self.region == "eu" else US_BASE_URL

    def get_client(self) -> NtropyClient:
        """Return the (pooled, lazily created) Ntropy client for this resource."""
        if self._client is None:
            self._client = NtropyClient(
                api_key=self.api_key,
                base_url=self.resolved_base_url,
                timeout=self.timeout,
                retry=RetryPolicy(max_attempts=self.max_attempts, max_elapsed=self.max_retry_seconds),
            )
        return self._client

    def enrich(
        self,
        context: dg.AssetExecutionContext,
        frame: Any,
        *,
        warehouse: NtropyWarehouseResource,
        column_mapping: ColumnMapping | None = None,
        options: PipelineOptions | None = None,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        """Enrich ``frame`` (raw transactions, a pandas DataFrame) as the context's partition.

        Runs the factory's blocking path: validation (rejected rows are written to the warehouse),
        account holders, submission of what the ledger does not have yet (a re-run submits nothing),
        the wait for the batches and the upsert of their results. Yields the materialization (the
        table's standard metadata and the submission's) and the enriched checks' results, for the body
        of an :func:`~ntropy_dagster.dagster.asset_decorator.ntropy_enrichment_asset`. ``options``
        default to those given to the decorator, else ``PipelineOptions()``.
        """
        yield from enrich_frame(
            context,
            frame,
            self.get_client(),
            warehouse.get_warehouse(),
            column_mapping=column_mapping,
            options=options or declared_options(context) or PipelineOptions(),
        )

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class NtropyWarehouseResource(dg.ConfigurableResource):
    """The SQL warehouse the enriched tables and marts are written to (SQLAlchemy URL).

    SQLite (``sqlite:///path.db``, the default) and DuckDB (``duckdb:///path.duckdb``) are embedded;
    PostgreSQL (``postgresql+psycopg://user:pass@host/db``) is the production choice. Pass a URL with a
    password through ``dg.EnvVar``.
    """

    url: str = Field(
        default="sqlite:///ntropy_warehouse.db",
        repr=False,
        description="SQLAlchemy URL of the warehouse database.",
    )
    db_schema: str | None = Field(
        default=None, description="Schema (PostgreSQL/DuckDB) the tables are created in; None = default."
    )
    table_prefix: str = Field(default="ntropy_", description="Prefix of every table name.")

    _warehouse: Warehouse | None = PrivateAttr(default=None)

    @field_serializer("url")
    def _redact_url(self, value: str) -> str:
        return _redact_url_password(value)

    def get_warehouse(self) -> Warehouse:
        """Return the warehouse (lazy: no connection is made until the first query)."""
        if self._warehouse is None:
            self._warehouse = Warehouse(self.url, schema=self.db_schema, table_prefix=self.table_prefix)
        return self._warehouse

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._warehouse is not None:
            self._warehouse.dispose()
            self._warehouse = None


def _redact_url_password(url: str) -> str:
    """``postgresql://u:secret@h/db`` -> ``postgresql://u:***@h/db``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user, has_password, _ = creds.partition(":")
    return f"{scheme}://{user}:***@{host}" if has_password else url
