"""Bank-statement PDFs for the sandbox: a seeded generator of realistic statements and their parser.

Generate with :func:`make_statement_pdf` (layouts: see :data:`BANK_NAMES`), read back with
:func:`parse_statement` (the ``/v3/bank_statements/{id}/results`` body), :func:`verify_statement` (the
first-page ``StatementInfo``) and :func:`count_pages`. Reading failures raise :class:`StatementError`.
Files for the error paths come from :mod:`ntropy_dagster.sandbox.statements.samples`.
"""

from __future__ import annotations

from ntropy_dagster.sandbox.statements.banks import BANK_NAMES, printed_account_number
from ntropy_dagster.sandbox.statements.errors import ERROR_CODES, StatementError
from ntropy_dagster.sandbox.statements.fake_data import random_statement_spec
from ntropy_dagster.sandbox.statements.parser import count_pages, parse_statement, verify_statement
from ntropy_dagster.sandbox.statements.render import make_statement_pdf
from ntropy_dagster.sandbox.statements.samples import (
    make_corrupt_pdf,
    make_encrypted_pdf,
    make_non_statement_pdf,
    make_png_bytes,
    make_truncated_pdf,
)
from ntropy_dagster.sandbox.statements.spec import (
    StatementAccountSpec,
    StatementAddress,
    StatementSpec,
    StatementTransactionSpec,
)

__all__ = [
    "BANK_NAMES",
    "ERROR_CODES",
    "StatementAccountSpec",
    "StatementAddress",
    "StatementError",
    "StatementSpec",
    "StatementTransactionSpec",
    "count_pages",
    "make_corrupt_pdf",
    "make_encrypted_pdf",
    "make_non_statement_pdf",
    "make_png_bytes",
    "make_statement_pdf",
    "make_truncated_pdf",
    "parse_statement",
    "printed_account_number",
    "random_statement_spec",
    "verify_statement",
]
