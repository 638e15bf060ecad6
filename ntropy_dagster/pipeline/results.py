"""Enriched results out: flatten batch results into the enriched-transactions table's columns.

This is the pipeline's hot path, so it works on the plain dicts of
:meth:`~ntropy_dagster.client.NtropyClient.batches.results_records` (one orjson parse per batch) and
builds columns directly, with no model object per transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import pandas as pd

#: Columns of the enriched-transactions table, with their descriptions (shown in the Dagster UI).
ENRICHED_COLUMNS: Mapping[str, str] = {
    "transaction_id": "Transaction id (from the raw data).",
    "account_holder_id": "Account holder id ('' when the transaction had none).",
    "partition_key": "Dagster partition the transaction was submitted in.",
    "batch_id": "Ntropy batch that enriched it.",
    "description": "Raw description.",
    "date": "Booking date.",
    "amount": "Amount (>= 0).",
    "entry_type": "incoming or outgoing.",
    "currency": "ISO 4217 code.",
    "counterparty_id": "Ntropy entity id of the counterparty.",
    "counterparty_name": "Counterparty name (merchant or person).",
    "counterparty_website": "Counterparty website.",
    "counterparty_logo": "Counterparty logo URL.",
    "counterparty_type": "organization or person.",
    "counterparty_mccs": "Merchant category codes (JSON list).",
    "intermediaries": "Intermediaries (payment processors, delivery apps) as JSON.",
    "intermediary_names": "Intermediary names, comma separated.",
    "category_general": "Category (from the account holder's category set).",
    "category_accounting": "Accounting category (business account holders only).",
    "location_raw_address": "Raw address.",
    "location_city": "City.",
    "location_state": "State or region.",
    "location_postcode": "Postcode.",
    "location_country_code": "ISO 3166 country code.",
    "location_country": "Country name.",
    "location_latitude": "Latitude.",
    "location_longitude": "Longitude.",
    "location_store_number": "Store number.",
    "location_google_maps_url": "Google Maps link.",
    "error_code": "Per-item error code (e.g. account_holder_not_found), else empty.",
    "error_message": "Per-item error message.",
    "source": "Where the transaction came from: raw or bank_statement.",
    "enriched_at": "When this row was written.",
}

_INPUT_FIELDS = ("description", "date", "amount", "entry_type", "currency")
_LOCATION_FIELDS = (
    ("location_city", "city"),
    ("location_state", "state"),
    ("location_postcode", "postcode"),
    ("location_country_code", "country_code"),
    ("location_country", "country"),
    ("location_latitude", "latitude"),
    ("location_longitude", "longitude"),
    ("location_store_number", "store_number"),
    ("location_google_maps_url", "google_maps_url"),
)


class ResultMismatchError(RuntimeError):
    """A batch's results do not cover exactly the transactions that were submitted in it."""


def flatten_results(
    results: Sequence[Mapping[str, Any]],
    inputs: Sequence[Mapping[str, Any]],
    *,
    batch_id: str,
    partition_key: str,
    source: str = "raw",
    enriched_at: dt.datetime,
) -> pd.DataFrame:
    """Join one batch's ``results`` to the submitted ``inputs`` (by id) and flatten to table columns.

    Raises :class:`ResultMismatchError` naming the missing and unexpected ids when the results do not
    match the inputs, so a wrongly adopted batch can never write someone else's enrichment.
    """
    by_id = {str(r.get("id")): r for r in results}
    input_ids = {str(p["id"]) for p in inputs}
    if by_id.keys() != input_ids:
        missing = sorted(input_ids - by_id.keys())[:5]
        extra = sorted(by_id.keys() - input_ids)[:5]
        raise ResultMismatchError(
            f"batch {batch_id} results do not match its submitted transactions "
            f"(missing e.g. {missing}, unexpected e.g. {extra})"
        )
    columns: dict[str, list[Any]] = {name: [] for name in ENRICHED_COLUMNS}
    for payload in inputs:
        result = by_id[str(payload["id"])]
        entities = result.get("entities") or {}
        counterparty = entities.get("counterparty") or {}
        intermediaries = entities.get("intermediaries") or []
        categories = result.get("categories") or {}
        location = result.get("location") or {}
        structured = location.get("structured") or {}
        error = result.get("error") or {}
        columns["transaction_id"].append(str(payload["id"]))
        columns["account_holder_id"].append(payload.get("account_holder_id") or "")
        columns["partition_key"].append(partition_key)
        columns["batch_id"].append(batch_id)
        for name in _INPUT_FIELDS:
            columns[name].append(payload.get(name))
        columns["counterparty_id"].append(counterparty.get("id"))
        columns["counterparty_name"].append(counterparty.get("name"))
        columns["counterparty_website"].append(counterparty.get("website"))
        columns["counterparty_logo"].append(counterparty.get("logo"))
        columns["counterparty_type"].append(counterparty.get("type"))
        columns["counterparty_mccs"].append(orjson.dumps(counterparty.get("mccs") or []).decode())
        columns["intermediaries"].append(orjson.dumps(intermediaries).decode() if intermediaries else None)
        columns["intermediary_names"].append(
            ", ".join(i.get("name") or "" for i in intermediaries) if intermediaries else None
        )
        columns["category_general"].append(categories.get("general"))
        columns["category_accounting"].append(categories.get("accounting"))
        columns["location_raw_address"].append(location.get("raw_address"))
        for column, key in _LOCATION_FIELDS:
            columns[column].append(structured.get(key))
        columns["error_code"].append(error.get("code"))
        columns["error_message"].append(error.get("message"))
        columns["source"].append(source)
        columns["enriched_at"].append(enriched_at)
    frame = pd.DataFrame(columns)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["amount"] = frame["amount"].astype("float64")
    for column in ("location_latitude", "location_longitude"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame
