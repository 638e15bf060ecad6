"""The Dagster layer: assets, sensors, checks, resources and components that wire the core to Dagster.

Import the public names from :mod:`ntropy_dagster`; the modules here are named for what they hold.
"""
