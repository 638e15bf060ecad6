"""The ``dg`` registry module: the components ``dg list components`` shows for ntropy-dagster.

Registered under the ``dagster_dg_cli.registry_modules`` entry point. It imports the components
eagerly because the registry lists a module's attributes, and :mod:`ntropy_dagster` exports lazily.
"""

from __future__ import annotations

from ntropy_dagster.dagster.components.component import NtropyEnrichmentComponent

__all__ = ["NtropyEnrichmentComponent"]
