"""The indexed merchant knowledge base: entity records and token-sequence alias matching."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from .data.merchants import INTERMEDIARIES, MERCHANTS
from .text import tokens

LOGO_BASE = "https://logos.ntropy.com/"


@dataclass(frozen=True)
class Brand:
    """One known organisation of the knowledge base."""

    key: str
    name: str
    website: str
    mccs: tuple[int, ...]
    hint: str
    is_intermediary: bool

    id: str = field(init=False)
    _template: tuple[tuple[str, Any], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", entity_id(self.website))
        template = {
            "id": self.id,
            "name": self.name,
            "website": self.website,
            "logo": LOGO_BASE + self.domain,
            "mccs": None,
            "phone_number": None,
            "tax_number": None,
            "naics2017": None,
        }
        object.__setattr__(self, "_template", tuple(template.items()))

    @property
    def domain(self) -> str:
        """The website's host part (logos are served per domain)."""
        return self.website.split("/", 1)[0]

    def entity(self) -> dict[str, Any]:
        """A fresh Entity dict (v3 shape) for this brand."""
        entity = dict(self._template)
        entity["mccs"] = list(self.mccs)
        return entity


def blank_entity() -> dict[str, Any]:
    """An Entity dict with every key and nothing known."""
    return {
        "id": None,
        "name": None,
        "website": None,
        "logo": None,
        "mccs": [],
        "phone_number": None,
        "tax_number": None,
        "naics2017": None,
    }


def entity_id(website: str) -> str:
    """Stable id of an organisation: UUID3 in the DNS namespace of its website.

    Assumption: this reproduces the ids in Ntropy's documentation exactly (``starbucks.com`` ->
    ``d4bc3c80-ec1a-3da2-836e-2a4ca4758be5``, ``squareup.com`` -> ``916bc837-55ef-3106-88f6-5a8269ca9f2a``),
    so it is preferred over a UUID5 scheme.
    """
    return str(uuid.uuid3(uuid.NAMESPACE_DNS, website))


def person_id(name: str) -> str:
    """Stable id of a person counterparty: UUID5 of the normalised (lower-case, single-spaced) name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "person:" + " ".join(name.lower().split())))


class KnowledgeBase:
    """All brands, indexed by id, website and alias token sequences (first token -> candidates)."""

    def __init__(self) -> None:
        self.brands: list[Brand] = []
        self.by_id: dict[str, Brand] = {}
        self.by_website: dict[str, Brand] = {}
        self.by_key: dict[str, Brand] = {}
        self._index: dict[str, list[tuple[tuple[str, ...], Brand]]] = {}
        self._load(MERCHANTS, intermediary=False)
        self._load(INTERMEDIARIES, intermediary=True)
        for candidates in self._index.values():
            candidates.sort(key=lambda item: -len(item[0]))
        # First alias tokens of payroll providers (cheap pre-check for payroll detection).
        self.payroll_first_tokens = frozenset(
            first for first, bucket in self._index.items() if any(b.hint == "payroll" for _, b in bucket)
        )

    def _load(self, table: str, *, intermediary: bool) -> None:
        for line in table.strip().splitlines():
            name, website, mccs, hint, aliases = line.split("|")
            key = website
            brand = Brand(key, name, website, tuple(int(m) for m in mccs.split()), hint, intermediary)
            self.brands.append(brand)
            self.by_key[key] = brand
            self.by_id.setdefault(brand.id, brand)
            self.by_website.setdefault(website, brand)
            explicit_only = aliases.startswith("=")
            alias_texts = aliases.lstrip("=").split(";")
            if not explicit_only:
                alias_texts += [name, website.split("/", 1)[0]]
            for text in alias_texts:
                self._add_alias(tokens(text.upper()), brand)

    def _add_alias(self, toks: list[str], brand: Brand) -> None:
        if not toks:
            return
        variants = {tuple(toks)}
        if len(toks) > 1:
            variants.add(("".join(toks),))
        for variant in variants:
            bucket = self._index.setdefault(variant[0], [])
            if all(existing != variant for existing, _ in bucket):
                bucket.append((variant, brand))

    def find(self, toks: list[str], start: int = 0, *, intermediaries: bool | None = None) -> Match | None:
        """The best alias match in ``toks[start:]``: longest token sequence, earliest on ties.

        ``intermediaries`` restricts the match to intermediaries (True) or merchants (False).
        """
        best: Match | None = None
        for i in range(start, len(toks)):
            for alias, brand in self._index.get(toks[i], ()):
                if intermediaries is not None and brand.is_intermediary != intermediaries:
                    continue
                n = len(alias)
                if best is not None and n <= best.end - best.start:
                    break
                if tuple(toks[i : i + n]) == alias:
                    best = Match(brand, i, i + n)
                    break
        return best

    def brand(self, key: str) -> Brand:
        """A brand by its key (its website)."""
        return self.by_key[key]


@dataclass(frozen=True)
class Match:
    """An alias occurrence: the brand and the token span ``[start, end)``."""

    brand: Brand
    start: int
    end: int


def normalise_website(website: str) -> str:
    """``https://www.Starbucks.com/`` -> ``starbucks.com`` (scheme, ``www.`` and trailing slash dropped)."""
    site = website.strip().lower()
    site = re.sub(r"^[a-z][a-z0-9+.-]*://", "", site)
    site = site.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return site.removeprefix("www.")
