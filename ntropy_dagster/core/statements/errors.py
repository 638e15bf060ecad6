"""The errors of the bank-statement path: a statement that cannot go on until someone acts.

Both are :class:`~ntropy_dagster.core.errors.PipelineError`\\ s with ``retryable = False``: re-running the
same step cannot succeed (the file was rejected or is gone, the job failed on Ntropy, the previous step
has not run), so the Dagster layer fails the step without retries.
"""

from __future__ import annotations

from ntropy_dagster.core.errors import PipelineError, StatementNotReadyError


class StatementUnavailableError(StatementNotReadyError):
    """The statement was rejected before upload, never uploaded, its file is gone, or it has no stored
    results yet."""

    retryable = False

    def __init__(self, message: str, *, job_id: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.code = code


class StatementJobFailedError(PipelineError):
    """The statement's job ended in ``error`` on Ntropy; ``code`` and the message are the API's."""

    retryable = False

    def __init__(self, message: str, *, job_id: str, code: str | None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.code = code


class OutsideFolderError(StatementUnavailableError):
    """A statement path resolves (through a link) to a file outside the watched folder: never read."""
