"""Description normalisation: processor and card-network prefixes, reference noise, tokens and title case."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Processor / wallet / delivery-app prefixes -> intermediary key (website in the knowledge base).
_PROCESSOR_PREFIXES: tuple[tuple[str, str], ...] = (
    (r"SQC\s*\*\s*", "cash.app"),
    (r"SQU?\s*\*\s*", "squareup.com"),
    (r"TST\s*\*\s*|TOAST\s*\*\s*", "toasttab.com"),
    (r"SP\s*\*\s*|SP\s+(?=[A-Z0-9])", "shopify.com"),
    (r"PAYPAL\s*\*\s*|PP\s*\*\s*", "paypal.com"),
    (r"DD\s*\*\s*|DOORDASH\s*\*?\s*|DD\s+DOORDASH\s*\*?\s*", "doordash.com"),
    (r"GRUBHUB\s*\*?\s*|SEAMLESS\s*\*\s*", "grubhub.com"),
    (r"UBER\s*\*?\s*EATS\b\s*\*?\s*|UBEREATS\s*\*?\s*", "ubereats.com"),
    (r"DELIVEROO\s*\*?\s*", "deliveroo.com"),
    (r"JUST\s?EAT\s*\*?\s*", "just-eat.co.uk"),
    (r"POSTMATES\s*\*?\s*", "postmates.com"),
    (r"WOLT\s*\*\s*", "wolt.com"),
    (r"GOOGLE\s*\*\s*", "play.google.com"),
    (r"KLARNA\s*\*?\s*", "klarna.com"),
    (r"AFTERPAY\s*\*?\s*|AFTRPAY\s*\*?\s*", "afterpay.com"),
    (r"AFFIRM\s*\*\s*", "affirm.com"),
    (r"CLEARPAY\s*\*?\s*", "clearpay.co.uk"),
    (r"ZIP\s*\*\s*|QUADPAY\s*\*?\s*", "zip.co"),
    (r"SEZZLE\s*\*?\s*", "sezzle.com"),
    (r"APPLE\s?PAY\s*\*?\s*|APLPAY\s*\*?\s*", "apple.com/apple-pay"),
    (r"GOOGLE\s?PAY\s*\*?\s*|GPAY\s*\*?\s*", "pay.google.com"),
    (r"AMZN\s?PAY\s*\*?\s*|AMAZON\s?PAY\s*\*?\s*", "pay.amazon.com"),
    (r"IZ\s*\*\s*|ZETTLE_?\s*\*\s*", "zettle.com"),
    (r"SUMUP\s*\*\s*", "sumup.com"),
    (r"CLV\s*\*\s*|CLOVER\s*\*\s*", "clover.com"),
    (r"PADDLE(?:\.NET|\s+NET)?\s*\*\s*", "paddle.com"),
    (r"FS\s*\*\s*|FASTSPRING\s*\*\s*", "fastspring.com"),
    (r"BT\s*\*\s*|BRAINTREE\s*\*\s*", "braintreepayments.com"),
    (r"STRIPE\s*\*\s*", "stripe.com"),
    (r"EB\s*\*\s*|EVENTBRITE\s*\*\s*", "eventbrite.com"),
    (r"VENMO\s*\*\s*", "venmo.com"),
    (r"CASH\s?APP\s*\*\s*", "cash.app"),
)
_PROCESSOR_RX = re.compile(
    "^(?:" + "|".join(f"(?P<p{i}>{rx})" for i, (rx, _) in enumerate(_PROCESSOR_PREFIXES)) + ")"
)
_PROCESSOR_KEYS = {f"p{i}": key for i, (_, key) in enumerate(_PROCESSOR_PREFIXES)}

# Wallets mentioned anywhere ("STARBUCKS APPLE PAY").
# The rest of a processor's domain after its prefix ("JUST EAT.CO.UK LTD").
_DOMAIN_TAIL_RX = re.compile(r"^\.(?:CO\.UK|COM|NET|ORG|IO|CO|DE|FR|NL|IE)\b")
_WALLET_RX = re.compile(r"\b(?:(?P<apple>APPLE\s?PAY|APLPAY)|(?P<google>GOOGLE\s?PAY|GPAY))\b")
_WALLET_KEYS = {"apple": "apple.com/apple-pay", "google": "pay.google.com"}

# Card-network / bank boilerplate in front of the merchant (repeatedly stripped).
_GENERIC_PREFIX_RX = re.compile(
    r"^(?:"
    r"POS(?:\s+(?:DEBIT|PURCHASE|PUR|WITHDRAWAL|TRANSACTION|DB|SALE))?"
    r"|DEBIT\s+CARD\s+(?:PURCHASE|PURCH|DEBIT|TRANSACTION)|DEBIT\s+(?:PURCHASE|POS)"
    r"|DBT\s+(?:CRD|CARD)(?:\s+\d{3,4})?"
    r"|CHECK\s?CARD(?:\s+\d{4})?"
    r"|CARD\s+(?:PURCHASE|PAYMENT|TRANSACTION)(?:\s+WITH\s+PIN)?(?:\s+TO)?"
    r"|(?:RECURRING\s+)?PURCHASE\s+AUTHORI[ZS]ED\s+ON\s+\d{1,2}/\d{1,2}"
    r"|PURCHASE(?:\s+RETURN)?"
    r"|VISA\s+(?:DDA\s+)?PUR(?:CHASE)?|VISA\s+DEBIT|MC\s+PURCHASE"
    r"|ACH(?:\s+(?:DEBIT|CREDIT|PMT|PAYMENT|WITHDRAWAL|DEPOSIT|TRANSACTION|HOLD))?"
    r"|RECURRING\s+(?:CARD\s+)?(?:PAYMENT|DEBIT|PURCHASE|CHARGE|TRANSFER)?"
    r"|PRE-?AUTHORI[ZS]ED\s+(?:DEBIT|CREDIT|PAYMENT|ACH)"
    r"|ELECTRONIC\s+(?:PAYMENT|WITHDRAWAL|DEPOSIT|PMT)"
    r"|ONLINE\s+(?:PAYMENT|PMT|PURCHASE|BANKING\s+PAYMENT)"
    r"|WEB\s+(?:PMT|PAYMENT|PURCHASE)|BILL\s+(?:PAYMENT|PAY|PMT)"
    r"|CONTACTLESS(?:\s+PAYMENT)?"
    r"|DIRECT\s+DEBIT(?:\s+PAYMENT)?(?:\s+TO)?"
    r"|INTL?\s+(?:PURCHASE|POS)|INTERNATIONAL\s+PURCHASE"
    r"|DDA\s+(?:DEBIT|PURCHASE|WITHDRAWAL)"
    r"|PENDING|AUTHORI[ZS]ATION|AUTH|SALE"
    r"|DEBIT(?!\s+CARD\b)|CREDIT(?!\s+(?:KARMA|CARD|AGRICOLE|SUISSE)\b)|DD(?!\s*\*)"
    r")(?:\s*[:\-]\s*|\s+|$)"
)

_ACH_ORIG_RX = re.compile(r"ORIG CO NAME:\s*(?P<name>.*?)\s*(?:ORIG ID:|DESC DATE:|CO ENTRY DESCR:|$)")
_ACH_DESCR_RX = re.compile(r"CO ENTRY DESCR:\s*(?P<descr>.*?)\s*(?:SEC:|TRACE#?:|EED:|IND ID:|IND NAME:|$)")
_ACH_FIELDS_RX = re.compile(
    r"\b(?:INDN|IND NAME|IND ID|CO ID|ORIG ID|TRACE#?|EED|SEC|TRN):\s*\S*(?:\s+\S+)*?(?=\s+\w+:|$)"
)
_DES_RX = re.compile(r"\bDES:\s*")

_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC"
_NOISE_RX = re.compile(
    r"(?<![\w])(?:\+?1[\s.-])?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)"  # US phone
    r"|\+\d{2}[\d\s]{8,14}\d"  # international phone
    r"|\b(?:ON\s+|DATE\s+)?\d{4}-\d{2}-\d{2}\b"  # ISO date
    r"|\b(?:ON\s+|DATE\s+)?\d{1,2}[/.]\d{1,2}(?:[/.]\d{2,4})?\b"  # 04/12, 04/12/23
    rf"|\b(?:ON\s+)?\d{{1,2}}\s?(?:{_MONTHS})[A-Z]*(?:\s?\d{{2,4}})?\b"  # 12APR, 12 APR 2024
    r"|\b(?:CARD|CRD)\s*(?:NO\.?|#|ENDING(?:\s+IN)?)?\s*[X*]*\d{4}\b"  # CARD 1234
    r"|[X*]{2,}\d{3,4}\b|\bX\d{4}\b"  # XXXX1234, ****1234, X1234
    r"|\b(?:PPD|CCD|WEB|TEL|IAT|CTX)\s+ID\s*:?\s*\S+"  # ACH ids
    r"|\b(?:ID|REF|REFERENCE|CONF|CONFIRMATION|TRACE|TRN|TXN|APPROVAL|SEQ|INV|INVOICE|ORDER|RRN)"
    r"\s*(?:NO\.?|NUMBER|NBR)?\s*[#:.]?\s*[A-Z0-9-]*\d[A-Z0-9-]*"  # reference codes
    r"|\bCO\s+ID\s*:?\s*\S+|\bID\s*:\s*\S+"
)
_STORE_RX = re.compile(
    r"(?:#\s*|\bSTORE\s*(?:NO\.?|#)?\s*|\bSTR\s*#\s*|\bUNIT\s*#?\s*|\bLOC(?:ATION)?\s*#\s*)(?P<n>\d{1,6})\b"
    r"|\b(?:F|T-?)(?P<m>\d{3,5})\b"
)
_APOSTROPHES = re.compile(r"['\u2019`]")
_SPLIT = re.compile(r"[^\w&]+|_")
_HAS_DIGIT = re.compile(r"\d")
_VOWELS = frozenset("AEIOUY")


def words(text: str) -> frozenset[str]:
    """A set of whitespace-separated words (for readable word lists)."""
    return frozenset(text.split())


NOISE_WORDS: frozenset[str] = words(
    """POS PURCHASE PURCH PAYMENT PAYMENTS PMT PYMT PYMNT DEBIT CREDIT CARD ONLINE WWW HTTP HTTPS ACH
    RECURRING AUTOPAY VISA MASTERCARD MC TRANSACTION TXN AUTH PENDING REF ID DES INDN PPD CCD WEB TEL SALE
    ORDER
    MERCHANT INTL FOREIGN CHECKCARD CONTACTLESS DD DDA CHARGE BILLING AUTHORIZED ON STORE"""
)
_TLDS = frozenset(
    {"COM", "NET", "ORG", "IO", "CO", "UK", "DE", "FR", "AI", "APP", "TV", "US", "EU", "NL", "ES"}
)
_KEEP_UPPER = words(
    "LLC LLP PLC USA UK US NYC BBQ ATM IRS HVAC TV DMV CPA DDS MD PC NA NV BV AG SA SAS SPA AB KFC"
)
_SMALL = {"INC": "Inc", "LTD": "Ltd", "CORP": "Corp", "CO": "Co", "GMBH": "GmbH", "&": "&", "AND": "and"}


@dataclass
class Cleaned:
    """A description after prefix/noise removal."""

    text: str
    intermediaries: list[str] = field(default_factory=list)
    store_number: str | None = None


def fold(description: str) -> str:
    """Upper-case ASCII-folded (accents removed, other scripts kept), single-spaced text."""
    text = description
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.upper().split())


def _ach(text: str) -> str:
    orig = _ACH_ORIG_RX.search(text) if "ORIG CO NAME:" in text else None
    if orig:
        descr = _ACH_DESCR_RX.search(text)
        return (orig.group("name") + " " + (descr.group("descr") if descr else "")).strip()
    if "DES:" in text or "INDN:" in text:
        text = _DES_RX.sub(" ", _ACH_FIELDS_RX.sub(" ", text))
    return text


def clean(description: str) -> Cleaned:
    """Strip boilerplate and processor prefixes (recording intermediaries), references, phones and dates."""
    text = _ach(fold(description))
    out = Cleaned(text)
    for _ in range(6):
        before = text
        generic = _GENERIC_PREFIX_RX.match(text)
        if generic:
            text = text[generic.end() :]
        text = text.lstrip(" *-:#")
        m = _PROCESSOR_RX.match(text)
        if m:
            key = _PROCESSOR_KEYS[m.lastgroup or ""]
            if key not in out.intermediaries:
                out.intermediaries.append(key)
            text = _DOMAIN_TAIL_RX.sub("", text[m.end() :]).lstrip(" *-:#")
        if text == before:
            break
    if "PAY" in text:
        for wallet in _WALLET_RX.finditer(text):
            key = _WALLET_KEYS[wallet.lastgroup or ""]
            if key not in out.intermediaries:
                out.intermediaries.append(key)
        text = _WALLET_RX.sub(" ", text)
    if _HAS_DIGIT.search(text):
        store = _STORE_RX.search(text)
        if store:
            out.store_number = store.group("n") or store.group("m")
            keep = " STORE " if store.group(0).startswith("STORE") else " "
            text = text[: store.start()] + keep + text[store.end() :]
        text = _NOISE_RX.sub(" ", text)
    elif "ID" in text:
        text = _NOISE_RX.sub(" ", text)
    out.text = " ".join(text.split())
    return out


def tokens(text: str) -> list[str]:
    """Alias tokens (apostrophes dropped; punctuation other than ``&`` separates)."""
    return [t for t in _SPLIT.split(_APOSTROPHES.sub("", text)) if t]


def is_code(token: str) -> bool:
    """Reference-like tokens: digit runs, and alphanumerics with two or more digits (``2K4LL7Q80``)."""
    if token.isdigit():
        return True
    digits = sum(ch.isdigit() for ch in token)
    return digits >= 2 or (digits == 1 and len(token) >= 6)


def drop_codes(toks: list[str]) -> list[str]:
    """Tokens without reference codes: alphanumerics with 2+ digits (``2K4LL7Q80``) and digit runs of 6+."""
    return [
        t
        for t in toks
        if t.isalpha()
        or (len(t) < 6 if t.isdigit() else not (len(t) >= 5 and sum(ch.isdigit() for ch in t) >= 2))
    ]


# Transaction words that are not part of a counterparty's name when they lead or trail an unknown one.
TRANSACTION_WORDS = words(
    """ATM WITHDRAWAL WITHDRAWL FEE FEES SERVICE MONTHLY MAINTENANCE INTEREST RENT DEPOSIT TRANSFER REFUND
    CHARGE OVERDRAFT CASH EARNED PAID DIVIDEND XFER TFR BILL MOBILE"""
)


def name_tokens(toks: list[str]) -> list[str]:
    """Tokens worth keeping in a cleaned organisation name (noise words, codes and trailing TLDs dropped)."""
    kept = [t for t in toks if t not in NOISE_WORDS and not is_code(t) and t != "X"]
    while len(kept) > 1 and kept[-1] in _TLDS:
        kept.pop()
    while kept and kept[0] in TRANSACTION_WORDS:
        kept.pop(0)
    while kept and kept[-1] in TRANSACTION_WORDS:
        kept.pop()
    while kept and kept[0] == "&":
        kept.pop(0)
    while kept and kept[-1] == "&":
        kept.pop()
    return kept


def title(toks: list[str]) -> str:
    """Display form of upper-case tokens: ``JOES PIZZA LLC`` -> ``Joes Pizza LLC``."""
    words = []
    for i, tok in enumerate(toks):
        if tok in _KEEP_UPPER:
            words.append(tok)
        elif tok in _SMALL and i > 0:
            words.append(_SMALL[tok])
        elif _HAS_DIGIT.search(tok) or (len(tok) <= 3 and not (_VOWELS & set(tok))):
            words.append(tok)
        else:
            words.append(tok[:1] + tok[1:].lower())
    return " ".join(words)
