"""The specs of the three bank-statement assets, as the translator decides them, and their checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import dagster as dg

from ntropy_dagster.dagster.statements.options import BankStatementKeys
from ntropy_dagster.dagster.translator import DagsterNtropyTranslator, NtropyAssetName, NtropyAssetProps


class StepCheck(NamedTuple):
    """The check an asset evaluates in its own step."""

    name: str
    description: str


FILE_ACCEPTED = StepCheck("file_accepted", "The file is a non-empty PDF within the upload size limit.")
BALANCES_RECONCILE = StepCheck(
    "balances_reconcile",
    "Per account: opening balance + incoming - outgoing (summed over the extracted transactions) "
    "equals the closing balance within a cent.",
)
ALL_TRANSACTIONS_ENRICHED = StepCheck(
    "all_transactions_enriched",
    "Every transaction extracted from the statement is in the enriched table (source bank_statement).",
)


@dataclass(frozen=True)
class BankStatementSpecs:
    """The asset specs of the bank-statement path, used as the translator returned them."""

    submitted: dg.AssetSpec
    transactions: dg.AssetSpec
    enriched: dg.AssetSpec

    @property
    def keys(self) -> BankStatementKeys:
        """The three asset keys."""
        return BankStatementKeys(self.submitted.key, self.transactions.key, self.enriched.key)


def build_statement_specs(
    translator: DagsterNtropyTranslator,
    *,
    key_prefix: Sequence[str] = (),
    dialect: str | None = None,
    owners: Sequence[str] = (),
    tags: Mapping[str, str] | None = None,
) -> BankStatementSpecs:
    """Ask ``translator`` for each asset's spec; each one depends on the key the previous spec got."""

    def spec(name: NtropyAssetName, table_name: str, deps: Sequence[dg.AssetKey]) -> dg.AssetSpec:
        props = NtropyAssetProps(
            name,
            table_name=table_name,
            dialect=dialect,
            deps=tuple(deps),
            owners=tuple(owners),
            tags=dict(tags or {}),
            key_prefix=tuple(key_prefix),
        )
        return translator.get_asset_spec(props)

    submitted = spec("submitted_bank_statements", "bank_statements", ())
    transactions = spec("bank_statement_transactions", "bank_statement_transactions", [submitted.key])
    enriched = spec("bank_statement_enriched_transactions", "enriched_transactions", [transactions.key])
    return BankStatementSpecs(submitted, transactions, enriched)
