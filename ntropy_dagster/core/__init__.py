"""The core: everything that does the work of both paths without Dagster.

Validation, the durable state in the warehouse (batch ledger, statement jobs), submission and adoption,
status polling, results and flattening, the mart rules and their refresh, statement files and extraction,
and the warehouse itself. Nothing under ``ntropy_dagster.core`` imports dagster (a test enforces it): the
Dagster layer (:mod:`ntropy_dagster.dagster`) only wires these functions to assets, sensors and checks.
"""
