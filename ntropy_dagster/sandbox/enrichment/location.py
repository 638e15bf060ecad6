"""Location: city/state/postcode/country tokens at the end of a description, and the v3 location object."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from .data.places import CITIES, COUNTRIES, COUNTRY_ALIASES, US_STATES
from .text import NOISE_WORDS, fold, title, tokens, words

_US_ZIP = re.compile(r"^\d{5}(?:\d{4})?$")
_UK_OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")
_UK_INWARD = re.compile(r"^\d[A-Z]{2}$")
_COUNTRY_FIELD = re.compile(r"^([A-Z]{2})(?:-([A-Z0-9]{1,3}))?$")
_HOUSE = re.compile(r"^\s*(\d+[A-Z]?)\s+(.+)$", re.IGNORECASE)

# Two-letter tokens that are ordinary words too: only a location when a known city precedes them.
_AMBIGUOUS = words("AT NO IT BE IN OR ME OK HI CO AL LA DE PA MA ID OH SO TO AS IS AN ES")
# City names that are ordinary words: only a city when a state or country follows.
_WORDY_CITIES = frozenset({"READING", "NICE", "BATH", "MOBILE"})
_MAX_CITY_TOKENS = 3
# Words that follow merchant names but are never an (unknown) city.
_NOT_CITY = NOISE_WORDS | words(
    """BILL HELP PAY SUPPORT INC LLC LTD CORP COM NET ORG USA SVCS SERVICES ONLINE COMM SUBS SUBSCR
    SUBSCRIPTION MEMBERSHIP DIGITAL APP PREMIUM INTELL AUTO PLUS RIDE TRIP EATS"""
)

STRUCTURED_KEYS = (
    "street",
    "city",
    "state",
    "postcode",
    "country_code",
    "country",
    "latitude",
    "longitude",
    "google_maps_url",
    "apple_maps_url",
    "store_number",
    "house_number",
)


@dataclass
class Place:
    """Location parts found in a description (all optional)."""

    city: str | None = None
    city_key: str | None = None
    state: str | None = None
    postcode: str | None = None
    country_code: str | None = None
    raw: str | None = None

    def empty(self) -> bool:
        """True when nothing was found."""
        return not (self.city or self.state or self.postcode or self.country_code)


def _country_of(tok: str) -> str | None:
    if tok in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[tok]
    return tok if len(tok) == 2 and tok in COUNTRIES else None


def _city_ending(toks: list[str], end: int, floor: int) -> tuple[str, int] | None:
    for n in range(min(_MAX_CITY_TOKENS, end - floor), 0, -1):
        key = " ".join(toks[end - n : end])
        if key in CITIES:
            return key, end - n
    return None


def extract(toks: list[str], floor: int, *, infer_city: bool = False) -> tuple[Place, int]:
    """Location parts at the end of ``toks`` (never consuming tokens before ``floor``).

    Returns the place and the index where the location starts. An unknown single-token city right before a
    recognised state is taken when ``infer_city`` (the merchant is known, so the token cannot be its name) or
    when a number (store number) separates it from the name.
    """
    place = Place()
    i = len(toks)
    start = i
    i = _postcode(toks, i, floor, place)
    if i > floor:
        tok = toks[i - 1]
        code = _country_of(tok) if len(tok) > 2 or tok not in US_STATES else None
        city = _city_ending(toks, i - 1, floor)
        if code is None and tok in COUNTRIES and city and CITIES[city[0]][1] == tok:
            code = tok  # "BERLIN DE": Germany, not Delaware
        if code and (tok not in _AMBIGUOUS or (city and CITIES[city[0]][1] == code)):
            place.country_code = code
            i -= 1
            if place.postcode is None:
                i = _postcode(toks, i, floor, place)
    if i > floor and toks[i - 1] in US_STATES:
        tok = toks[i - 1]
        city = _city_ending(toks, i - 1, floor)
        after_name = infer_city and i - 2 >= floor and toks[i - 2].isalpha() and toks[i - 2] not in _NOT_CITY
        if (city and CITIES[city[0]][1] == "US") or tok not in _AMBIGUOUS or after_name:
            place.state = tok
            place.country_code = place.country_code or "US"
            i -= 1
    if place.postcode and not (place.state or place.country_code) and _US_ZIP.match(place.postcode):
        # A bare five-digit number is a store or reference number, not a ZIP code.
        place.postcode = None
        i = start
    city = _city_ending(toks, i, floor)
    if city and (city[0] not in _WORDY_CITIES or place.state or place.country_code):
        key, i = city
        name, country, state, _, _ = CITIES[key]
        if place.country_code in (None, country) and (place.state is None or place.state == state):
            place.city, place.city_key = name, key
            place.country_code = country
            if place.state is None and state:
                place.state = state
    elif (
        (infer_city or (i >= 2 and toks[i - 2].isdigit()))
        and place.state
        and i - 1 >= floor
        and toks[i - 1].isalpha()
        and len(toks[i - 1]) > 3
        and toks[i - 1] not in _NOT_CITY
    ):
        place.city = title([toks[i - 1]])
        i -= 1
    if not place.empty():
        place.raw = " ".join(toks[i:start])
    return place, i


def _postcode(toks: list[str], i: int, floor: int, place: Place) -> int:
    if i - 1 >= floor and _US_ZIP.match(toks[i - 1]):
        place.postcode = toks[i - 1]
        return i - 1
    if i - 2 >= floor and _UK_OUTWARD.match(toks[i - 2]) and _UK_INWARD.match(toks[i - 1]):
        place.postcode = f"{toks[i - 2]} {toks[i - 1]}"
        place.country_code = place.country_code or "GB"
        return i - 2
    return i


def structured(
    place: Place | None, tx_location: Mapping[str, Any] | None, store_number: str | None
) -> dict[str, Any]:
    """The v3 ``location`` object: ``{"raw_address", "structured"}`` from the description and the input."""
    raw_address = None
    parts: dict[str, Any] = dict.fromkeys(STRUCTURED_KEYS)
    city_key = None
    if place is not None and not place.empty():
        parts.update(
            city=place.city, state=place.state, postcode=place.postcode, country_code=place.country_code
        )
        city_key = place.city_key
        raw_address = place.raw
    if isinstance(tx_location, Mapping):
        given = tx_location.get("raw_address")
        if isinstance(given, str) and given.strip():
            raw_address = given.strip()
            city_key = _merge_address(given, parts) or city_key
        country = tx_location.get("country")
        if isinstance(country, str):
            m = _COUNTRY_FIELD.match(country.strip().upper())
            if m:
                parts["country_code"] = m.group(1)
                if m.group(2) and not parts["state"]:
                    parts["state"] = m.group(2)
    parts["store_number"] = store_number
    if all(v is None for v in parts.values()):
        return {"raw_address": raw_address, "structured": None}
    code = parts["country_code"]
    if code:
        parts["country"] = COUNTRIES.get(code)
    if city_key and CITIES[city_key][1] == (code or CITIES[city_key][1]):
        parts["latitude"], parts["longitude"] = CITIES[city_key][3], CITIES[city_key][4]
    _maps_urls(parts)
    return {"raw_address": raw_address, "structured": parts}


def _merge_address(raw: str, parts: dict[str, Any]) -> str | None:
    """Fill parts from a free-text address such as ``123 Main St, Seattle, WA 98101``."""
    first = raw.split(",", 1)[0]
    house = _HOUSE.match(first)
    if house and "," in raw:
        parts["house_number"] = house.group(1)
        parts["street"] = house.group(2).strip()
    toks = tokens(fold(raw))
    place, _ = extract(toks, 0)
    for key in ("city", "state", "postcode", "country_code"):
        value = getattr(place, key)
        if value:
            parts[key] = value
    return place.city_key


def _maps_urls(parts: dict[str, Any]) -> None:
    lat, lon = parts["latitude"], parts["longitude"]
    if lat is not None and lon is not None:
        parts["google_maps_url"] = f"https://www.google.com/maps/search/?api=1&query={lat},{lon}"
        parts["apple_maps_url"] = f"https://maps.apple.com/?ll={lat},{lon}"
        return
    address = ", ".join(
        str(parts[k]) for k in ("street", "city", "state", "postcode", "country") if parts[k] is not None
    )
    if address:
        parts["google_maps_url"] = "https://www.google.com/maps/search/?api=1&query=" + quote_plus(address)
        parts["apple_maps_url"] = "https://maps.apple.com/?q=" + quote_plus(address)
