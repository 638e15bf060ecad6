"""Keyword signals in descriptions: transaction-type flags and business-type words of unknown merchants."""

from __future__ import annotations

import re

# Transaction-type flags, found anywhere in the cleaned description.
_FLAGS: tuple[tuple[str, str], ...] = (
    ("tax_refund", r"\bTAX\s+REF(?:UND)?\b|\bTAXRFD\b"),
    ("refund", r"\b(?:REFUND|REFUNDED|RETURN|RETURNED|REVERSAL|REVERSED|CHARGEBACK|RFND|CREDIT\s+VOUCHER)\b"),
    ("interest", r"\bINTEREST\b|\bINT\s+(?:PAID|EARNED|PAYMENT|CREDIT|CHARGE|CHG)\b"),
    ("dividend", r"\bDIVIDENDS?\b|\bDIV\s+(?:PAID|PAYMENT)\b"),
    ("atm", r"\bATM\b(?!\s+DEPOSIT)|\bCASH\s+(?:WITHDRAWAL|WDL|W\s?D)\b|\bCASHPOINT\b"),
    ("cash_deposit", r"\b(?:CASH|ATM|BRANCH|COUNTER|MOBILE)\s+DEPOSIT\b"),
    ("fee", r"\b(?:FEE|FEES|OVERDRAFT|NSF|SERVICE\s+CHARGE|MAINTENANCE\s+(?:FEE|CHARGE)|OD\s+CHARGE)\b"),
    ("rent", r"\bRENT\b|\bLANDLORD\b|\bRENTAL\s+PAYMENT\b"),
    ("mortgage", r"\bMORTGAGE\b|\bMTG\s+PMT\b"),
    ("loan", r"\bLOAN\b|\bLN\s+PMT\b|\bLOAN\s+PMT\b"),
    ("tax", r"\bTAX(?:ES)?\b|\bVAT\b|\bSELF\s+ASSESSMENT\b"),
    (
        "card_payment",
        r"\b(?:AUTOPAY|AUTO\s+PAY|CRD\s+PMT|CARD\s+(?:PAYMENT|PMT)|CREDIT\s+CARD|CREDIT\s+CRD|EPAY(?:MENT)?"
        r"|E\s+PAYMENT|CC\s+PAYMENT|PAYMENT\s+THANK\s+YOU|THANK\s+YOU)\b",
    ),
    ("insurance", r"\bINSURANCE\b|\bINS\s+PREM\b"),
    ("charity", r"\bDONATION\b|\bDONATE\b|\bCHARITY\b"),
    ("education", r"\bTUITION\b"),
    ("benefits", r"\bBENEFITS?\b|\bUNEMPLOYMENT\b|\bUNIVERSAL\s+CREDIT\b|\bSSI\b"),
    ("pension", r"\bPENSION\b|\bANNUITY\b"),
    ("transfer", r"\b(?:TRANSFER|XFER|TFR|TRF|WIRE)\b"),
    ("deposit", r"\bDEPOSIT\b"),
)
_FLAG_RX = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _FLAGS))
# Every flag pattern starts a word with one of these three-letter prefixes: a cheap pre-check.
_FLAG_GATE = frozenset(w[:3] for _, rx in _FLAGS for w in re.findall(r"[A-Z]{3,}", rx))

# Business-type words of unknown merchants -> category hint; earlier entries win.
_WORDS: tuple[tuple[str, str], ...] = (
    ("coffee", r"CAFE|CAFFE|COFFEE|ESPRESSO|ROASTERS|ROASTERY|TEAHOUSE"),
    ("bars", r"BAR|PUB|TAVERN|BREWERY|BREWING|SALOON|LOUNGE|TAPROOM|COCKTAILS?"),
    (
        "fast_food",
        r"BURGERS?|PIZZA|PIZZERIA|TACOS?|TAQUERIA|WINGS|KEBAB|DELI|BAGELS?|DONUTS?|SANDWICH(?:ES)?",
    ),
    (
        "restaurants",
        r"RESTAURANT|RESTAURANTE|GRILL|DINER|KITCHEN|SUSHI|BISTRO|BBQ|STEAKHOUSE|RAMEN|NOODLES?|TRATTORIA"
        r"|CANTINA|EATERY|BRASSERIE|CUISINE|BAKERY|PATISSERIE|RISTORANTE",
    ),
    ("groceries", r"GROCERY|GROCERIES|GROCER|SUPERMARKET|SUPERMERCADO|MARKET|MKT|BUTCHER|LIQUORS?|FOODS"),
    ("fuel", r"FUEL|PETROL|GASOLINE|PETRO|GAS\s+STATION|SERVICE\s+STATION|TRUCK\s+STOP"),
    ("pharmacy", r"PHARMACY|DRUGS?|DRUGSTORE|CHEMIST|APOTHEKE|PHARMACIE"),
    (
        "health",
        r"DENTAL|DENTIST|ORTHODONTICS?|MEDICAL|CLINIC|HOSPITAL|PHYSICIANS?|PEDIATRICS?|HEALTH|URGENT\s+CARE"
        r"|OPTOMETRY|CHIROPRACTIC|THERAPY|DERMATOLOGY",
    ),
    ("hotel", r"HOTEL|HOTELS|INN|MOTEL|RESORT|HOSTEL|LODGE"),
    ("parking", r"PARKING|TOLLS?"),
    ("rideshare", r"TAXI|CAB|CABS|LIMO|LIMOUSINE|CHAUFFEUR"),
    ("auto", r"AUTO|TIRES?|TYRES?|MOTORS|CAR\s+WASH|COLLISION|TOWING|AUTOMOTIVE|MECHANIC|LUBE"),
    ("personal_care", r"SALON|BARBER|BARBERSHOP|NAILS|SPA|BEAUTY|HAIR|COSMETICS|LASH"),
    ("fitness", r"GYM|FITNESS|YOGA|PILATES|CROSSFIT|CLIMBING"),
    ("pets", r"VET|VETERINARY|PETS?|ANIMAL\s+HOSPITAL|GROOMING"),
    ("books", r"BOOKS|BOOKSTORE|BOOKSHOP"),
    ("childcare", r"DAYCARE|CHILDCARE|PRESCHOOL"),
    ("education", r"SCHOOL|UNIVERSITY|COLLEGE|ACADEMY|MONTESSORI|LEARNING"),
    ("charity", r"CHURCH|FOUNDATION|CHARITY|MINISTRIES|PARISH|TEMPLE|MOSQUE|SYNAGOGUE"),
    (
        "professional",
        r"LAW|LEGAL|ATTORNEYS?|SOLICITORS|CPA|ACCOUNTING|ACCOUNTANTS|CONSULTING|ADVISORS|NOTARY",
    ),
    ("entertainment", r"CINEMA|THEATER|THEATRE|MUSEUM|ZOO|BOWLING|ARCADE|CONCERT|TICKETS|GOLF|AQUARIUM"),
    ("airline", r"AIRLINES?|AIRWAYS|AIR\s+LINES"),
    ("utilities", r"ELECTRIC|ENERGY|WATER|POWER|UTILITY|UTILITIES|SEWER|WASTE"),
    ("telecom", r"WIRELESS|TELECOM|CELLULAR|BROADBAND|INTERNET|CABLE"),
    ("insurance", r"INSURANCE|ASSURANCE|MUTUAL"),
    ("home_improvement", r"HARDWARE|LUMBER|PLUMBING|HOME\s+CENTER"),
    ("clothing", r"APPAREL|CLOTHING|BOUTIQUE|SHOES|FOOTWEAR|TAILORS?"),
    ("furniture", r"FURNITURE|MATTRESS|HOME\s+DECOR"),
    ("electronics", r"ELECTRONICS|COMPUTERS?"),
    ("shipping", r"SHIPPING|POSTAGE|POST\s+OFFICE|COURIER"),
    ("cloud", r"HOSTING|CLOUD"),
    ("software", r"SOFTWARE|SAAS"),
    (
        "government",
        r"CITY\s+OF|COUNTY|STATE\s+OF|DEPT\s+OF|DEPARTMENT\s+OF|MUNICIPAL|COURTS?|PERMITS?|LICEN[CS]E",
    ),
    ("rent", r"APARTMENTS|APTS|PROPERTIES|REALTY|RENTALS|LEASING|PROPERTY\s+MANAGEMENT|PROPERTY\s+MGMT"),
    ("general", r"FLORIST|FLOWERS|GIFTS?|HOBBY|CRAFTS|TOYS|THRIFT|OUTLET|DEPOT|STORES|SHOP"),
)
_WORD_RX = re.compile("|".join(rf"(?P<{name}>\b(?:{rx})\b)" for name, rx in _WORDS))
_WORD_RANK = {name: i for i, (name, _) in enumerate(_WORDS)}


def flags(text: str, toks: list[str]) -> frozenset[str]:
    """Transaction-type flags present in the text (e.g. ``refund``, ``atm``, ``interest``)."""
    if _FLAG_GATE.isdisjoint(t[:3] for t in toks):
        return frozenset()
    return frozenset(m.lastgroup for m in _FLAG_RX.finditer(text) if m.lastgroup)


def word_hint(text: str) -> str | None:
    """The category hint suggested by business-type words of an unknown merchant name."""
    found = [m.lastgroup for m in _WORD_RX.finditer(text) if m.lastgroup]
    return min(found, key=_WORD_RANK.__getitem__) if found else None
