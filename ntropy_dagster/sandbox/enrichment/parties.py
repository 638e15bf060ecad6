"""Person-to-person payments, bank transfers and payroll deposits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .knowledge import Brand, KnowledgeBase, Match
from .text import is_code, tokens, words

# P2P apps named in the text (prefix forms such as "VENMO *" / "SQC*" are found by text.clean).
_APP_RX = re.compile(
    r"(?P<venmo>\bVENMO\b)|(?P<zelle>\bZELLE\b)|(?P<cashapp>\bCASH\s?APP\b|\bSQUARE\s+CASH\b)"
    r"|(?P<wise>\bTRANSFERWISE\b|\bWISE\b(?=.*\b(?:TO|FROM|TRANSFER|PAYMENT)\b))"
    r"|(?P<paypal>\bPAYPAL\b(?=.*\b(?:TRANSFER|XFER|INST|FROM|TO|SENT|RECEIVED)\b))"
    r"|(?P<wu>\bWESTERN\s+UNION\b)|(?P<remitly>\bREMITLY\b)"
)
_APP_KEYS = {
    "venmo": "venmo.com",
    "zelle": "zellepay.com",
    "cashapp": "cash.app",
    "wise": "wise.com",
    "paypal": "paypal.com",
    "wu": "westernunion.com",
    "remitly": "remitly.com",
}
P2P_APPS = frozenset(_APP_KEYS.values())

_TRANSFER_RX = re.compile(
    r"\b(?:TRANSFER|TRANSFERRED|TFR|XFER|TRF|FASTER\s+PAYMENTS?(?:\s+RECEIPT)?|FPS|FP|STANDING\s+ORDER|STO|BGC"
    r"|BACS|WIRE|PAYMENT|PMT|INSTANT\s+PAYMENT|E-?TRANSFER|INTERAC|SENT|RECEIVED|MONEY)\b"
    r"(?:\s+(?:SENT|RECEIVED|IN|OUT|CREDIT|DEBIT|REF\s+\S+))*\s+(?:TO|FROM)\s+(?P<rest>.+)$"
    r"|^(?:TO|FROM)\s+(?P<rest2>.+)$"
    r"|^(?:BANK\s+TRANSFER|FASTER\s+PAYMENTS?|FPS|STO|STANDING\s+ORDER|BGC|BACS)\s+(?P<rest3>.+)$"
)
# Cheap token pre-checks: a description without any of these cannot match the regexes.
_APP_GATE = words("VENMO ZELLE CASH CASHAPP SQUARE TRANSFERWISE WISE PAYPAL WESTERN REMITLY")
_TRANSFER_GATE = _APP_GATE | words("TO FROM BANK FASTER FPS STO STANDING BGC BACS")
_PAYROLL_GATE = words("PAY SAL WAG DIR PYR NET")
_PAYROLL_RX = re.compile(
    r"\b(?:PAYROLL|PAYRLL|PYRL|SALARY|SALARIES|WAGES?|DIRECT\s+DEP(?:OSIT)?|DIR\s+DEP|DIRDEP|PAYCHECK"
    r"|PAY\s+RUN|NET\s+PAY)\b"
)

_FILLER = words(
    """PAYMENT PAYMENTS PMT SENT RECEIVED MONEY THE A MR MRS MS MISS DR INST XFER TRANSFER TO FROM P2P
    REQUEST MOBILE QUICKPAY WITH ONLINE INSTANT STANDARD CREDIT DEBIT WEB"""
)
_STOP = words(
    """CONF CONFIRMATION REF REFERENCE ON FOR VIA MEMO ID TRANSACTION WEB PPD CCD TRN DATE AT FROM TO
    NOTE FPS BGC"""
)
_SELF_WORDS = words(
    """SAVINGS SAVING SAV CHECKING CHK CHQ ACCOUNT ACCT ACC SHARE MMA ISA BROKERAGE SELF OWN MYSELF
    CASHOUT CASH BANK FUNDS WALLET BALANCE DEBIT"""
)
ORG_WORDS = words(
    """LTD LIMITED LLC LLP INC CORP CORPORATION PLC GMBH AG SA SAS BV CO COMPANY GROUP HOLDINGS SERVICES SVCS
    PARTNERS ASSOCIATES TRUST FOUNDATION UNIVERSITY SCHOOL CAPITAL PROPERTIES PROPERTY MANAGEMENT MGMT REALTY
    RENTALS INDUSTRIES ENTERPRISES SOLUTIONS TECHNOLOGIES TECH SYSTEMS STUDIO STUDIOS AGENCY CLINIC STORE SHOP
    CAFE RESTAURANT HOTEL CHURCH COUNCIL CITY COUNTY STATE DEPT DEPARTMENT"""
)
# Common given names: a bare "FIRSTNAME LASTNAME" description is a person.
FIRST_NAMES = words(
    """JAMES JOHN ROBERT MICHAEL WILLIAM DAVID RICHARD JOSEPH THOMAS CHARLES CHRISTOPHER DANIEL MATTHEW
    ANTHONY MARK DONALD STEVEN PAUL ANDREW JOSHUA KENNETH KEVIN BRIAN GEORGE TIMOTHY RONALD EDWARD JASON
    JEFFREY RYAN
    JACOB GARY NICHOLAS ERIC JONATHAN STEPHEN LARRY JUSTIN SCOTT BRANDON BENJAMIN SAMUEL GREGORY ALEXANDER
    PATRICK FRANK RAYMOND JACK DENNIS JERRY TYLER AARON JOSE ADAM NATHAN HENRY PETER ZACHARY DOUGLAS HAROLD
    MARY PATRICIA JENNIFER LINDA ELIZABETH BARBARA SUSAN JESSICA SARAH KAREN LISA NANCY BETTY MARGARET SANDRA
    ASHLEY KIMBERLY EMILY DONNA MICHELLE CAROL AMANDA DOROTHY MELISSA DEBORAH STEPHANIE REBECCA SHARON LAURA
    CYNTHIA KATHLEEN AMY ANGELA SHIRLEY ANNA BRENDA PAMELA EMMA NICOLE HELEN SAMANTHA KATHERINE CHRISTINE
    DEBRA RACHEL CAROLYN JANET CATHERINE MARIA HEATHER DIANE RUTH JULIE OLIVIA JOYCE VIRGINIA VICTORIA KELLY
    LAUREN CHRISTINA JOAN EVELYN JUDITH MEGAN ANDREA CHERYL HANNAH JACQUELINE MARTHA GLORIA TERESA ANN SARA
    MADISON FRANCES KATHRYN JANICE JEAN ABIGAIL ALICE JUDY SOPHIA GRACE DENISE AMBER DORIS MARILYN DANIELLE
    BEVERLY ISABELLA THERESA DIANA NATALIE BRITTANY CHARLOTTE MARIE KAYLA ALEXIS LORI JANE OLIVER HARRY
    JAMIE ALEX SAM CHRIS MATT MIKE DAVE TOM BEN DAN NICK JOE TONY STEVE LUCY SOPHIE CHLOE JESSICA LUKE
    LIAM NOAH ETHAN MASON LUCAS LOGAN ELIJAH AIDEN CARLOS JUAN LUIS MIGUEL ANA SOFIA PRIYA RAHUL WEI LI
    MOHAMMED MUHAMMAD AHMED FATIMA ALI OMAR PIERRE JEAN HANS KLAUS GIUSEPPE MARCO ANNE"""
)
_MAX_NAME_TOKENS = 4


@dataclass
class Party:
    """A transfer-like transaction: who is on the other side and through which app."""

    kind: str  # "person" | "organization" | "self" | "unknown"
    name: list[str] = field(default_factory=list)
    brand: Brand | None = None
    app: str | None = None
    hint: str = "p2p"


def _name_from(text: str) -> list[str]:
    out: list[str] = []
    for tok in tokens(text):
        if not out and tok in _FILLER:
            continue
        if tok in _STOP or is_code(tok) or not tok.isalpha():
            if out:
                break
            continue
        out.append(tok)
        if len(out) == _MAX_NAME_TOKENS:
            break
    return out


def _classify(name: list[str], kb: KnowledgeBase, app: str | None) -> Party:
    if not name:
        return Party("unknown", app=app)
    match = kb.find(name, intermediaries=False)
    if match is not None and match.end - match.start >= len(name) - 1:
        return Party("organization", name, match.brand, app, hint=match.brand.hint)
    words = set(name)
    if words & {"CREDIT", "CARD", "CRD"} and words & {"CARD", "CRD"}:
        return Party("self", app=app, hint="credit_card")
    if words & _SELF_WORDS:
        return Party("self", app=app, hint="transfer")
    if words & ORG_WORDS:
        return Party("organization", name, None, app, hint="transfer")
    return Party("person", name, None, app)


def looks_like_person(name: list[str]) -> bool:
    """Two to four alphabetic tokens starting with a common given name (or an initial) and no company word."""
    return (
        2 <= len(name) <= _MAX_NAME_TOKENS
        and (name[0] in FIRST_NAMES or (len(name[0]) == 1 and len(name[1]) > 1))
        and all(t.isalpha() for t in name)
        and not set(name) & ORG_WORDS
    )


def detect_transfer(
    text: str, toks: list[str], prefix_intermediaries: list[str], kb: KnowledgeBase
) -> Party | None:
    """A P2P payment or bank transfer in the cleaned description (``toks`` = its tokens), or None."""
    app = next((k for k in prefix_intermediaries if k in P2P_APPS and k != "paypal.com"), None)
    if app is None and not prefix_intermediaries and _TRANSFER_GATE.isdisjoint(toks):
        return None
    rest = text if app else None
    found = _APP_RX.search(text) if not _APP_GATE.isdisjoint(toks) else None
    if found and app is None:
        app = _APP_KEYS[found.lastgroup or ""]
        rest = text[found.end() :]
    transfer = _TRANSFER_RX.search(rest if rest is not None else text)
    if transfer:
        rest = transfer.group("rest") or transfer.group("rest2") or transfer.group("rest3")
    if rest is None:
        if "paypal.com" in prefix_intermediaries and looks_like_person(_name_from(text)):
            return Party("person", _name_from(text), None, "paypal.com")
        return None
    return _classify(_name_from(rest), kb, app)


@dataclass
class Payroll:
    """A salary payment: employer tokens/brand and the payroll provider, when named."""

    employer: list[str]
    employer_brand: Brand | None
    provider: Brand | None


def detect_payroll(text: str, toks: list[str], kb: KnowledgeBase) -> Payroll | None:
    """Salary/payroll descriptions (``ACME CORP PAYROLL``, ``DIRECT DEP GUSTO``), or None."""
    keyword = _PAYROLL_RX.search(text) if not _PAYROLL_GATE.isdisjoint(t[:3] for t in toks) else None
    provider_match = None
    if keyword is not None or not kb.payroll_first_tokens.isdisjoint(toks):
        provider_match = next(_provider_matches(toks, kb), None)
    if keyword is None and provider_match is None:
        return None
    stripped = _PAYROLL_RX.sub(" ", text)
    toks = tokens(stripped)
    provider = None
    if provider_match is not None:
        again = next(_provider_matches(toks, kb), None)
        if again is not None:
            provider = again.brand
            toks = toks[: again.start] + toks[again.end :]
    employer = [
        t for t in toks if t.isalpha() and t not in _FILLER and t not in _STOP and t not in _PAYROLL_NOISE
    ]
    employer = employer[:5]
    brand = None
    if employer:
        match = kb.find(employer, intermediaries=False)
        if (
            match is not None
            and match.brand.hint != "payroll"
            and match.end - match.start >= len(employer) - 1
        ):
            brand = match.brand
    return Payroll(employer, brand, provider)


_PAYROLL_NOISE = words("PAY DEP DEPOSIT DIRECT DIR ACH PPD CCD DES INDN CO ID EMPLOYEE EE ER")


def _provider_matches(toks: list[str], kb: KnowledgeBase) -> Iterator[Match]:
    start = 0
    while start < len(toks):
        match = kb.find(toks, start, intermediaries=False)
        if match is None:
            return
        if match.brand.hint == "payroll":
            yield match
        start = match.end
