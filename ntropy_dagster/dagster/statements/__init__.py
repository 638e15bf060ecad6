"""The bank-statement path: PDFs in a folder -> Ntropy extraction -> statements, balances and enriched
transactions in the warehouse.

:func:`build_bank_statement_assets` returns a :class:`BankStatementPipeline` (assets, checks, sensors and
the dynamic partitions definition) for ``dg.Definitions``. Pass ``pipeline.keys.enriched`` in
``extra_mart_deps`` of :func:`~ntropy_dagster.build_ntropy_assets` so the recurring-groups and income
marts read the statements' transactions too.
"""

from __future__ import annotations

from ntropy_dagster.core.statements.extract import derive_account_holder_id, mask_account_number
from ntropy_dagster.core.statements.files import (
    DEFAULT_MAX_FILE_BYTES,
    StatementFolder,
    check_statement_bytes,
    statement_partition_key,
)
from ntropy_dagster.dagster.statements.factory import BankStatementPipeline, build_bank_statement_assets
from ntropy_dagster.dagster.statements.options import (
    GROUP_NAME,
    PARTITIONS_NAME,
    BankStatementKeys,
    BankStatementOptions,
    submission_key,
)
from ntropy_dagster.dagster.statements.specs import BankStatementSpecs

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "GROUP_NAME",
    "PARTITIONS_NAME",
    "BankStatementKeys",
    "BankStatementOptions",
    "BankStatementPipeline",
    "BankStatementSpecs",
    "StatementFolder",
    "build_bank_statement_assets",
    "check_statement_bytes",
    "derive_account_holder_id",
    "mask_account_number",
    "statement_partition_key",
    "submission_key",
]
