"""Deterministic, offline enrichment engine of the Ntropy-compatible sandbox.

Pure Python (no HTTP, no database): the sandbox's FastAPI app calls :class:`EnrichmentEngine`.

* :class:`EnrichmentEngine` - ``enrich(tx, account_holder_type=..., categories=..., rules=...)``,
  ``resolve_entity(name=/website=)``, ``get_entity(id)``.
* :data:`DEFAULT_CATEGORIES` - default category sets per account holder type (``consumer``/``business``).
* :data:`ACCOUNTING_CATEGORIES` - the five v3 accounting categories (business account holders only).
* :func:`validate_rules` - problems of a personalisation ruleset (empty list = valid).
"""

from __future__ import annotations

from .categories import (
    ACCOUNTING_CATEGORIES,
    DEFAULT_CATEGORIES,
    MISSING_ACCOUNT_HOLDER,
    NOT_ENOUGH_INFORMATION,
    OTHER,
)
from .engine import EnrichmentEngine
from .rules import apply_rules, validate_rules

__all__ = [
    "ACCOUNTING_CATEGORIES",
    "DEFAULT_CATEGORIES",
    "MISSING_ACCOUNT_HOLDER",
    "NOT_ENOUGH_INFORMATION",
    "OTHER",
    "EnrichmentEngine",
    "apply_rules",
    "validate_rules",
]
