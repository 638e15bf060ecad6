"""The ``dg`` registry module: the component type users name in ``defs.yaml``.

``type: ntropy_dagster.components.NtropyEnrichmentComponent``. Registered under the
``dagster_dg_cli.registry_modules`` entry point; the component itself lives in
:mod:`ntropy_dagster.dagster.components`.
"""

from ntropy_dagster.dagster.components import NtropyEnrichmentComponent

__all__ = ["NtropyEnrichmentComponent"]
