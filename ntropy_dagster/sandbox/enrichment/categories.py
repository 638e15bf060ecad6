"""Category sets and the mapping from the engine's category hints to the labels of a set.

The engine never decides a label directly: merchants, keywords and transfer patterns yield a *hint* (e.g.
``coffee``, ``salary``), and the hint is resolved against the category set in force for the account holder.
Each hint has an ordered list of candidate labels (most specific first, then synonyms used by other sets,
then broader labels); the first candidate present in the set wins. That makes custom sets work without
configuration: the public example set with ``food and dining out`` / ``earned income`` resolves through the
same lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

ACCOUNTING_CATEGORIES: tuple[str, ...] = (
    "operational expenses",
    "cost of goods sold",
    "revenue",
    "financing",
    "taxes",
)

MISSING_ACCOUNT_HOLDER = "missing account holder information"
NOT_ENOUGH_INFORMATION = "not enough information"
OTHER = "other"
SPECIAL_LABELS: frozenset[str] = frozenset({MISSING_ACCOUNT_HOLDER, NOT_ENOUGH_INFORMATION, OTHER})

# Assumption: the real default label lists are not public (contract §8); these are realistic sets. The
# special values above are always allowed in addition to the listed labels.
DEFAULT_CATEGORIES: dict[str, dict[str, list[str]]] = {
    "consumer": {
        "incoming": [
            "salary",
            "government benefits",
            "pension",
            "refunds",
            "interest",
            "investment income",
            "loans and advances",
            "tax refunds",
            "transfers in",
            "cash deposits",
            "gig and freelance income",
        ],
        "outgoing": [
            "groceries",
            "restaurants",
            "fast food",
            "coffee shops",
            "food delivery",
            "bars and nightlife",
            "fuel",
            "auto and vehicle",
            "parking and tolls",
            "public transportation",
            "ride hailing and taxis",
            "car rental",
            "airlines",
            "hotels and lodging",
            "travel",
            "general merchandise",
            "department stores",
            "online marketplaces",
            "clothing and accessories",
            "electronics",
            "home improvement",
            "home and garden",
            "pharmacy",
            "health and medical",
            "fitness",
            "personal care",
            "pets",
            "entertainment",
            "streaming services",
            "digital subscriptions",
            "software and apps",
            "gaming",
            "utilities",
            "telecom",
            "internet and cable",
            "insurance",
            "rent",
            "mortgage",
            "loan payments",
            "credit card payments",
            "bank fees",
            "cash withdrawals",
            "investments and savings",
            "taxes",
            "government fees",
            "education",
            "childcare",
            "charity and donations",
            "shipping and postage",
            "professional services",
            "transfers out",
        ],
    },
    "business": {
        "incoming": [
            "revenue",
            "refunds",
            "loans and financing",
            "investment and equity",
            "interest",
            "tax refunds",
            "grants",
            "transfers in",
            "cash deposits",
        ],
        "outgoing": [
            "software",
            "cloud infrastructure",
            "advertising and marketing",
            "payroll",
            "employee benefits",
            "contractors and freelancers",
            "professional services",
            "rent and lease",
            "utilities",
            "telecom and internet",
            "insurance",
            "office supplies",
            "equipment and hardware",
            "inventory and materials",
            "shipping and postage",
            "travel",
            "meals and entertainment",
            "fuel and vehicle",
            "ground transportation",
            "taxes",
            "government fees and licenses",
            "loan repayments",
            "bank fees",
            "payment processing fees",
            "credit card payments",
            "charitable donations",
            "education and training",
            "cash withdrawals",
            "transfers out",
        ],
    },
}

_FOOD_OUT = ("food and dining out", "food and dining", "dining", "meals and entertainment", "meals", "food")
_SHOP = ("shopping and goods", "shopping", "retail")
_SUBS = ("subscriptions and digital services", "digital subscriptions", "subscriptions")
_TRANSPORT = ("transportation", "auto and transport", "ground transportation", "travel")

# Outgoing hints -> candidate labels, most specific first.
_OUT: dict[str, tuple[str, ...]] = {
    "groceries": ("groceries", "grocery", "supermarkets", "food and groceries", *_FOOD_OUT, *_SHOP),
    "wholesale": (
        "inventory and materials",
        "groceries",
        "general merchandise",
        "cost of goods sold",
        *_SHOP,
    ),
    "convenience": ("groceries", "convenience stores", "general merchandise", *_FOOD_OUT, *_SHOP),
    "restaurants": ("restaurants", "restaurants and dining", *_FOOD_OUT),
    "fast_food": ("fast food", "restaurants", *_FOOD_OUT),
    "coffee": ("coffee shops", "coffee shop", "coffee", "cafes", "restaurants", *_FOOD_OUT),
    "bars": ("bars and nightlife", "bars", "alcohol and bars", "restaurants", *_FOOD_OUT, "entertainment"),
    "food_delivery": ("food delivery", "restaurants", *_FOOD_OUT),
    "fuel": (
        "fuel",
        "gas",
        "gas and fuel",
        "fuel and vehicle",
        "auto and vehicle",
        "vehicle expenses",
        *_TRANSPORT,
    ),
    "ev_charging": (
        "ev charging",
        "fuel",
        "gas and fuel",
        "fuel and vehicle",
        "auto and vehicle",
        *_TRANSPORT,
    ),
    "auto": ("auto and vehicle", "auto maintenance", "fuel and vehicle", "vehicle expenses", *_TRANSPORT),
    "parking": (
        "parking and tolls",
        "parking",
        "tolls",
        "ground transportation",
        "fuel and vehicle",
        *_TRANSPORT,
    ),
    "public_transport": ("public transportation", "public transport", "transit", *_TRANSPORT),
    "rideshare": ("ride hailing and taxis", "ride sharing", "rideshare", "taxis", *_TRANSPORT),
    "car_rental": ("car rental", "travel", *_TRANSPORT),
    "rail": ("public transportation", "rail", "travel", *_TRANSPORT),
    "airline": ("airlines", "flights", "air travel", "travel"),
    "hotel": ("hotels and lodging", "hotels", "lodging", "accommodation", "travel"),
    "travel": ("travel", "travel agencies", "hotels and lodging"),
    "general": ("general merchandise", "department stores", *_SHOP, "office supplies"),
    "department": ("department stores", "general merchandise", "clothing and accessories", *_SHOP),
    "marketplace": (
        "online marketplaces",
        "online shopping",
        "general merchandise",
        *_SHOP,
        "office supplies",
    ),
    "clothing": ("clothing and accessories", "clothing", "apparel", *_SHOP),
    "electronics": ("electronics", "equipment and hardware", *_SHOP),
    "home_improvement": ("home improvement", "home and garden", "equipment and hardware", *_SHOP, "housing"),
    "furniture": ("home and garden", "furniture", "home improvement", "equipment and hardware", *_SHOP),
    "pharmacy": ("pharmacy", "health and medical", "health and wellness", "healthcare", "medical"),
    "health": ("health and medical", "health and wellness", "healthcare", "medical", "employee benefits"),
    "fitness": ("fitness", "gym and fitness", "health and wellness", "entertainment and recreation"),
    "personal_care": ("personal care", "personal care and services", "health and wellness", *_SHOP),
    "pets": ("pets", "pet care", *_SHOP),
    "office_supplies": ("office supplies", "general merchandise", *_SHOP),
    "books": ("education", "books", "education and training", "entertainment", *_SHOP),
    "entertainment": (
        "entertainment",
        "entertainment and recreation",
        "recreation",
        "meals and entertainment",
    ),
    "streaming": (
        "streaming services",
        "streaming",
        *_SUBS,
        "entertainment",
        "entertainment and recreation",
        "software",
    ),
    "digital": ("digital subscriptions", *_SUBS, "software and apps", "software", "streaming services"),
    "software": ("software and apps", "software", *_SUBS),
    "cloud": ("cloud infrastructure", "cloud services", "hosting", "software", "software and apps", *_SUBS),
    "gaming": (
        "gaming",
        "video games",
        "entertainment",
        "entertainment and recreation",
        *_SUBS,
        "software and apps",
    ),
    "advertising": (
        "advertising and marketing",
        "advertising",
        "marketing",
        "software",
        "software and apps",
        *_SUBS,
    ),
    "payroll": ("payroll", "salaries and wages", "wages", "professional services", "fees and charges"),
    "contractors": ("contractors and freelancers", "contractors", "professional services", "transfers out"),
    "professional": (
        "professional services",
        "legal and accounting",
        "personal care and services",
        "fees and charges",
    ),
    "shipping": ("shipping and postage", "shipping", "postage", "office supplies", *_SHOP),
    "coworking": ("rent and lease", "rent", "office rent", "housing"),
    "utilities": ("utilities", "bills and utilities", "housing"),
    "telecom": (
        "telecom",
        "telecom and internet",
        "phone",
        "mobile phone",
        "utilities",
        "bills and utilities",
        *_SUBS,
    ),
    "internet": ("internet and cable", "telecom and internet", "telecom", "internet", "utilities", *_SUBS),
    "insurance": ("insurance",),
    "rent": ("rent", "rent and lease", "housing"),
    "mortgage": ("mortgage", "housing", "loan payments", "loan repayments", "debt and loan payments"),
    "loan": ("loan payments", "loan repayments", "debt and loan payments", "debt payments", "loans"),
    "credit_card": (
        "credit card payments",
        "debt and loan payments",
        "loan payments",
        "loan repayments",
        "transfers out",
    ),
    "bank": (
        "credit card payments",
        "debt and loan payments",
        "loan payments",
        "loan repayments",
        "transfers out",
    ),
    "bank_fees": ("bank fees", "fees and charges", "fees", "payment processing fees"),
    "processor": ("payment processing fees", "transfers out", "fees and charges", "transfers"),
    "bnpl": ("loan payments", "loan repayments", "debt and loan payments", "credit card payments"),
    "atm": ("cash withdrawals", "atm withdrawals", "cash", "transfers out"),
    "investments": ("investments and savings", "investments", "savings", "transfers out"),
    "taxes": ("taxes", "taxes and government fees", "tax payments", "government fees"),
    "government": (
        "government fees",
        "government fees and licenses",
        "taxes and government fees",
        "taxes",
        "fees and charges",
    ),
    "education": ("education", "education and training", "books and education"),
    "childcare": (
        "childcare",
        "child care",
        "kids",
        "education",
        "personal care and services",
        "employee benefits",
    ),
    "charity": (
        "charity and donations",
        "charitable donations",
        "gifts and donations",
        "donations",
        "charity",
    ),
    "transfer": ("transfers out", "transfers", "transfer"),
    "p2p": ("transfers out", "transfers", "transfer"),
    "benefits": ("government fees", "taxes and government fees", "fees and charges"),
}

# Incoming hints -> candidate labels.
_IN: dict[str, tuple[str, ...]] = {
    "salary": (
        "salary",
        "salaries",
        "payroll income",
        "earned income",
        "income",
        "wages",
        "misc income",
        "transfers in",
    ),
    "benefits": ("government benefits", "benefits", "government income", "grants", "misc income"),
    "pension": (
        "pension",
        "retirement income",
        "government benefits",
        "investment income",
        "misc income",
        "transfers in",
    ),
    "refund": ("refunds", "refunds and reimbursements", "reimbursements", "returns"),
    "interest": ("interest", "interest income", "investment income", "investment income and withdrawals"),
    "investment_income": (
        "investment income",
        "dividends and investment income",
        "investment income and withdrawals",
        "investment and equity",
        "investments",
        "interest",
    ),
    "loan_in": (
        "loans and advances",
        "loans and advances received",
        "loans and financing",
        "loans",
        "financing",
    ),
    "tax_refund": ("tax refunds", "refunds", "refunds and reimbursements", "government benefits"),
    "transfer_in": ("transfers in", "transfers", "transfer"),
    "cash_deposit": ("cash deposits", "cash", "transfers in"),
    "payout": (
        "revenue",
        "sales",
        "payouts",
        "gig and freelance income",
        "earned income",
        "misc income",
        "transfers in",
    ),
    "gig": ("gig and freelance income", "earned income", "revenue", "misc income", "transfers in"),
}

# Incoming counterpart of an outgoing hint (a payment *from* a shop is a refund, from a bank a transfer...).
_INCOMING_OF: dict[str, str] = {
    "payroll": "salary",
    "bank": "transfer_in",
    "investments": "investment_income",
    "loan": "loan_in",
    "bnpl": "refund",
    "mortgage": "loan_in",
    "credit_card": "refund",
    "taxes": "tax_refund",
    "government": "refund",
    "processor": "payout",
    "rideshare": "gig",
    "food_delivery": "refund",
    "contractors": "gig",
    "transfer": "transfer_in",
    "p2p": "transfer_in",
    "atm": "cash_deposit",
    "insurance": "refund",
}

# Outgoing counterpart of an incoming hint (used when e.g. a payroll keyword appears on an outgoing payment).
_OUTGOING_OF: dict[str, str] = {
    "salary": "payroll",
    "transfer_in": "transfer",
    "loan_in": "loan",
    "cash_deposit": "atm",
    "investment_income": "investments",
    "payout": "processor",
    "gig": "contractors",
    "tax_refund": "taxes",
    "benefits": "benefits",
}

_ACCOUNTING: dict[str, str] = {
    "wholesale": "cost of goods sold",
    "taxes": "taxes",
    "tax_refund": "taxes",
    "mortgage": "financing",
    "loan": "financing",
    "bnpl": "financing",
    "credit_card": "financing",
    "bank": "financing",
    "investments": "financing",
    "transfer": "financing",
    "p2p": "financing",
    "atm": "financing",
    "salary": "revenue",
    "benefits": "revenue",
    "pension": "revenue",
    "interest": "revenue",
    "payout": "revenue",
    "gig": "revenue",
    "refund": "operational expenses",
    "investment_income": "financing",
    "loan_in": "financing",
    "transfer_in": "financing",
    "cash_deposit": "financing",
}

_OTHER_LIKE = (
    "other",
    "other outgoing",
    "other incoming",
    "other expenses",
    "other income",
    "misc",
    "miscellaneous",
)


def is_incoming(entry_type: object) -> bool:
    """``incoming``/``credit`` are money in; everything else (``outgoing``/``debit``/unknown) is money out."""
    return isinstance(entry_type, str) and entry_type.strip().lower() in ("incoming", "credit")


def directed_hint(hint: str, incoming: bool) -> str:
    """The hint for the transaction's direction (``coffee`` incoming is a ``refund``)."""
    if incoming:
        if hint in _IN:
            return hint
        return _INCOMING_OF.get(hint, "refund")
    if hint in _OUT:
        return hint
    return _OUTGOING_OF.get(hint, "transfer")


def accounting_for(hint: str) -> str:
    """Accounting category of a (directed) hint for business account holders."""
    return _ACCOUNTING.get(hint, "operational expenses")


def default_categories(account_holder_type: str | None) -> dict[str, list[str]] | None:
    """The default set for ``consumer``/``business`` (None for anything else)."""
    return DEFAULT_CATEGORIES.get(account_holder_type or "")


def resolve_label(hint: str | None, incoming: bool, labels: Sequence[str], is_default: bool) -> str:
    """The label of ``labels`` (one direction of a category set) that a directed hint maps to.

    Assumption (contract: ``not enough information`` = ambiguous, ``other`` = nothing fits): no hint gives
    ``not enough information``; a hint whose candidates are all missing from the set gives the set's own
    catch-all (``other``, ``other outgoing``, ``misc``...) if it has one, else ``other`` for the default sets
    and ``not enough information`` for custom sets (v2 docs: labels outside a custom hierarchy become
    ``not enough information``).
    """
    if hint is None:
        return NOT_ENOUGH_INFORMATION
    return _resolve(hint, incoming, tuple(labels), is_default)


@lru_cache(maxsize=4096)
def _resolve(hint: str, incoming: bool, labels: tuple[str, ...], is_default: bool) -> str:
    by_lower = {label.strip().lower(): label for label in labels if isinstance(label, str)}
    candidates = (_IN if incoming else _OUT).get(hint, ())
    for candidate in candidates:
        if candidate in by_lower:
            return by_lower[candidate]
    # A custom label that contains one of the candidates (e.g. "groceries & household").
    for candidate in candidates[:3]:
        for lower, label in by_lower.items():
            if candidate in lower:
                return label
    for catch_all in _OTHER_LIKE:
        if catch_all in by_lower:
            return by_lower[catch_all]
    return OTHER if is_default else NOT_ENOUGH_INFORMATION


def categories_for(
    account_holder_type: str | None, categories: Mapping[str, Sequence[str]] | None
) -> tuple[Mapping[str, Sequence[str]] | None, bool]:
    """The category set in force and whether it is a default set."""
    if categories is not None:
        default = default_categories(account_holder_type)
        return categories, default is not None and _same_set(categories, default)
    return default_categories(account_holder_type), True


def _same_set(a: Mapping[str, Sequence[str]], b: Mapping[str, Sequence[str]]) -> bool:
    return list(a.get("incoming") or ()) == b["incoming"] and list(a.get("outgoing") or ()) == b["outgoing"]


HINTS: frozenset[str] = frozenset(_OUT) | frozenset(_IN)
