"""HTTP routes of the sandbox, one module per v3 resource plus the ``/_sandbox`` admin routes."""
