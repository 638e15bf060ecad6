"""A runnable Dagster project using ntropy-dagster offline, against the bundled sandbox."""
