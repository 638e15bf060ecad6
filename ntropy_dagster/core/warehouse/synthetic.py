"""Synthetic enriched-transaction frames, shaped like real results, for benchmarks and tests.

Values vary per row the way real enrichment output does: ~5,000 merchants (name, website, logo, MCC,
category), an intermediary on one row in five, a location on one row in three, a per-item error on about
one row in a hundred, and no account holder on one row in four.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

_CATEGORIES = np.array([f"category {i}" for i in range(40)], dtype=object)


def _text(prefix: str, values: np.ndarray, suffix: str = "") -> pd.Series:
    return prefix + pd.Series(values).astype(str) + suffix


def _where(mask: np.ndarray, values: pd.Series) -> pd.Series:
    return values.astype(object).where(pd.Series(mask), None)


def enriched_frame(
    rows: int, *, start: int = 0, version: int = 0, partition_key: str = "2024-01-01"
) -> pd.DataFrame:
    """``rows`` enriched transactions with ids ``tx-{start}`` onwards; ``version`` changes the values."""
    idx = np.arange(start, start + rows)
    merchant = (idx * 7919) % 5000
    holders = _where(idx % 4 != 0, _text("ah-", idx % 1000))
    located = idx % 3 == 0
    intermediated = idx % 5 == 0
    failed = idx % 97 == 0
    city = _text("City ", merchant % 200)
    day = dt.date(2024, 1, 1)
    return pd.DataFrame(
        {
            "transaction_id": _text("tx-", idx),
            "account_holder_id": holders,
            "partition_key": partition_key,
            "batch_id": _text("batch-", idx // 24_960),
            "description": _text(f"v{version} POS PURCHASE MERCHANT ", merchant, " #")
            + pd.Series(idx).astype(str),
            "date": [day + dt.timedelta(days=int(i % 365)) for i in idx],
            "amount": (idx % 10_000) / 100.0 + version,
            "entry_type": np.where(idx % 3 == 0, "incoming", "outgoing"),
            "currency": np.where(idx % 50 == 0, "EUR", "USD"),
            "counterparty_id": _text("cp-", merchant),
            "counterparty_name": _text("Merchant ", merchant, f" v{version}"),
            "counterparty_website": _text("merchant", merchant, ".com"),
            "counterparty_logo": _text("https://logos.example/merchant", merchant, ".png"),
            "counterparty_type": np.where(merchant % 10 == 0, "person", "organization"),
            "counterparty_mccs": _text("[", 5000 + merchant % 900, "]"),
            "intermediaries": np.where(
                intermediated, '[{"name": "Square", "website": "squareup.com"}]', "[]"
            ),
            "intermediary_names": _where(intermediated, pd.Series(["Square"] * rows)),
            "category_general": _CATEGORIES[merchant % 40],
            "category_accounting": _where(idx % 4 == 1, pd.Series(_CATEGORIES[(merchant + 7) % 40])),
            "location_raw_address": _where(located, _text("", merchant % 900, " Main St, ") + city),
            "location_city": _where(located, city),
            "location_state": _where(located, _text("S", merchant % 50)),
            "location_postcode": _where(located, _text("", 10_000 + merchant % 80_000)),
            "location_country_code": _where(located, pd.Series(["US"] * rows)),
            "location_country": _where(located, pd.Series(["United States"] * rows)),
            "location_latitude": np.where(located, 30 + (merchant % 1000) / 100.0, np.nan),
            "location_longitude": np.where(located, -120 + (merchant % 1000) / 100.0, np.nan),
            "location_store_number": _where(located & (idx % 2 == 0), _text("", idx % 300)),
            "location_google_maps_url": _where(located, _text("https://maps.google.com/?q=", merchant)),
            "error_code": _where(failed, pd.Series(["account_holder_not_found"] * rows)),
            "error_message": _where(failed, pd.Series(["Account holder not found"] * rows)),
            "source": "raw",
            "fingerprint": _text(f"fp{version}-", idx),
            "enriched_at": pd.Timestamp("2024-01-02T03:04:05Z") + pd.to_timedelta(idx % 60, unit="s"),
        }
    )
