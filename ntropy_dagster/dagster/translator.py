"""How ntropy-dagster's assets are named, grouped and tagged in Dagster.

Subclass :class:`DagsterNtropyTranslator` and override :meth:`~DagsterNtropyTranslator.get_asset_spec`
to change asset keys, groups, owners or tags; call ``super()`` and ``.replace_attributes()`` /
``.merge_attributes()`` on the result to change just one thing.
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
]

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
}


@dataclass(frozen=True)
class NtropyAssetProps:
    """What the translator knows about one ntropy-dagster asset.

    Attributes:
        name: the logical asset (one of :data:`NtropyAssetName`).
        table_name: the warehouse table it writes (None for assets that only call the API).
        dialect: the warehouse's SQL dialect (``sqlite``, ``duckdb``, ``postgresql``), used as a kind.
        deps: the asset keys it reads from.
    """

    name: NtropyAssetName
    table_name: str | None = None
    dialect: str | None = None
    deps: Sequence[dg.AssetKey] = field(default_factory=tuple)


class DagsterNtropyTranslator:
    """Maps :class:`NtropyAssetProps` to the :class:`dagster.AssetSpec` of each asset.

    The default keys are ``ntropy_<name>`` (``ntropy_batches``, ``ntropy_enriched_transactions``, ...),
    all in the ``ntropy`` group, with kinds ``ntropy`` and the warehouse dialect.
    """

    def get_asset_spec(self, props: NtropyAssetProps) -> dg.AssetSpec:
        """Return the spec (key, group, description, kinds, tags, owners, deps) for one asset."""
        kinds = {"ntropy"}
        if props.dialect:
            kinds.add(props.dialect)
        if props.table_name:
            kinds.add("table")
        return dg.AssetSpec(
            key=dg.AssetKey(f"ntropy_{props.name}"),
            group_name="ntropy",
            description=_DESCRIPTIONS[props.name],
            kinds=kinds,
            deps=list(props.deps),
        )
