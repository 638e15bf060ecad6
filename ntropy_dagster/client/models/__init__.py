"""Pydantic v2 models of the Ntropy v3 API, one module per resource."""

from __future__ import annotations

from ntropy_dagster.client.models._common import AccountHolderType, Identifier, Page
from ntropy_dagster.client.models.account_holders import AccountHolder, AccountHolderCreate, RecurrenceGroup
from ntropy_dagster.client.models.bank_statements import (
    BankStatementAccount,
    BankStatementError,
    BankStatementFile,
    BankStatementJob,
    BankStatementResults,
    BankStatementTransaction,
    StatementInfo,
)
from ntropy_dagster.client.models.batches import Batch, BatchPriority, BatchResults, BatchStatus
from ntropy_dagster.client.models.categories import CategorySet
from ntropy_dagster.client.models.entities import Entity
from ntropy_dagster.client.models.reports import Report
from ntropy_dagster.client.models.transactions import (
    Categories,
    Counterparty,
    EnrichedTransaction,
    Entities,
    Intermediary,
    Location,
    LocationOutput,
    StructuredLocation,
    Transaction,
    TransactionError,
    TransactionInput,
)
from ntropy_dagster.client.models.webhooks import WEBHOOK_EVENTS, Webhook

Rule = dict
"""Personalisation rules are plain JSON dicts (the grammar is open-ended, contract §2.8)."""

__all__ = [
    "WEBHOOK_EVENTS",
    "AccountHolder",
    "AccountHolderCreate",
    "AccountHolderType",
    "BankStatementAccount",
    "BankStatementError",
    "BankStatementFile",
    "BankStatementJob",
    "BankStatementResults",
    "BankStatementTransaction",
    "Batch",
    "BatchPriority",
    "BatchResults",
    "BatchStatus",
    "Categories",
    "CategorySet",
    "Counterparty",
    "EnrichedTransaction",
    "Entities",
    "Entity",
    "Identifier",
    "Intermediary",
    "Location",
    "LocationOutput",
    "Page",
    "RecurrenceGroup",
    "Report",
    "Rule",
    "StatementInfo",
    "StructuredLocation",
    "Transaction",
    "TransactionError",
    "TransactionInput",
    "Webhook",
]
