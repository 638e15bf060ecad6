"""Warehouse layer: Ntropy tables (SQLAlchemy Core) with fast bulk upserts on SQLite, DuckDB and PostgreSQL.

Framework-agnostic (no dagster imports). See :class:`Warehouse` for the API and
:mod:`ntropy_dagster.core.warehouse.tables` for the table definitions and type choices.
"""

from __future__ import annotations

from ntropy_dagster.core.warehouse.tables import MISSING_KEY, TABLE_NAMES, WarehouseTables
from ntropy_dagster.core.warehouse.warehouse import Warehouse

__all__ = ["MISSING_KEY", "TABLE_NAMES", "Warehouse", "WarehouseTables"]
