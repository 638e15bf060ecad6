"""Settings and asset keys shared by the bank-statement assets and sensors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from ntropy_dagster.core.options import PipelineOptions
from ntropy_dagster.core.statements.enrich import SOURCE, SUBMISSION_PREFIX, submission_key
from ntropy_dagster.core.statements.files import DEFAULT_MAX_FILE_BYTES, StatementFolder
from ntropy_dagster.core.warehouse import Warehouse
from ntropy_dagster.dagster.translator import STATEMENT_GROUP_NAME

#: Name of the dynamic partitions definition (one partition per statement file).
PARTITIONS_NAME = "ntropy_bank_statements"
#: Asset group of every bank-statement asset (the translator's default).
GROUP_NAME = STATEMENT_GROUP_NAME

__all__ = [
    "GROUP_NAME",
    "PARTITIONS_NAME",
    "SOURCE",
    "SUBMISSION_PREFIX",
    "BankStatementKeys",
    "BankStatementOptions",
    "submission_key",
]


@dataclass(frozen=True)
class BankStatementKeys:
    """The asset keys of the bank-statement path."""

    submitted: dg.AssetKey
    transactions: dg.AssetKey
    enriched: dg.AssetKey


@dataclass(frozen=True)
class BankStatementOptions:
    """How statements are found, uploaded, read and enriched (see :func:`build_bank_statement_assets`).

    The statement path's own settings; every number it shares with the transaction path (timeouts, poll
    and sensor intervals, tick budget, batch settings) is in ``options``.
    """

    folder: StatementFolder
    partitions_def: dg.DynamicPartitionsDefinition
    keys: BankStatementKeys
    verify: bool = True
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    account_holder_id: str | None = None
    default_account_holder_type: str = "consumer"
    options: PipelineOptions = field(default_factory=PipelineOptions)
    ntropy_resource_key: str = "ntropy"
    warehouse_resource_key: str = "ntropy_warehouse"

    def __post_init__(self) -> None:
        if self.default_account_holder_type not in ("consumer", "business"):
            raise ValueError(
                "default_account_holder_type must be consumer or business, "
                f"got {self.default_account_holder_type!r}"
            )
        if self.max_file_bytes < 1:
            raise ValueError("max_file_bytes must be positive")

    @property
    def resource_keys(self) -> set[str]:
        """The resources every API-calling step needs."""
        return {self.ntropy_resource_key, self.warehouse_resource_key}

    def warehouse(self, context: Any) -> Warehouse:
        """The warehouse of the context's warehouse resource, its tables created if missing."""
        warehouse: Warehouse = getattr(context.resources, self.warehouse_resource_key).get_warehouse()
        warehouse.ensure_schema()
        return warehouse

    def resources(self, context: Any) -> tuple[Any, Warehouse]:
        """The context's Ntropy resource and warehouse (schema ensured)."""
        return getattr(context.resources, self.ntropy_resource_key), self.warehouse(context)
