"""The marts: the rules that derive what v3 no longer returns, and their refresh in the warehouse."""

from ntropy_dagster.core.marts.refresh import GroupsRefresh, refresh_income, refresh_recurring_groups
from ntropy_dagster.core.marts.rules import (
    INCOME_TRANSACTION_COLUMNS,
    PERIOD_DAYS,
    PERIODICITIES,
    SOURCE_TYPES,
    grace_days,
    income_source_rows,
    income_source_type,
    is_active,
    monthly_equivalent,
    next_expected_date,
    normalise_periodicity,
    recurring_group_rows,
)

__all__ = [
    "INCOME_TRANSACTION_COLUMNS",
    "PERIODICITIES",
    "PERIOD_DAYS",
    "SOURCE_TYPES",
    "GroupsRefresh",
    "grace_days",
    "income_source_rows",
    "income_source_type",
    "is_active",
    "monthly_equivalent",
    "next_expected_date",
    "normalise_periodicity",
    "recurring_group_rows",
    "refresh_income",
    "refresh_recurring_groups",
]
