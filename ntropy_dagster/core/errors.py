"""Errors of the pipeline itself (not of one API call), under the package's one root.

Every failure a user can meet derives from :class:`~ntropy_dagster.client.NtropyError`: API and transport
errors from :class:`~ntropy_dagster.client.APIError`, the pipeline's own from :class:`PipelineError`. Each
pipeline error carries the ids it concerns in :attr:`PipelineError.batch_ids`, so the Dagster layer shows
them on the failed step.
"""

from __future__ import annotations

from collections.abc import Sequence

from ntropy_dagster.client.errors import NtropyError


class PipelineError(NtropyError, RuntimeError):
    """The pipeline cannot go on with this partition or statement; the message says what to do next."""

    def __init__(self, message: str, *, batch_ids: Sequence[str] = ()) -> None:
        self.message = message
        self.batch_ids = list(batch_ids)
        super().__init__(message)


class PartitionNotReadyError(PipelineError):
    """The partition's batches are still processing on Ntropy (``batch_ids`` names them)."""


class PartitionNotSubmittedError(PartitionNotReadyError):
    """The partition's current content was never (completely) submitted: a submission must run first.

    Not retryable: running the enrichment again cannot change it.
    """

    retryable = False


class SlotTimeoutError(PipelineError):
    """No in-flight slot freed up within ``slot_timeout``."""


class BatchWaitTimeoutError(PipelineError):
    """Blocking mode: the partition's batches were still processing when the wait ran out."""


class ResultMismatchError(PipelineError):
    """A batch's results do not cover exactly the transactions that were submitted in it."""


class StatementNotReadyError(PipelineError):
    """A bank statement was rejected, never uploaded, or has no stored results yet."""


class WarehouseLocationError(PipelineError, ValueError):
    """The folder of an embedded warehouse file does not exist and cannot be created."""

    retryable = False


class PartitionRejectedError(PipelineError):
    """Every row of the partition was rejected by validation (the message names the main causes)."""

    retryable = False


class BatchDetachedError(PipelineError):
    """A batch's results did not match its chunk: the chunk was detached and goes back for resubmission.

    The other chunks were stored. Not retryable as it is: the resubmission (requested by the batch sensor,
    or the next round of a blocking step) must come first.
    """

    retryable = False
