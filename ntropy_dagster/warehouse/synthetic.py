"""Synthetic enriched-transaction frames (all columns filled) for benchmarks and tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def enriched_frame(
    rows: int, *, start: int = 0, version: int = 0, partition_key: str = "2024-01-01"
) -> pd.DataFrame:
    """``rows`` enriched transactions with ids ``tx-{start}`` onwards; ``version`` changes the values.

    Every fourth row has no account holder (``None``), as happens in real data.
    """
    idx = np.arange(start, start + rows)
    ids = pd.Series(idx).astype(str)
    holders = ("ah-" + (idx % 1000).astype(str)).astype(object)
    holders[idx % 4 == 0] = None
    day = dt.date(2024, 1, 1)
    return pd.DataFrame(
        {
            "transaction_id": "tx-" + ids,
            "account_holder_id": holders,
            "partition_key": partition_key,
            "batch_id": "batch-" + (idx // 24_960).astype(str),
            "description": f"v{version} SQ* STARBUCKS 10 Union Sq #" + ids,
            "date": [day + dt.timedelta(days=int(i % 365)) for i in idx],
            "amount": (idx % 10_000) / 100.0 + version,
            "entry_type": np.where(idx % 3 == 0, "incoming", "outgoing"),
            "currency": "USD",
            "counterparty_id": "cp-" + (idx % 5000).astype(str),
            "counterparty_name": f"Starbucks v{version}",
            "counterparty_website": "starbucks.com",
            "counterparty_logo": "https://logos.example/starbucks.png",
            "counterparty_type": "organization",
            "counterparty_mccs": "[5814]",
            "intermediaries": '[{"name": "Square", "website": "squareup.com"}]',
            "intermediary_names": "Square",
            "category_general": "coffee shops",
            "category_accounting": None,
            "location_raw_address": "10 Union Sq, San Francisco, CA",
            "location_city": "San Francisco",
            "location_state": "CA",
            "location_postcode": "94108",
            "location_country_code": "US",
            "location_country": "United States",
            "location_latitude": 37.7879,
            "location_longitude": -122.4075,
            "location_store_number": (idx % 300).astype(str),
            "location_google_maps_url": "https://maps.google.com/?q=37.7879,-122.4075",
            "error_code": None,
            "error_message": None,
            "source": "raw",
            "enriched_at": pd.Timestamp("2024-01-02T03:04:05Z") + pd.to_timedelta(idx % 60, unit="s"),
        }
    )
