"""The package version, importable without pulling in dagster."""

__version__ = "0.1.0"
