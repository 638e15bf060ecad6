"""The one exception type raised by the bank-statement parser."""

from __future__ import annotations

#: Error codes (Assumption: Ntropy does not document bank-statement ``error.code`` values; these are ours).
ERROR_CODES = (
    "empty_file",
    "invalid_file_type",
    "encrypted_file",
    "corrupted_file",
    "unparseable_statement",
)


class StatementError(Exception):
    """A bank-statement file could not be read; ``code`` is one of :data:`ERROR_CODES`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The ``{"code", "message"}`` shape of ``BankStatementJob.error``."""
        return {"code": self.code, "message": self.message}
