"""The durable state of remote work, kept in a warehouse table: the base of the batch ledger and of the
bank-statement state.

Both record, per natural key, what was sent to Ntropy and what became of it, so that a re-run, the
sensor daemon and a run on another process see the same thing. :class:`WarehouseState` holds what they
share: reading rows of their table into a frozen dataclass (with SQLite's naive timestamps made
UTC-aware), and keyed updates and upserts that stamp the table's ``updated_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa

from ntropy_dagster.core.clock import utcnow
from ntropy_dagster.core.warehouse import Warehouse

RowT = TypeVar("RowT")

#: The remote statuses of a batch or a statement job, as the API spells them; both tables record them
#: in their ``status`` column next to their own local statuses (before the POST, after giving up).
PROCESSING = "processing"
COMPLETED = "completed"
ERROR = "error"

#: The column every state table stamps when a row changes.
TOUCH_COLUMN = "updated_at"


def utc_aware(value: Any) -> Any:
    """``value`` with UTC attached when it is a naive datetime (SQLite hands timestamps back naive; every
    timestamp was written in UTC); anything else unchanged."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def aware_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """A row's values with every naive datetime made UTC-aware (see :func:`utc_aware`)."""
    return {name: utc_aware(value) for name, value in values.items()}


class WarehouseState(Generic[RowT]):
    """One warehouse table read and written as rows of the frozen dataclass :attr:`row_type`.

    Subclasses set :attr:`logical` (the table), :attr:`row_type` (whose fields are columns of the table)
    and :attr:`order_by` (the columns rows are listed by).
    """

    logical: ClassVar[str]
    row_type: ClassVar[type[Any]]
    order_by: ClassVar[tuple[str, ...]]

    def __init__(self, warehouse: Warehouse) -> None:
        self._wh = warehouse

    @property
    def warehouse(self) -> Warehouse:
        """The warehouse the table lives in."""
        return self._wh

    @property
    def _t(self) -> sa.Table:
        """The table, with the warehouse's prefix and schema."""
        return self._wh.tables[self.logical]

    def _select(self, where: sa.ColumnElement[bool] | None = None, *, limit: int | None = None) -> list[RowT]:
        """The rows matching ``where`` (all without it), in :attr:`order_by` order, at most ``limit``."""
        t = self._t
        query = sa.select(*(t.c[f.name] for f in fields(self.row_type)))
        if where is not None:
            query = query.where(where)
        query = query.order_by(*(t.c[name] for name in self.order_by))
        if limit is not None:
            query = query.limit(limit)
        with self._wh.engine.connect() as conn:
            found = [dict(r._mapping) for r in conn.execute(query)]
        return [self.row_type(**aware_values(values)) for values in found]

    def _recorded(self, column: str) -> set[str]:
        """Every value ``column`` holds (NULLs left out): the remote ids the table knows."""
        c = self._t.c[column]
        with self._wh.engine.connect() as conn:
            return {r[0] for r in conn.execute(sa.select(c).where(c.is_not(None)).distinct())}

    def _where(self, **equals: Any) -> sa.ColumnElement[bool]:
        """``column = value`` for every keyword, joined with AND."""
        t = self._t
        return sa.and_(*(t.c[name] == value for name, value in equals.items()))

    def _update(self, where: sa.ColumnElement[bool], **values: Any) -> None:
        """Set ``values`` (and ``updated_at``) on the rows matching ``where``."""
        with self._wh.begin() as conn:
            conn.execute(sa.update(self._t).where(where).values(**values, **{TOUCH_COLUMN: utcnow()}))

    def _upsert(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert or update ``rows`` by the table's natural key; columns not given keep their values."""
        self._wh.upsert(self.logical, [dict(row) for row in rows])
