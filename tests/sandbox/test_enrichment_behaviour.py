"""Enrichment engine: output contract, location, categories, knowledge base, determinism, fuzzing."""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ntropy_sdk.transactions import Categories, Entities, Location

from ntropy_dagster.sandbox.enrichment import (
    ACCOUNTING_CATEGORIES,
    DEFAULT_CATEGORIES,
    EnrichmentEngine,
)
from ntropy_dagster.sandbox.enrichment.categories import HINTS, resolve_label

ENTITY_KEYS = {"id", "name", "website", "logo", "mccs", "phone_number", "tax_number", "naics2017"}

# The public example of a custom consumer category set (contract §2.9).
CUSTOM_SET = {
    "incoming": [
        "earned income",
        "investment income and withdrawals",
        "refunds and reimbursements",
        "transfers in",
        "loans and advances received",
        "misc income",
        "cash deposits",
        "other incoming",
    ],
    "outgoing": [
        "housing",
        "transportation",
        "groceries",
        "food and dining out",
        "shopping and goods",
        "entertainment and recreation",
        "health and wellness",
        "personal care and services",
        "subscriptions and digital services",
        "debt and loan payments",
        "investments and savings",
        "insurance",
        "taxes and government fees",
        "travel",
        "fees and charges",
        "gifts and donations",
        "cash withdrawals",
        "transfers out",
        "education",
        "other outgoing",
    ],
}


@pytest.fixture(scope="module")
def engine() -> EnrichmentEngine:
    return EnrichmentEngine()


def enrich(
    engine: EnrichmentEngine, description: str, entry_type: str = "outgoing", **kw: Any
) -> dict[str, Any]:
    tx = {"id": "t1", "description": description, "entry_type": entry_type, "amount": 10, "currency": "USD"}
    tx.update(kw.pop("tx", {}))
    kw.setdefault("account_holder_type", "consumer")
    return engine.enrich(tx, **kw)


def assert_contract(out: dict[str, Any], holder: str | None) -> None:
    """The exact v3 shape, also accepted by the official SDK's models."""
    assert set(out) == {"entities", "categories", "location"}
    assert set(out["entities"]) == {"counterparty", "intermediaries"}
    cp = out["entities"]["counterparty"]
    if cp is not None:
        assert set(cp) == ENTITY_KEYS | {"type"}
        assert cp["type"] in ("person", "organization")
        assert isinstance(cp["name"], str) and cp["name"]
    for entity in out["entities"]["intermediaries"]:
        assert set(entity) == ENTITY_KEYS
    assert set(out["categories"]) == {"general", "accounting"}
    assert isinstance(out["categories"]["general"], str)
    if holder == "business":
        assert out["categories"]["accounting"] in (*ACCOUNTING_CATEGORIES, None)
    else:
        assert out["categories"]["accounting"] is None
    assert set(out["location"]) == {"raw_address", "structured"}
    Entities.model_validate(out["entities"])
    Categories.model_validate({k: v for k, v in out["categories"].items() if v is not None})
    Location.model_validate(out["location"])


# ------------------------------------------------------------------------------------------ contract & ids


def test_output_contract_and_documented_example(engine: EnrichmentEngine) -> None:
    out = enrich(engine, "SQ* STARBUCKS 10 Union Sq")
    assert_contract(out, "consumer")
    cp = out["entities"]["counterparty"]
    # Ids, logos and MCC of the docs walkthrough (contract §2.5/§3).
    assert cp["id"] == "d4bc3c80-ec1a-3da2-836e-2a4ca4758be5"
    assert cp["website"] == "starbucks.com"
    assert cp["logo"] == "https://logos.ntropy.com/starbucks.com"
    assert 5814 in cp["mccs"]
    (square,) = out["entities"]["intermediaries"]
    assert square["id"] == "916bc837-55ef-3106-88f6-5a8269ca9f2a"
    assert square["name"] == "Square"
    assert out["categories"]["general"] == "coffee shops"


def test_person_ids_are_stable_uuids(engine: EnrichmentEngine) -> None:
    a = enrich(engine, "ZELLE PAYMENT TO JOHN SMITH CONF# 111")["entities"]["counterparty"]
    b = enrich(engine, "VENMO *John  Smith")["entities"]["counterparty"]
    assert a["type"] == b["type"] == "person"
    assert a["id"] == b["id"]
    assert uuid.UUID(a["id"]).version == 5
    assert a["website"] is None and a["logo"] is None and a["mccs"] == []


def test_unknown_organisation_has_no_id_or_website(engine: EnrichmentEngine) -> None:
    cp = enrich(engine, "POS DEBIT KWIK CORNER MART 0042 #99 TOPEKA KS")["entities"]["counterparty"]
    assert cp["name"] == "Kwik Corner Mart"
    assert (cp["id"], cp["website"], cp["logo"], cp["type"]) == (None, None, None, "organization")


# ------------------------------------------------------------------------------------------ location


def test_location_from_description(engine: EnrichmentEngine) -> None:
    loc = enrich(engine, "MCDONALD'S F1234 SAN FRANCISCO CA 94103")["location"]
    s = loc["structured"]
    assert loc["raw_address"] == "SAN FRANCISCO CA 94103"
    assert (s["city"], s["state"], s["postcode"], s["country_code"], s["country"]) == (
        "San Francisco",
        "CA",
        "94103",
        "US",
        "United States",
    )
    assert s["store_number"] == "1234"
    assert (s["latitude"], s["longitude"]) == pytest.approx((37.7749, -122.4194))
    assert s["google_maps_url"] == "https://www.google.com/maps/search/?api=1&query=37.7749,-122.4194"
    assert s["apple_maps_url"].startswith("https://maps.apple.com/?ll=37.7749")


@pytest.mark.parametrize(
    ("description", "city", "state", "country_code", "country"),
    [
        ("TESCO STORES 3345 LONDON GB", "London", "England", "GB", "United Kingdom"),
        ("LIDL DIENSTLEISTUNG BERLIN DE", "Berlin", None, "DE", "Germany"),
        ("STARBUCKS WILMINGTON DE", "Wilmington", "DE", "US", "United States"),
        ("CARREFOUR CITY PARIS FR", "Paris", None, "FR", "France"),
        ("SHELL OIL 57444 NEW YORK NY US", "New York", "NY", "US", "United States"),
        ("PRET A MANGER MANCHESTER", "Manchester", "England", "GB", "United Kingdom"),
        ("NETFLIX.COM 866-579-7172 CA", None, "CA", "US", "United States"),
    ],
)
def test_location_cases(
    engine: EnrichmentEngine,
    description: str,
    city: str | None,
    state: str | None,
    country_code: str,
    country: str,
) -> None:
    s = enrich(engine, description)["location"]["structured"]
    assert (s["city"], s["state"], s["country_code"], s["country"]) == (city, state, country_code, country)


def test_uk_postcode_and_unknown_merchant(engine: EnrichmentEngine) -> None:
    out = enrich(engine, "THE RED LION PUB LONDON SW1A 1AA")
    assert out["entities"]["counterparty"]["name"] == "The Red Lion Pub"
    s = out["location"]["structured"]
    assert (s["city"], s["postcode"], s["country_code"]) == ("London", "SW1A 1AA", "GB")
    assert out["categories"]["general"] == "bars and nightlife"


def test_location_from_transaction_input(engine: EnrichmentEngine) -> None:
    out = enrich(
        engine,
        "KWIK CORNER MART",
        tx={"location": {"raw_address": "123 Main St, Seattle, WA 98101", "country": "US-WA"}},
    )
    loc = out["location"]
    assert loc["raw_address"] == "123 Main St, Seattle, WA 98101"
    s = loc["structured"]
    assert (s["house_number"], s["street"], s["city"], s["state"], s["postcode"], s["country_code"]) == (
        "123",
        "Main St",
        "Seattle",
        "WA",
        "98101",
        "US",
    )
    assert s["latitude"] == pytest.approx(47.6062)


def test_country_only_from_input_and_no_location(engine: EnrichmentEngine) -> None:
    s = enrich(engine, "KWIK CORNER MART", tx={"location": {"country": "GB"}})["location"]["structured"]
    assert (s["country_code"], s["country"], s["city"], s["latitude"]) == ("GB", "United Kingdom", None, None)
    assert enrich(engine, "NETFLIX")["location"] == {"raw_address": None, "structured": None}


def test_p2p_city_is_not_part_of_the_name(engine: EnrichmentEngine) -> None:
    out = enrich(engine, "CASH APP*JOHN SMITH*OAKLAND CA")
    assert out["entities"]["counterparty"]["name"] == "John Smith"
    assert out["location"]["structured"]["city"] == "Oakland"


# ------------------------------------------------------------------------------------------ categories


def test_default_category_sets() -> None:
    assert set(DEFAULT_CATEGORIES) == {"consumer", "business"}
    for sets in DEFAULT_CATEGORIES.values():
        assert set(sets) == {"incoming", "outgoing"}
        for labels in sets.values():
            assert len(labels) == len(set(labels)) >= 9
            assert "not enough information" not in labels
    assert ACCOUNTING_CATEGORIES == (
        "operational expenses",
        "cost of goods sold",
        "revenue",
        "financing",
        "taxes",
    )


@pytest.mark.parametrize("holder", ["consumer", "business"])
@pytest.mark.parametrize("incoming", [True, False])
def test_every_hint_resolves_in_default_sets(holder: str, incoming: bool) -> None:
    labels = DEFAULT_CATEGORIES[holder]["incoming" if incoming else "outgoing"]
    for hint in HINTS:
        label = resolve_label(hint, incoming, labels, True)
        assert label in labels or label == "other", (hint, label)


def test_missing_account_holder(engine: EnrichmentEngine) -> None:
    out = enrich(engine, "STARBUCKS", account_holder_type=None)
    assert out["categories"] == {"general": "missing account holder information", "accounting": None}
    assert out["entities"]["counterparty"]["name"] == "Starbucks"
    assert_contract(out, None)


def test_not_enough_information(engine: EnrichmentEngine) -> None:
    for holder in ("consumer", "business"):
        for entry in ("incoming", "outgoing"):
            out = enrich(engine, "QZX 77 VLRP", entry, account_holder_type=holder)
            assert out["categories"] == {"general": "not enough information", "accounting": None}


def test_accounting_only_for_business(engine: EnrichmentEngine) -> None:
    cases = {
        ("AWS EMEA", "outgoing"): "operational expenses",
        ("SYSCO CORPORATION", "outgoing"): "cost of goods sold",
        ("STRIPE TRANSFER", "incoming"): "revenue",
        ("IRS USATAXPYMT 1234", "outgoing"): "taxes",
        ("ONDECK CAPITAL LOAN PMT", "outgoing"): "financing",
    }
    for (description, entry), accounting in cases.items():
        business = enrich(engine, description, entry, account_holder_type="business")
        assert business["categories"]["accounting"] == accounting, description
        consumer = enrich(engine, description, entry, account_holder_type="consumer")
        assert consumer["categories"]["accounting"] is None


def test_credit_and_debit_are_incoming_and_outgoing(engine: EnrichmentEngine) -> None:
    assert enrich(engine, "AMAZON.COM", "credit")["categories"]["general"] == "refunds"
    assert enrich(engine, "AMAZON.COM", "debit")["categories"]["general"] == "online marketplaces"


@pytest.mark.parametrize(
    ("description", "entry", "label"),
    [
        ("SQ *BLUE BOTTLE COFFEE", "outgoing", "food and dining out"),
        ("WHOLEFDS MKT 10234", "outgoing", "groceries"),
        ("NETFLIX.COM", "outgoing", "subscriptions and digital services"),
        ("SHELL OIL 1234", "outgoing", "transportation"),
        ("GEICO AUTO", "outgoing", "insurance"),
        ("IRS USATAXPYMT", "outgoing", "taxes and government fees"),
        ("ATM WITHDRAWAL", "outgoing", "cash withdrawals"),
        ("CHASE CREDIT CRD AUTOPAY", "outgoing", "debt and loan payments"),
        ("ZELLE PAYMENT TO JOHN SMITH", "outgoing", "transfers out"),
        ("ACME CORP PAYROLL", "incoming", "earned income"),
        ("AMAZON.COM REFUND", "incoming", "refunds and reimbursements"),
        ("VANGUARD DIVIDEND", "incoming", "investment income and withdrawals"),
        ("MARRIOTT SAN DIEGO CA", "outgoing", "travel"),
        ("PLANET FITNESS", "outgoing", "health and wellness"),
        ("SQ *KWIK CORNER MART", "outgoing", "not enough information"),
    ],
)
def test_custom_category_set(engine: EnrichmentEngine, description: str, entry: str, label: str) -> None:
    out = enrich(engine, description, entry, categories=CUSTOM_SET)
    assert out["categories"]["general"] == label
    assert label in CUSTOM_SET[entry] or label == "not enough information"


def test_custom_set_without_a_fit(engine: EnrichmentEngine) -> None:
    tiny = {"incoming": ["salary"], "outgoing": ["Groceries & Household", "fun"]}
    assert enrich(engine, "TESCO STORES", categories=tiny)["categories"]["general"] == "Groceries & Household"
    assert enrich(engine, "NETFLIX", categories=tiny)["categories"]["general"] == "not enough information"
    assert (
        enrich(engine, "ACME LTD PAYROLL", "incoming", categories=tiny)["categories"]["general"] == "salary"
    )
    with_other = {"incoming": ["salary"], "outgoing": ["groceries", "Other Outgoing"]}
    assert enrich(engine, "NETFLIX", categories=with_other)["categories"]["general"] == "Other Outgoing"


def test_business_default_set_used_when_categories_none(engine: EnrichmentEngine) -> None:
    out = enrich(engine, "GITHUB.COM", account_holder_type="business", categories=None)
    assert out["categories"] == {"general": "software", "accounting": "operational expenses"}


# ------------------------------------------------------------------------------------------ knowledge base


def test_knowledge_base_size_and_integrity(engine: EnrichmentEngine) -> None:
    brands = engine.kb.brands
    merchants = [b for b in brands if not b.is_intermediary]
    assert len(merchants) >= 300
    assert len({b.website for b in brands}) == len(brands)
    assert len({b.id for b in brands}) == len(brands)
    for brand in brands:
        assert brand.hint in HINTS, brand
        assert brand.mccs and all(1000 <= m <= 9999 for m in brand.mccs), brand
        assert engine.get_entity(brand.id) == brand.entity()
    names = {b.name for b in brands}
    for required in ("Gusto", "ADP", "Paychex", "Internal Revenue Service", "HM Revenue & Customs", "Klarna"):
        assert required in names


def test_resolve_entity(engine: EnrichmentEngine) -> None:
    starbucks = engine.resolve_entity(website="https://www.Starbucks.com/")
    assert starbucks is not None and starbucks["id"] == "d4bc3c80-ec1a-3da2-836e-2a4ca4758be5"
    assert set(starbucks) == ENTITY_KEYS
    assert engine.resolve_entity(name="SBUX") == starbucks
    assert engine.resolve_entity(name="starbucks", location="Seattle, WA") == starbucks
    assert engine.resolve_entity(name="Uber Eats")["website"] == "ubereats.com"
    assert engine.resolve_entity(website="nonexistent-brand.example") is None
    assert engine.resolve_entity(name="Qzx Vlrp Holdings") is None
    assert engine.resolve_entity() is None
    assert engine.get_entity("00000000-0000-0000-0000-000000000000") is None
    fresh = engine.get_entity(starbucks["id"])
    fresh["mccs"].append(1)
    assert engine.get_entity(starbucks["id"]) == starbucks


# ------------------------------------------------------------------------------------------ determinism


def test_determinism_and_isolation(engine: EnrichmentEngine) -> None:
    descriptions = ["SQ *BLUE BOTTLE COFFEE OAKLAND CA", "ZELLE TO JANE DOE", "KWIK CORNER MART", ""]
    other = EnrichmentEngine()
    for description in descriptions:
        first = enrich(engine, description)
        snapshot = copy.deepcopy(first)
        if first["entities"]["counterparty"]:
            first["entities"]["counterparty"]["name"] = "mutated"
            first["entities"]["counterparty"]["mccs"].append(1)
        first["categories"]["general"] = "mutated"
        assert enrich(engine, description) == snapshot
        assert enrich(other, description) == snapshot


def test_thread_safety(engine: EnrichmentEngine) -> None:
    descriptions = [f"STARBUCKS STORE {i:05d} SEATTLE WA" for i in range(200)] + ["VENMO *JOHN SMITH"] * 50
    expected = [enrich(engine, d) for d in descriptions]
    results: list[list[dict[str, Any]]] = []

    def work() -> None:
        results.append([enrich(engine, d) for d in descriptions])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


# ------------------------------------------------------------------------------------------ robustness

_descriptions = st.one_of(
    st.text(max_size=1024),
    st.text(alphabet="ABCXYZ0123456789 *#/.-:'&@$%", max_size=200),
    st.lists(
        st.sampled_from(
            [
                "SQ *",
                "TST*",
                "PAYPAL *",
                "ZELLE",
                "TO",
                "FROM",
                "PAYROLL",
                "GUSTO",
                "NEW YORK",
                "NY",
                "GB",
                "#12",
                "STARBUCKS",
                "AMZN",
                "DD *",
                "UBER *EATS",
                "XXXX1234",
                "04/12",
                "CA",
                "94103",
                "SW1A",
                "1AA",
                "&",
            ]
        ),
        max_size=12,
    ).map(" ".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    description=_descriptions,
    entry=st.sampled_from(["incoming", "outgoing", "credit", "debit"]),
    holder=st.sampled_from(["consumer", "business", None]),
)
def test_fuzz_never_crashes(
    engine: EnrichmentEngine, description: str, entry: str, holder: str | None
) -> None:
    out = enrich(engine, description, entry, account_holder_type=holder)
    assert_contract(out, holder)
    cp = out["entities"]["counterparty"]
    if cp is not None and cp["website"] is None:
        assert cp["name"].strip() == cp["name"]


@pytest.mark.parametrize(
    "description",
    [
        "",
        " ",
        "*",
        "#",
        "1234567890" * 102,
        "\u03a9\u2248\u00e7 \u5317\u4eac \u6771\u4eac \U0001f389",
        "\x00\x01\n\t",
        "x" * 1024,
        "& & &",
    ],
)
def test_garbage_inputs(engine: EnrichmentEngine, description: str) -> None:
    assert_contract(enrich(engine, description, account_holder_type="business"), "business")


def test_missing_or_odd_fields(engine: EnrichmentEngine) -> None:
    out = engine.enrich({}, account_holder_type="consumer")
    assert out["entities"] == {"counterparty": None, "intermediaries": []}
    odd = {"description": 42, "entry_type": None, "location": "nowhere"}
    assert_contract(engine.enrich(odd, account_holder_type="freelancer"), "freelancer")
