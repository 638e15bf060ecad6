"""How ntropy-dagster's assets are named, grouped, tagged and automated in Dagster.

Every default of an asset (key, group, description, kinds, deps, owners, tags, automation condition)
is decided in :meth:`DagsterNtropyTranslator.get_asset_spec` from the :class:`NtropyAssetProps` the
factories hand it, and the spec it returns is used as it is, on the transaction and the bank-statement
path alike. Subclass the translator and override ``get_asset_spec`` to change anything; call
``super()`` and ``.replace_attributes()`` / ``.merge_attributes()`` on the result to change one thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import dagster as dg

NtropyAssetName = Literal[
    "account_holders",
    "batches",
    "enriched_transactions",
    "recurring_groups",
    "income",
    "submitted_bank_statements",
    "bank_statement_transactions",
    "bank_statement_enriched_transactions",
]

#: The assets of the bank-statement path (their own group, one partition per PDF).
STATEMENT_ASSETS: frozenset[str] = frozenset(
    {"submitted_bank_statements", "bank_statement_transactions", "bank_statement_enriched_transactions"}
)
#: Group of the transaction path's assets and of the bank-statement path's.
GROUP_NAME = "ntropy"
STATEMENT_GROUP_NAME = "ntropy_bank_statements"

_DESCRIPTIONS: Mapping[str, str] = {
    "account_holders": "Ntropy account holders (consumer or business) for every account holder id seen in the "
    "raw transactions. Creating one that already exists is a no-op.",
    "batches": "Raw transactions validated and submitted to Ntropy as batches of at most 24,960. Invalid rows go "
    "to the rejected-transactions table with the field and reason; batch ids and a content hash are recorded "
    "so that a re-run of the same content never pays twice.",
    "enriched_transactions": "Transactions enriched by Ntropy: counterparty (merchant or person) with website, "
    "logo and MCCs, intermediaries, category, structured location, and the per-item error if any.",
    "recurring_groups": "Recurring payments per account holder (subscriptions, bills, salary) from Ntropy's "
    "recurrence groups, with derived is_active, next expected date and amount, and monthly equivalent.",
    "income": "Income sources per account holder (salary, benefits, rental, transfers...) with pay frequency, "
    "average amount, next expected pay date and a monthly income estimate.",
    "submitted_bank_statements": "Bank-statement PDFs uploaded to Ntropy, one partition per file. Empty files, "
    "files over the size limit and files that are not PDFs are recorded as rejected (with the reason) and not "
    "uploaded. The job id is recorded in the bank_statements table, so a re-run re-attaches instead of paying "
    "twice.",
    "bank_statement_transactions": "Accounts and transactions Ntropy extracted from each statement: "
    "institution, masked account numbers, opening/closing balances, totals, period, reconciliation flag; "
    "transactions with running balance and page number. A statement whose job failed fails this run with the "
    "API's reason.",
    "bank_statement_enriched_transactions": "The statement's transactions enriched by Ntropy (same pipeline and "
    "table as the raw transactions, with source = 'bank_statement'): counterparty, category, location, "
    "per-item error.",
}


@dataclass(frozen=True)
class NtropyAssetProps:
    """Everything the translator knows about one ntropy-dagster asset: the defaults it turns into a spec.

    Attributes:
        name: the logical asset (one of :data:`NtropyAssetName`).
        table_name: the warehouse table it writes (None for assets that only call the API).
        dialect: the warehouse's SQL dialect (``sqlite``, ``duckdb``, ``postgresql``), shown as a kind;
            None when the URL is only known at run time.
        deps: the asset keys it reads from.
        owners, tags: what the factory was asked to put on every asset.
        automation_condition: the default automation condition (the marts refresh when the enriched
            table changes); None for assets that sensors or backfills materialize.
        key_prefix: prefix of the default key.
        skippable: a run may end the asset's step without materializing it (the sensor-mode enriched
            asset, while the partition's batches are still processing on Ntropy): Dagster then skips
            what depends on it in that run instead of failing.
    """

    name: NtropyAssetName
    table_name: str | None = None
    dialect: str | None = None
    deps: Sequence[dg.AssetKey] = field(default_factory=tuple)
    owners: Sequence[str] = field(default_factory=tuple)
    tags: Mapping[str, str] = field(default_factory=dict)
    automation_condition: dg.AutomationCondition | None = None
    key_prefix: Sequence[str] = field(default_factory=tuple)
    skippable: bool = False

    @property
    def is_statement_asset(self) -> bool:
        """Whether the asset belongs to the bank-statement path."""
        return self.name in STATEMENT_ASSETS


class DagsterNtropyTranslator:
    """Maps :class:`NtropyAssetProps` to the :class:`dagster.AssetSpec` of each asset.

    Default keys: ``ntropy_<name>`` on the transaction path (``ntropy_batches``,
    ``ntropy_enriched_transactions``, ...) in group ``ntropy``; the statement assets keep their names
    (``submitted_bank_statements``, ...) in group ``ntropy_bank_statements``. Kinds: ``ntropy``, ``table``
    for assets that write one, the warehouse dialect when known, ``pdf`` on the statement path.
    """

    def get_asset_spec(self, props: NtropyAssetProps) -> dg.AssetSpec:
        """Return the complete spec of one asset; the factories use it as it is."""
        kinds = {"ntropy"}
        if props.table_name:
            kinds.add("table")
            if props.dialect:
                kinds.add(props.dialect)
        if props.is_statement_asset:
            kinds.add("pdf")
        name = props.name if props.is_statement_asset else f"ntropy_{props.name}"
        return dg.AssetSpec(
            key=dg.AssetKey([*props.key_prefix, name]),
            group_name=STATEMENT_GROUP_NAME if props.is_statement_asset else GROUP_NAME,
            description=_DESCRIPTIONS[props.name],
            kinds=kinds,
            deps=list(props.deps),
            owners=list(props.owners) or None,
            tags=dict(props.tags) or None,
            automation_condition=props.automation_condition,
            skippable=props.skippable,
        )
