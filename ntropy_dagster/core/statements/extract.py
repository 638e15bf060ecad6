"""From API objects to warehouse rows: masked account numbers, balances, transactions, enrichment input."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
import pandas as pd

from ntropy_dagster.client.models import BankStatementResults, StatementInfo

#: Account holder types the API accepts; anything else from verification (e.g. ``unknown``) maps to the
#: configured default.
HOLDER_TYPES = ("consumer", "business")
#: Balances reconcile when opening + incoming - outgoing is within this of closing.
CENT_TOLERANCE = 0.01 + 1e-9
_NON_DIGITS = re.compile(r"\D+")


def mask_account_number(number: str | None) -> str | None:
    """``****`` and the last 4 digits (``"****1234"``); None when the number has fewer than 4 digits.

    Only the mask is ever stored: statements are personal data, and the last 4 digits are what a
    person needs to tell accounts apart.
    """
    digits = _NON_DIGITS.sub("", number or "")
    return f"****{digits[-4:]}" if len(digits) >= 4 else None


def derive_account_holder_id(holder_name: str | None, account_number: str | None) -> str:
    """A stable account holder id from the holder's name and account number (``stmt-<hash>``).

    Assumption: the same person's statements of the same account (month after month, from any file)
    carry the same name and number, so they share an account holder and their recurring payments and
    income are found across statements. Only a hash is sent; the number itself never leaves the file.
    """
    name = " ".join((holder_name or "").casefold().split())
    digits = _NON_DIGITS.sub("", account_number or "")
    return "stmt-" + hashlib.sha256(f"{name}|{digits}".encode()).hexdigest()[:20]


def holder_type_of(info: StatementInfo | None, default: str) -> str:
    """The account holder type from fast verification, or ``default`` when unknown."""
    found = info.account_holder.type if info and info.account_holder else None
    return found if found in HOLDER_TYPES else default


def verify_columns(info: StatementInfo, default_holder_type: str) -> dict[str, Any]:
    """The ``bank_statements`` columns fast verification fills in (first page only)."""
    first = info.accounts[0] if info.accounts else None
    return {
        "institution": info.institution,
        "account_holder_name": info.account_holder.name if info.account_holder else None,
        "account_holder_type": holder_type_of(info, default_holder_type),
        "account_number_masked": ", ".join(
            m for m in (mask_account_number(a.number) for a in info.accounts) if m
        )
        or None,
        "currency": first.iso_currency_code if first else None,
        "opening_balance": first.opening_balance if first else None,
        "closing_balance": first.closing_balance if first else None,
        "start_date": info.start_date,
        "end_date": info.end_date,
    }


@dataclass
class ExtractedStatement:
    """A completed statement's rows: the statement's columns, one summary per account, transactions."""

    columns: dict[str, Any]
    accounts: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present), 2) if present and len(present) == len(values) else None


def extract_statement(statement_key: str, results: BankStatementResults) -> ExtractedStatement:
    """Rows for the ``bank_statements`` and ``bank_statement_transactions`` tables.

    The statement's flat balance columns are sums over its accounts (most statements have one; the
    per-account figures are in the ``accounts`` JSON column). ``is_reconciled`` is True only when every
    account reconciles.
    """
    out = ExtractedStatement(columns={})
    row_index = 0
    for account_index, account in enumerate(results.accounts):
        masked = mask_account_number(account.number)
        currency = next((t.currency for t in account.transactions), None)
        out.accounts.append(
            {
                "account_index": account_index,
                "account_number_masked": masked,
                "currency": currency,
                "opening_balance": account.opening_balance,
                "closing_balance": account.closing_balance,
                "total_incoming": account.total_incoming,
                "total_outgoing": account.total_outgoing,
                "start_date": account.start_date.isoformat() if account.start_date else None,
                "end_date": account.end_date.isoformat() if account.end_date else None,
                "is_balance_reconciled": account.is_balance_reconciled,
                "transaction_count": len(account.transactions),
            }
        )
        for txn in account.transactions:
            out.transactions.append(
                {
                    "statement_key": statement_key,
                    "transaction_id": txn.id,
                    "account_number_masked": masked,
                    "date": txn.date,
                    "description": txn.description,
                    "amount": txn.amount,
                    "entry_type": txn.entry_type,
                    "currency": txn.currency,
                    "running_balance": txn.running_balance,
                    "page_number": txn.page_number,
                    "account_index": account_index,
                    "row_index": row_index,
                }
            )
            row_index += 1
    accounts = results.accounts
    starts = [a.start_date for a in accounts if a.start_date]
    ends = [a.end_date for a in accounts if a.end_date]
    reconciled = [a.is_balance_reconciled for a in accounts]
    out.columns = {
        "account_number_masked": ", ".join(a["account_number_masked"] or "?" for a in out.accounts) or None,
        "currency": next((a["currency"] for a in out.accounts if a["currency"]), None),
        "opening_balance": _sum([a.opening_balance for a in accounts]),
        "closing_balance": _sum([a.closing_balance for a in accounts]),
        "total_incoming": _sum([a.total_incoming for a in accounts]),
        "total_outgoing": _sum([a.total_outgoing for a in accounts]),
        "start_date": min(starts) if starts else None,
        "end_date": max(ends) if ends else None,
        "is_reconciled": bool(reconciled) and all(r is True for r in reconciled),
        "account_count": len(accounts),
        "accounts": orjson.dumps(out.accounts).decode(),
        "transaction_count": len(out.transactions),
    }
    return out


def enrichment_frame(transactions: pd.DataFrame, account_holder_id: str, holder_type: str) -> pd.DataFrame:
    """The v3 input frame (id, description, date, amount, entry_type, currency, account holder) of a
    statement's stored transactions, for :func:`~ntropy_dagster.core.validation.validate_transactions`."""
    return pd.DataFrame(
        {
            "id": transactions["transaction_id"],
            "description": transactions["description"],
            "date": transactions["date"],
            "amount": transactions["amount"],
            "entry_type": transactions["entry_type"],
            "currency": transactions["currency"],
            "account_holder_id": account_holder_id,
            "account_holder_type": holder_type,
        }
    )


def reconciliation(accounts_json: str | None, transactions: pd.DataFrame) -> list[dict[str, Any]]:
    """Per account: opening + incoming - outgoing (from the extracted transactions) against closing.

    An account whose statement prints no opening or closing balance cannot be checked and counts as
    not reconciled.
    """
    accounts = orjson.loads(accounts_json) if accounts_json else []
    out = []
    for account in accounts:
        rows = transactions[transactions["account_index"] == account["account_index"]]
        incoming = float(rows.loc[rows["entry_type"] == "incoming", "amount"].sum())
        outgoing = float(rows.loc[rows["entry_type"] == "outgoing", "amount"].sum())
        opening, closing = account["opening_balance"], account["closing_balance"]
        expected = None if opening is None else round(opening + incoming - outgoing, 2)
        difference = None if expected is None or closing is None else round(closing - expected, 2)
        out.append(
            {
                "account": account["account_number_masked"],
                "opening_balance": opening,
                "incoming": round(incoming, 2),
                "outgoing": round(outgoing, 2),
                "closing_balance": closing,
                "expected_closing": expected,
                "difference": difference,
                "reconciled": difference is not None and abs(difference) <= CENT_TOLERANCE,
            }
        )
    return out
