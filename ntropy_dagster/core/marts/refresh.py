"""Refresh the marts in the warehouse: recurring groups from the API, income sources derived locally."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa

from ntropy_dagster.client import NtropyClient, NtropyError
from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.marts.rules import (
    INCOME_TRANSACTION_COLUMNS,
    income_source_rows,
    recurring_group_rows,
)
from ntropy_dagster.core.warehouse import Warehouse

logger = logging.getLogger(__name__)


@dataclass
class GroupsRefresh:
    """What :func:`refresh_recurring_groups` did: the holders refreshed and those that failed (with why)."""

    refreshed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def refresh_recurring_groups(
    client: NtropyClient,
    warehouse: Warehouse,
    *,
    as_of_mode: str = "data",
    log: logging.Logger | Any = logger,
) -> GroupsRefresh:
    """Refresh the recurring groups of every account holder with enriched rows newer than its groups.

    Each holder's groups replace its previous ones, in one transaction. A holder whose refresh fails (an API
    error that outlived the retries) keeps its previous groups, gets the reason in
    ``account_holders.groups_error`` and is tried again next time; the other holders are still refreshed.
    """
    enriched = warehouse.tables.enriched_transactions
    holders_t = warehouse.tables.account_holders
    with warehouse.engine.connect() as conn:
        latest = conn.execute(
            sa.select(
                enriched.c.account_holder_id,
                sa.func.max(enriched.c.enriched_at),
                sa.func.max(enriched.c.date),
            )
            .where(enriched.c.account_holder_id != "")
            .group_by(enriched.c.account_holder_id)
        ).all()
        refreshed = dict(
            conn.execute(sa.select(holders_t.c.account_holder_id, holders_t.c.groups_refreshed_at)).all()
        )
    result = GroupsRefresh()
    today = dt.date.today()
    for holder_id, last_enriched, last_date in latest:
        previous = refreshed.get(holder_id)
        if previous is not None and last_enriched is not None and _naive(previous) >= _naive(last_enriched):
            continue
        as_of = today if as_of_mode == "today" else _as_date(last_date) or today
        try:
            count = _refresh_holder(client, warehouse, holder_id, as_of)
        except NtropyError as exc:
            result.failed[holder_id] = str(exc)
            warehouse.upsert("account_holders", [{"account_holder_id": holder_id, "groups_error": str(exc)}])
            log.warning(f"Account holder {holder_id}: recurring groups not refreshed: {exc}")
            continue
        log.info(f"Account holder {holder_id}: {count} recurring group(s)")
        result.refreshed.append(holder_id)
    return result


def _refresh_holder(client: NtropyClient, warehouse: Warehouse, holder_id: str, as_of: dt.date) -> int:
    """Replace one holder's groups with the API's current ones; return how many it has."""
    groups = [g.model_dump(mode="json") for g in client.account_holders.recurring_groups(holder_id)]
    amounts, currencies = _transaction_facts(warehouse, holder_id)
    group_rows, link_rows = recurring_group_rows(
        groups, account_holder_id=holder_id, as_of=as_of, currency_by_tx=currencies, amounts_by_tx=amounts
    )
    now = utcnow()
    for row in group_rows:
        row["refreshed_at"] = now
    with warehouse.begin() as conn:
        warehouse.delete_where("recurring_group_transactions", account_holder_id=holder_id, conn=conn)
        warehouse.delete_where("recurring_groups", account_holder_id=holder_id, conn=conn)
        if group_rows:
            warehouse.upsert("recurring_groups", group_rows, conn=conn)
        if link_rows:
            warehouse.upsert("recurring_group_transactions", link_rows, conn=conn)
        warehouse.upsert(
            "account_holders",
            [{"account_holder_id": holder_id, "groups_refreshed_at": now, "groups_error": None}],
            conn=conn,
        )
    return len(group_rows)


def refresh_income(warehouse: Warehouse, *, as_of_mode: str = "data", holders_per_chunk: int = 500) -> int:
    """Rebuild the income-sources mart from the recurring groups and incoming enriched transactions.

    Works through account holders in chunks so memory stays bounded. Returns the number of sources.
    """
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        holders = [
            r[0]
            for r in conn.execute(
                sa.select(enriched.c.account_holder_id)
                .where(enriched.c.account_holder_id != "")
                .distinct()
                .order_by(enriched.c.account_holder_id)
            )
        ]
    total = 0
    now = utcnow()
    for start in range(0, len(holders), holders_per_chunk):
        chunk = holders[start : start + holders_per_chunk]
        groups = warehouse.read_frame(
            sa.select(warehouse.tables.recurring_groups).where(
                warehouse.tables.recurring_groups.c.account_holder_id.in_(chunk)
            )
        )
        incoming = warehouse.read_frame(
            sa.select(*(enriched.c[c] for c in INCOME_TRANSACTION_COLUMNS)).where(
                enriched.c.account_holder_id.in_(chunk) & (enriched.c.entry_type == "incoming")
            )
        )
        as_of = dt.date.today()
        if as_of_mode == "data" and not incoming.empty:
            as_of = _as_date(pd.to_datetime(incoming["date"]).max()) or as_of
        # The frame's columns are the table's column names (pandas types record keys as any Hashable).
        group_rows = cast("list[dict[str, Any]]", groups.to_dict("records"))
        rows = income_source_rows(group_rows, incoming, as_of=as_of)
        for row in rows:
            row["refreshed_at"] = now
        for holder_id in chunk:
            warehouse.delete_where("income_sources", account_holder_id=holder_id)
        if rows:
            warehouse.upsert("income_sources", rows)
        total += len(rows)
    return total


def _transaction_facts(warehouse: Warehouse, holder_id: str) -> tuple[dict[str, float], dict[str, str]]:
    enriched = warehouse.tables.enriched_transactions
    with warehouse.engine.connect() as conn:
        rows = conn.execute(
            sa.select(enriched.c.transaction_id, enriched.c.amount, enriched.c.currency).where(
                enriched.c.account_holder_id == holder_id
            )
        ).all()
    return {r[0]: float(r[1]) for r in rows}, {r[0]: r[2] for r in rows}


def _naive(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=None) if value.tzinfo else value


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
