"""ntropy-dagster: Dagster integration for the Ntropy transaction-enrichment API (v3).

The framework-agnostic client lives in :mod:`ntropy_dagster.client` and the offline, Ntropy-compatible
API server in :mod:`ntropy_dagster.sandbox`. Importing this package does not import dagster until a
Dagster object is asked for, so ``import ntropy_dagster.client`` stays free of dagster.
"""

from __future__ import annotations

from ntropy_dagster._version import __version__

__all__ = ["__version__"]
