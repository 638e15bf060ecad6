"""The bank-statement path without Dagster: statement files, their durable state, upload and extraction."""
