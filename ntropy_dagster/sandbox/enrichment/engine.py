"""The deterministic enrichment engine: description -> counterparty, intermediaries, category, location."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import keywords
from .categories import (
    MISSING_ACCOUNT_HOLDER,
    NOT_ENOUGH_INFORMATION,
    accounting_for,
    categories_for,
    default_categories,
    directed_hint,
    is_incoming,
    resolve_label,
)
from .knowledge import Brand, KnowledgeBase, blank_entity, normalise_website, person_id
from .location import Place, extract, structured
from .parties import ORG_WORDS, detect_payroll, detect_transfer, looks_like_person
from .rules import apply_rules
from .text import clean, drop_codes, name_tokens, title, tokens

_MAX_DESCRIPTION = 4096
_MAX_NAME_TOKENS = 6
_CACHE_SIZE = 65536

# Incoming / outgoing keyword flags -> hint, in priority order (used when no merchant decides).
_IN_OVERRIDES = (("tax_refund", "tax_refund"), ("refund", "refund"), ("dividend", "investment_income"))
_IN_FALLBACKS = (
    ("benefits", "benefits"),
    ("pension", "pension"),
    ("loan", "loan_in"),
    ("tax", "tax_refund"),
    ("transfer", "transfer_in"),
    ("deposit", "transfer_in"),
)
_OUT_FALLBACKS = (
    ("fee", "bank_fees"),
    ("interest", "bank_fees"),
    ("mortgage", "mortgage"),
    ("rent", "rent"),
    ("loan", "loan"),
    ("card_payment", "credit_card"),
    ("tax", "taxes"),
    ("insurance", "insurance"),
    ("charity", "charity"),
    ("education", "education"),
    ("transfer", "transfer"),
)
# What an intermediary says about an unknown counterparty ("TST*" = a restaurant on Toast).
_IMPLIED_HINTS = {
    "toasttab.com": "restaurants",
    "doordash.com": "food_delivery",
    "ubereats.com": "food_delivery",
    "grubhub.com": "food_delivery",
    "deliveroo.com": "food_delivery",
    "just-eat.co.uk": "food_delivery",
    "postmates.com": "food_delivery",
    "wolt.com": "food_delivery",
    "shopify.com": "general",
    "eventbrite.com": "entertainment",
    "play.google.com": "digital",
}
_BANK_OUT = (("fee", "bank_fees"), ("interest", "bank_fees"), ("mortgage", "mortgage"), ("loan", "loan"))


@dataclass(frozen=True)
class Analysis:
    """Everything derived from the description alone (cached; shared between calls, never mutated)."""

    kind: str  # "merchant" | "p2p" | "payroll" | "unknown" | "empty"
    brand: Brand | None
    name: str | None
    person: bool
    intermediaries: tuple[Brand, ...]
    hint: str | None
    flags: frozenset[str]
    place: Place | None
    store_number: str | None


class EnrichmentEngine:
    """Enriches v3 transactions from a built-in knowledge base; deterministic, thread-safe for reads."""

    def __init__(self) -> None:
        self.kb = KnowledgeBase()
        self._analyse = lru_cache(maxsize=_CACHE_SIZE)(self._analyse_uncached)

    # ------------------------------------------------------------------------------------------ public API

    def enrich(
        self,
        tx: Mapping[str, Any],
        *,
        account_holder_type: str | None,
        categories: Mapping[str, list[str]] | None = None,
        rules: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Enrich one transaction: ``{"entities", "categories", "location"}``.

        The app adds ``id``, ``created_at`` and ``error``.

        ``account_holder_type`` None means no account holder (category ``missing account holder
        information``, no accounting category). ``categories`` is the set in force (None = the default set of
        the account holder type). ``rules`` are applied to the result in order.
        """
        description = tx.get("description")
        analysis = self._analyse(description[:_MAX_DESCRIPTION] if isinstance(description, str) else "")
        incoming = is_incoming(tx.get("entry_type"))
        result = {
            "entities": {
                "counterparty": self._counterparty(analysis),
                "intermediaries": [brand.entity() for brand in analysis.intermediaries],
            },
            "categories": self._categories(analysis, incoming, account_holder_type, categories),
            "location": structured(analysis.place, _location_of(tx), analysis.store_number),
        }
        if rules:
            apply_rules(rules, result, tx, account_holder_type)
        return result

    def resolve_entity(
        self, *, name: str | None = None, website: str | None = None, location: str | None = None
    ) -> dict[str, Any] | None:
        """The known organisation for a website or a name (``location`` is accepted and ignored), or None."""
        if website:
            site = normalise_website(website)
            brand = self.kb.by_website.get(site) or self.kb.by_website.get(site.split("/", 1)[0])
            return brand.entity() if brand else None
        if name:
            analysis = self._analyse(name[:_MAX_DESCRIPTION])
            if analysis.brand is not None:
                return analysis.brand.entity()
            if analysis.kind == "empty" and analysis.intermediaries:
                return analysis.intermediaries[-1].entity()
        return None

    def get_entity(self, entity_id: str) -> dict[str, Any] | None:
        """A known organisation by its id, or None."""
        brand = self.kb.by_id.get(entity_id.strip().lower()) if isinstance(entity_id, str) else None
        return brand.entity() if brand else None

    # ------------------------------------------------------------------------------------------ results

    @staticmethod
    def _counterparty(analysis: Analysis) -> dict[str, Any] | None:
        if analysis.brand is not None:
            return {**analysis.brand.entity(), "type": "organization"}
        if analysis.name is None:
            return None
        entity = blank_entity()
        entity["name"] = analysis.name
        if analysis.person:
            entity["id"] = person_id(analysis.name)
        entity["type"] = "person" if analysis.person else "organization"
        return entity

    def _categories(
        self,
        analysis: Analysis,
        incoming: bool,
        account_holder_type: str | None,
        categories: Mapping[str, list[str]] | None,
    ) -> dict[str, Any]:
        if account_holder_type is None:
            return {"general": MISSING_ACCOUNT_HOLDER, "accounting": None}
        category_set, is_default = categories_for(account_holder_type, categories)
        if category_set is None:  # an unexpected holder type: treat as consumer
            category_set, is_default = default_categories("consumer"), True
        labels = (category_set or {}).get("incoming" if incoming else "outgoing") or []
        hint = _hint(analysis, incoming)
        general = resolve_label(hint, incoming, labels, is_default)
        accounting = None
        if account_holder_type == "business" and hint is not None and general != NOT_ENOUGH_INFORMATION:
            accounting = accounting_for(hint)
        return {"general": general, "accounting": accounting}

    # ------------------------------------------------------------------------------------------ analysis

    def _analyse_uncached(self, description: str) -> Analysis:
        cleaned = clean(description)
        text = cleaned.text
        toks = tokens(text)
        flags = keywords.flags(text, toks)
        inter_keys = list(cleaned.intermediaries)
        kb = self.kb

        party = detect_transfer(text, toks, inter_keys, kb)
        if party is not None:
            keys = [k for k in inter_keys if k != party.app]
            if party.app:
                keys.insert(0, party.app)
            place = None
            name = party.name
            if name and party.brand is None:
                place, cut = extract(name, 1)
                name = name[:cut]
            kind_name = title(name) if name and party.kind in ("person", "organization") else None
            return self._make(
                "p2p",
                party.brand,
                kind_name if party.brand is None else None,
                party.kind == "person",
                keys,
                party.hint,
                flags,
                place,
                None,
            )

        payroll = detect_payroll(text, toks, kb)
        if payroll is not None and not ({"refund", "fee"} & flags):
            brand = payroll.employer_brand
            name = None if brand else (title(payroll.employer) if payroll.employer else None)
            keys = inter_keys
            if payroll.provider is not None:
                if brand is None and name is None:
                    brand = payroll.provider
                else:
                    keys = [payroll.provider.key, *keys]
            return self._make("payroll", brand, name, False, keys, "payroll", flags, None, None)
        return self._merchant(cleaned.store_number, toks, inter_keys, flags)

    def _make(
        self,
        kind: str,
        brand: Brand | None,
        name: str | None,
        person: bool,
        keys: list[str],
        hint: str | None,
        flags: frozenset[str],
        place: Place | None,
        store_number: str | None,
    ) -> Analysis:
        intermediaries = tuple(self.kb.brand(k) for k in keys)
        place = None if place is None or place.empty() else place
        return Analysis(kind, brand, name, person, intermediaries, hint, flags, place, store_number)

    def _merchant(
        self, store_number: str | None, all_toks: list[str], inter_keys: list[str], flags: frozenset[str]
    ) -> Analysis:
        kb = self.kb
        toks = drop_codes(all_toks)
        match = kb.find(toks, intermediaries=False) or kb.find(toks, intermediaries=True)
        if match is not None:
            brand = match.brand
            keys = [k for k in inter_keys if k != brand.key]
            place, _ = extract(toks, match.end, infer_city=True)
            if store_number is None and match.end < len(toks):
                nxt = toks[match.end]
                if nxt.isdigit() and 3 <= len(nxt) <= 6 and place.raw != nxt and _has_stores(brand):
                    store_number = nxt
            return self._make("merchant", brand, None, False, keys, brand.hint, flags, place, store_number)
        place, start = extract(toks, 0 if inter_keys else 1)
        name = name_tokens(toks[:start])[:_MAX_NAME_TOKENS]
        if all(t in ORG_WORDS for t in name):
            name = []
        keys = list(inter_keys)
        brand = None
        hint = keywords.word_hint(" ".join(name)) if name else None
        kind = "unknown"
        person = False
        if "atm" in flags:
            name = []
        if not name:
            kind = "empty"
            if keys:
                brand = kb.brand(keys.pop())
                hint = brand.hint
        elif looks_like_person(name) and not keys:
            kind, person, hint = "p2p", True, "p2p"
        elif hint is None:
            hint = next((_IMPLIED_HINTS[k] for k in keys if k in _IMPLIED_HINTS), None)
        return self._make(
            kind, brand, title(name) if name else None, person, keys, hint, flags, place, store_number
        )


def _has_stores(brand: Brand) -> bool:
    """Brands with physical outlets (retail, food, travel, services MCCs) have store numbers."""
    return any(m < 6000 or 7000 <= m < 8000 for m in brand.mccs)


def _location_of(tx: Mapping[str, Any]) -> Mapping[str, Any] | None:
    location = tx.get("location")
    return location if isinstance(location, Mapping) else None


def _hint(analysis: Analysis, incoming: bool) -> str | None:
    """The directed category hint of a transaction."""
    flags = analysis.flags
    if incoming:
        for flag, hint in _IN_OVERRIDES:
            if flag in flags:
                return hint
        if "interest" in flags and analysis.kind != "payroll":
            return "interest"
        if "cash_deposit" in flags:
            return "cash_deposit"
        return _party_or_keyword(analysis, True, _IN_FALLBACKS)
    if "atm" in flags:
        return "atm"
    if analysis.hint == "bank" and analysis.kind == "merchant":
        return _first(flags, _BANK_OUT) or "bank"
    return _party_or_keyword(analysis, False, _OUT_FALLBACKS)


def _party_or_keyword(
    analysis: Analysis, incoming: bool, fallbacks: tuple[tuple[str, str], ...]
) -> str | None:
    """A known party's hint, else a keyword's, else the business-type word of an unknown name."""
    if analysis.hint is not None and analysis.kind != "unknown":
        return directed_hint(analysis.hint, incoming)
    keyword = _first(analysis.flags, fallbacks)
    if keyword is not None:
        return keyword
    return None if analysis.hint is None else directed_hint(analysis.hint, incoming)


def _first(flags: frozenset[str], table: tuple[tuple[str, str], ...]) -> str | None:
    return next((hint for flag, hint in table if flag in flags), None)
