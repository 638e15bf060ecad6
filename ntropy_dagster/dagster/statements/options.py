"""Settings and asset keys shared by the bank-statement assets and sensors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from ntropy_dagster.core.options import SubmitOptions
from ntropy_dagster.core.statements.files import DEFAULT_MAX_FILE_BYTES, StatementFolder

#: Name of the dynamic partitions definition (one partition per statement file).
PARTITIONS_NAME = "ntropy_bank_statements"
#: Asset group of every bank-statement asset.
GROUP_NAME = "ntropy_bank_statements"
#: Partition keys of the transaction pipeline's batch ledger are ``statement:<statement partition>``.
SUBMISSION_PREFIX = "statement:"
#: ``source`` of the statement rows in the enriched-transactions table.
SOURCE = "bank_statement"


def submission_key(statement_key: str) -> str:
    """The batch-ledger partition key of a statement's enrichment batches."""
    return f"{SUBMISSION_PREFIX}{statement_key}"


@dataclass(frozen=True)
class BankStatementKeys:
    """The asset keys of the bank-statement path."""

    submitted: dg.AssetKey
    transactions: dg.AssetKey
    enriched: dg.AssetKey


@dataclass(frozen=True)
class BankStatementOptions:
    """How statements are found, uploaded, read and enriched (see :func:`build_bank_statement_assets`)."""

    folder: StatementFolder
    partitions_def: dg.DynamicPartitionsDefinition
    keys: BankStatementKeys
    verify: bool = True
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    account_holder_id: str | None = None
    default_account_holder_type: str = "consumer"
    submit_options: SubmitOptions = field(default_factory=SubmitOptions)
    blocking_timeout: float = 3600.0
    poll_interval: float = 2.0
    ntropy_resource_key: str = "ntropy"
    warehouse_resource_key: str = "ntropy_warehouse"

    @property
    def resource_keys(self) -> set[str]:
        """The resources every API-calling step needs."""
        return {self.ntropy_resource_key, self.warehouse_resource_key}

    def resources(self, context: Any) -> tuple[Any, Any]:
        """The context's Ntropy resource and warehouse (schema ensured)."""
        ntropy = getattr(context.resources, self.ntropy_resource_key)
        warehouse = getattr(context.resources, self.warehouse_resource_key).get_warehouse()
        warehouse.ensure_schema()
        return ntropy, warehouse
