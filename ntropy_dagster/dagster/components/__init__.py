"""The ``dg`` component of ntropy-dagster: the enrichment pipeline declared in a ``defs.yaml``.

:mod:`ntropy_dagster.components` (the registry module ``dg list components`` reads) re-exports it. The
attributes resolve the real classes through :mod:`~ntropy_dagster.dagster.components.resolution`.
"""

from __future__ import annotations

from ntropy_dagster.dagster.components.component import NtropyEnrichmentComponent
from ntropy_dagster.dagster.components.scaffolder import NtropyEnrichmentScaffolder, NtropyScaffoldParams

__all__ = ["NtropyEnrichmentComponent", "NtropyEnrichmentScaffolder", "NtropyScaffoldParams"]
