"""One module per API resource; each class serves both the sync and the async client."""

from __future__ import annotations

from ntropy_dagster.client.resources.account_holders import AccountHolders
from ntropy_dagster.client.resources.bank_statements import BankStatements
from ntropy_dagster.client.resources.batches import Batches
from ntropy_dagster.client.resources.categories import CategorySets
from ntropy_dagster.client.resources.entities import Entities
from ntropy_dagster.client.resources.reports import Reports
from ntropy_dagster.client.resources.rules import Rules
from ntropy_dagster.client.resources.transactions import Transactions
from ntropy_dagster.client.resources.webhooks import NOT_GIVEN, Webhooks

__all__ = [
    "NOT_GIVEN",
    "AccountHolders",
    "BankStatements",
    "Batches",
    "CategorySets",
    "Entities",
    "Reports",
    "Rules",
    "Transactions",
    "Webhooks",
]
