"""Framework-agnostic client of the Ntropy v3 transaction-enrichment API.

Imports neither dagster, sqlalchemy nor pandas::

    from ntropy_dagster.client import NtropyClient, chunk_transactions

    with NtropyClient(api_key="...") as client:
        for chunk in chunk_transactions(rows):
            batch = client.batches.create(chunk)
            client.batches.wait(batch.id)
            records = client.batches.results_records(batch.id)

:class:`AsyncNtropyClient` has the same surface, awaited. Failures raise the typed errors of
:mod:`ntropy_dagster.client.errors`, all :class:`NtropyError`; every failed call (an error status, no
response, a response that does not parse) is an :class:`APIError` with its method, path and request id.
Retries follow :class:`RetryPolicy`.
"""

from __future__ import annotations

from ntropy_dagster.client._base import EU_BASE_URL, US_BASE_URL
from ntropy_dagster.client._client import AsyncNtropyClient, NtropyClient
from ntropy_dagster.client._retry import RetryPolicy
from ntropy_dagster.client.chunking import MAX_BATCH_SIZE, chunk_transactions
from ntropy_dagster.client.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BankStatementFailedError,
    BatchFailedError,
    ConflictError,
    InputValidationError,
    InternalServerError,
    NotFoundError,
    NtropyError,
    OutOfCreditsError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    TransactionValidationError,
    UnprocessableEntityError,
    WaitTimeoutError,
)
from ntropy_dagster.client.models import (
    WEBHOOK_EVENTS,
    AccountHolder,
    AccountHolderType,
    BankStatementAccount,
    BankStatementJob,
    BankStatementResults,
    BankStatementTransaction,
    Batch,
    BatchPriority,
    BatchResults,
    BatchStatus,
    CategorySet,
    EnrichedTransaction,
    Entity,
    Location,
    Page,
    RecurrenceGroup,
    Report,
    Rule,
    StatementInfo,
    Transaction,
    TransactionInput,
    Webhook,
)
from ntropy_dagster.client.pagination import AsyncPaginator, SyncPaginator
from ntropy_dagster.client.resources import NOT_GIVEN

__all__ = [
    "EU_BASE_URL",
    "MAX_BATCH_SIZE",
    "NOT_GIVEN",
    "US_BASE_URL",
    "WEBHOOK_EVENTS",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AccountHolder",
    "AccountHolderType",
    "AsyncNtropyClient",
    "AsyncPaginator",
    "AuthenticationError",
    "BadRequestError",
    "BankStatementAccount",
    "BankStatementFailedError",
    "BankStatementJob",
    "BankStatementResults",
    "BankStatementTransaction",
    "Batch",
    "BatchFailedError",
    "BatchPriority",
    "BatchResults",
    "BatchStatus",
    "CategorySet",
    "ConflictError",
    "EnrichedTransaction",
    "Entity",
    "InputValidationError",
    "InternalServerError",
    "Location",
    "NotFoundError",
    "NtropyClient",
    "NtropyError",
    "OutOfCreditsError",
    "Page",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "RecurrenceGroup",
    "Report",
    "RetryPolicy",
    "Rule",
    "StatementInfo",
    "SyncPaginator",
    "Transaction",
    "TransactionInput",
    "TransactionValidationError",
    "UnprocessableEntityError",
    "WaitTimeoutError",
    "Webhook",
    "chunk_transactions",
]
