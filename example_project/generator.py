"""A seeded generator of realistic raw bank transactions for the showcase: consumers and businesses.

Every account holder has a plan drawn once from the seed (where they live, how they are paid, what they
pay every month) and a year of days drawn month by month from it:

* consumers: a salary through a payroll provider (bi-weekly, semi-monthly or monthly, with raises and job
  changes bridged by unemployment benefits), Social Security, pensions or freelance payouts; rent or a
  mortgage; electricity that follows the seasons, internet, phone and insurance; subscriptions that start,
  change price and stop; card spending at real merchants; Venmo, Zelle, Cash App and PayPal transfers; ATM
  withdrawals, refunds and returns, bank fees and interest; a tax refund in spring;
* businesses (restaurants, online shops, agencies, trades): customer payments in (Square, Toast, Stripe and
  Shopify payouts, client deposits and wires), payroll and payroll taxes out, SaaS whose seat counts change,
  suppliers, shipping, advertising, rent, fuel and insurance.

Descriptions are written the way bank feeds write them: upper case, the card network's 22-character
merchant field and 13-character city, store numbers, processor prefixes (``SQ *``, ``TST*``, ``DD *``),
the account holder's bank's own wording (``PURCHASE AUTHORIZED ON 03/12 ... CARD 4821``, ``CHECKCARD``,
``POS DEBIT``, masked card numbers) and, for some banks, the whole line cut at 40 characters. Card purchases
post one or two days after the date printed in the description.

A few rows per month are the glitches a raw feed has (a reversal with a negative amount, an empty
description, an unknown currency, a row delivered twice): the pipeline quarantines them with a reason.

Everything is drawn from ``random.Random`` instances seeded with strings built from the seed, the account
holder and the month: the same seed always gives the same rows, and any month (a Dagster partition) can be
generated alone, with exactly the rows it has in the whole year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import os
import random
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ntropy_dagster.core.validation import REQUIRED_COLUMNS

if TYPE_CHECKING:  # the sandbox (and its PDF renderer) is imported only when statements are made
    from ntropy_dagster.sandbox.statements import StatementSpec

RAW_COLUMNS = (*REQUIRED_COLUMNS, "account_holder_id", "account_holder_type")
"""The columns of every generated frame: the pipeline's input columns (see the README, "Input columns")."""

IN, OUT = "incoming", "outgoing"


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate: the population, the period and the seed.

    The defaults are the showcase's: 200 consumers and 40 businesses over the 12 months of 2025, about
    100,000 transactions.
    """

    seed: int = 2025
    consumers: int = 200
    businesses: int = 40
    start: dt.date = dt.date(2025, 1, 1)
    months: int = 12
    glitches_per_month: int = 4

    @property
    def month_starts(self) -> list[dt.date]:
        """The first day of every generated month."""
        return [_add_months(self.start.replace(day=1), i) for i in range(self.months)]

    @property
    def end(self) -> dt.date:
        """The day after the last generated day."""
        return _add_months(self.start.replace(day=1), self.months)


# --------------------------------------------------------------------------------------------- reference data

# (city, state, electricity provider as it bills, internet providers)
CITIES: Sequence[tuple[str, str, str, tuple[str, ...]]] = (
    ("NEW YORK", "NY", "CON ED OF NY INTELL CK", ("SPECTRUM", "OPTIMUM 7000")),
    ("BROOKLYN", "NY", "CON ED OF NY INTELL CK", ("SPECTRUM", "OPTIMUM 7000")),
    ("SAN FRANCISCO", "CA", "PGANDE WEB ONLINE", ("COMCAST CABLE COMM", "AT&T U-VERSE")),
    ("OAKLAND", "CA", "PGANDE WEB ONLINE", ("COMCAST CABLE COMM",)),
    ("LOS ANGELES", "CA", "SO CAL EDISON CO", ("SPECTRUM", "AT&T U-VERSE")),
    ("CHICAGO", "IL", "COMED 7710 BILL PAY", ("COMCAST XFINITY", "AT&T U-VERSE")),
    ("ATLANTA", "GA", "GEORGIA POWER CO BILL PAY", ("COMCAST XFINITY", "AT&T U-VERSE")),
    ("MIAMI", "FL", "FPL DIRECT DEBIT", ("COMCAST XFINITY", "AT&T U-VERSE")),
    ("CHARLOTTE", "NC", "DUKE ENERGY PAYMENT", ("SPECTRUM",)),
    ("DENVER", "CO", "XCEL ENERGY-PSCO XCELENERGY", ("COMCAST XFINITY", "CENTURYLINK")),
    ("BOSTON", "MA", "EVERSOURCE ENERGY WEB PMT", ("COMCAST XFINITY", "VERIZON FIOS")),
    ("DETROIT", "MI", "DTE ENERGY BILL PAYMENT", ("COMCAST XFINITY",)),
    ("AUSTIN", "TX", "CITY OF AUSTIN UTILITIES", ("SPECTRUM", "AT&T U-VERSE")),
    ("SEATTLE", "WA", "PUGET SOUND ENERGY BILLPAY", ("COMCAST XFINITY", "CENTURYLINK")),
    ("NEWARK", "NJ", "PSE&G PAYMENT", ("OPTIMUM 7000", "VERIZON FIOS")),
    ("PHILADELPHIA", "PA", "PECO ENERGY PAYMENT", ("COMCAST XFINITY", "VERIZON FIOS")),
)

_FIRST_NAMES_TEXT = (
    "JAMES MARY ROBERT PATRICIA JOHN JENNIFER MICHAEL LINDA DAVID ELIZABETH WILLIAM BARBARA RICHARD "
    "SUSAN JOSEPH JESSICA THOMAS SARAH CHRISTOPHER KAREN DANIEL LISA MATTHEW NANCY ANTHONY SANDRA "
    "MARK ASHLEY STEVEN EMILY PAUL MICHELLE ANDREW AMANDA KEVIN MELISSA BRIAN LAURA RYAN RACHEL "
    "CARLOS MARIA JUAN SOFIA PRIYA RAHUL WEI OMAR FATIMA LUCAS HANNAH NATALIE"
)
FIRST_NAMES = tuple(_FIRST_NAMES_TEXT.split())
_LAST_NAMES_TEXT = (
    "SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ HERNANDEZ LOPEZ "
    "GONZALEZ WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE PEREZ THOMPSON WHITE HARRIS "
    "CLARK LEWIS ROBINSON WALKER YOUNG ALLEN KING NGUYEN PATEL KIM CHEN OKAFOR SHAH COHEN MURPHY"
)
LAST_NAMES = tuple(_LAST_NAMES_TEXT.split())

EMPLOYERS = (
    "ACME CORP",
    "GLOBEX INC",
    "INITECH LLC",
    "UMBRELLA HEALTH",
    "STARK INDUSTRIES",
    "WAYNE ENTERPRISES",
    "HOOLI INC",
    "CYBERDYNE SYSTEMS",
    "SOYLENT FOODS",
    "VANDELAY INDUSTRIES",
    "PIED PIPER INC",
    "MASSIVE DYNAMIC",
    "TYRELL CORP",
    "NAKATOMI TRADING",
    "DUNDER MIFFLIN",
    "STERLING COOPER",
    "OCEANIC AIRLINES",
    "BLUTH COMPANY",
    "KRUSTY KRAB LLC",
    "CITY OF SPRINGFIELD",
    "COUNTY SCHOOL DIST",
    "MERCY HOSPITAL",
)
# (how the payroll provider writes a deposit), {employer} and {ref} filled in
PAYROLL_FORMATS = (
    "{employer} PAYROLL PPD ID: {ref10}",
    "{employer} DIR DEP {ref7}",
    "GUSTO PAYROLL {ref6} {employer}",
    "{employer} DIRECT DEP PPD {ref10}",
    "ADP PAYROLL {employer} {ref7}",
    "{employer} SALARY {ref7}",
)
LANDLORDS = (
    "AVALON APTS",
    "GREYSTAR PROPERTIES",
    "EQUITY RESIDENTIAL PROPERTIES",
    "CAMDEN PROPERTY MGMT",
    "MAA APARTMENTS",
    "BRIDGE STREET REALTY",
    "LINCOLN PROPERTY MANAGEMENT",
    "ESSEX PROPERTY MGMT",
)
MORTGAGES = (
    "ROCKET MORTGAGE MTG PMT {ref7}",
    "MR COOPER MORTGAGE PMT {ref7}",
    "WELLS FARGO HOME MTG AUTO PAY {ref7}",
    "CHASE MORTGAGE PAYMENT {ref7}",
)
PHONES = (
    ("VERIZON WIRELESS PAYMENTS", 55.0, 140.0),
    ("ATT BILL PAYMENT", 50.0, 130.0),
    ("T-MOBILE AUTO PAY", 45.0, 120.0),
    ("MINT MOBILE 800-683-7392", 15.0, 30.0),
    ("GOOGLE *FI", 20.0, 65.0),
)
INSURERS = (
    ("GEICO AUTO PAYMENT", 95.0, 210.0),
    ("STATE FARM RO 27 SFPP", 80.0, 220.0),
    ("PROGRESSIVE INS PREM", 85.0, 190.0),
    ("ALLSTATE INS CO PAYMENT", 90.0, 200.0),
    ("LEMONADE INSURANCE RENTERS", 9.0, 25.0),
)
CARD_ISSUERS = (
    "CHASE CREDIT CRD AUTOPAY {ref6}",
    "CITI AUTOPAY PAYMENT {ref10}",
    "AMEX EPAYMENT ACH PMT {ref7}",
    "DISCOVER E-PAYMENT {ref6}",
    "CAPITAL ONE MOBILE PMT {ref7}",
)


@dataclass(frozen=True)
class Subscription:
    """A subscription product: how it bills, its price, and how its price may change."""

    description: str
    price: float
    new_price: float | None = None  # a price change some subscribers see
    audience: str = "consumer"


CONSUMER_SUBSCRIPTIONS = (
    Subscription("NETFLIX.COM LOS GATOS CA", 15.49, 17.99),
    Subscription("SPOTIFY USA NEW YORK NY", 11.99, 12.99),
    Subscription("HULU 877-8244858 CA", 7.99, 9.99),
    Subscription("DISNEY PLUS 888-905-7888 CA", 13.99, 15.99),
    Subscription("HBO MAX 855-442-6629 NY", 16.99),
    Subscription("APPLE.COM/BILL 866-712-7753 CA", 2.99, 9.99),
    Subscription("AMAZON PRIME*{code} AMZN.COM/BILL WA", 14.99),
    Subscription("YOUTUBE PREMIUM 650-253-0000 CA", 13.99),
    Subscription("PLANET FITNESS CLUB FEES", 10.0, 15.0),
    Subscription("NYTIMES*NYTDIGITAL 800-698-4637 NY", 4.0, 25.0),
    Subscription("OPENAI *CHATGPT SUBSCR SAN FRANCISCO CA", 20.0),
    Subscription("PELOTON* MEMBERSHIP 866-679-9129 NY", 44.0),
    Subscription("AUDIBLE*{code} AMZN.COM/BILL NJ", 14.95),
    Subscription("DUOLINGO PITTSBURGH PA", 12.99),
    Subscription("PEACOCK TV 888-347-5669 NY", 7.99, 10.99),
    Subscription("XBOX GAME PASS 800-642-7676 WA", 16.99, 19.99),
    Subscription("PARAMOUNT+ 888-274-5343 CA", 7.99, 12.99),
    Subscription("DROPBOX*{code} SAN FRANCISCO CA", 11.99),
    Subscription("HEADSPACE.COM SANTA MONICA CA", 12.99),
    Subscription("LA FITNESS 949-255-7200 CA", 39.99, 44.99),
)
BUSINESS_SUBSCRIPTIONS = (
    Subscription("SLACK T{code} DUBLIN", 8.75, audience="business"),
    Subscription("GOOGLE *GSUITE_{domain}", 7.2, audience="business"),
    Subscription("ZOOM.US 888-799-9666 CA", 15.99, audience="business"),
    Subscription("INTUIT *QBOOKS ONLINE CL.INTUIT.COM CA", 35.0, 55.0, audience="business"),
    Subscription("ADOBE *CREATIVE CLOUD SAN JOSE CA", 59.99, audience="business"),
    Subscription("MSFT *MICROSOFT 365 MSBILL.INFO WA", 12.5, audience="business"),
    Subscription("HUBSPOT INC 888-482-7768 MA", 50.0, 90.0, audience="business"),
    Subscription("GITHUB, INC. SAN FRANCISCO CA", 4.0, audience="business"),
    Subscription("ATLASSIAN 415-701-1110 CA", 8.15, audience="business"),
    Subscription("NOTION LABS, INC. NOTION.SO CA", 10.0, audience="business"),
    Subscription("FIGMA MONTHLY RENEWAL SAN FRANCISCO CA", 15.0, audience="business"),
    Subscription("DROPBOX*{code} SAN FRANCISCO CA", 15.0, audience="business"),
    Subscription("MAILCHIMP *MONTHLY ATLANTA GA", 20.0, 45.0, audience="business"),
    Subscription("CANVA* {code} SURRY HILLS", 14.99, audience="business"),
    Subscription("DOCUSIGN INC 866-219-4318 CA", 25.0, audience="business"),
)
"""Business subscriptions are billed per seat: the price is per seat and the seat count changes."""


@dataclass(frozen=True)
class Merchant:
    """A card merchant: the 22-character name field with a ``{store}`` number, its amounts and weight."""

    name: str
    low: float
    high: float
    weight: float
    kind: str = "store"  # store | online | delivery | ride | travel
    refundable: bool = False


CONSUMER_MERCHANTS = (
    # groceries and everyday stores
    Merchant("WHOLEFDS MKT #{store}", 18, 190, 5, refundable=True),
    Merchant("TRADER JOE S #{store}", 15, 120, 5),
    Merchant("KROGER #{store}", 12, 160, 4),
    Merchant("SAFEWAY #{store}", 12, 150, 3),
    Merchant("PUBLIX SUPER MAR {store}", 12, 150, 3),
    Merchant("H-E-B #{store}", 12, 150, 2),
    Merchant("ALDI {store}", 10, 90, 3),
    Merchant("COSTCO WHSE #{store}", 40, 380, 3, refundable=True),
    Merchant("WAL-MART #{store}", 8, 220, 5, refundable=True),
    Merchant("TARGET {store}", 8, 180, 5, refundable=True),
    Merchant("CVS/PHARMACY #{store}", 4, 70, 3),
    Merchant("WALGREENS #{store}", 4, 70, 3),
    Merchant("7-ELEVEN {store}", 3, 25, 2),
    Merchant("DOLLAR TREE {store}", 3, 30, 1),
    # eating out
    Merchant("STARBUCKS STORE {store}", 3.5, 14, 7),
    Merchant("DUNKIN #{store}", 2.5, 12, 3),
    Merchant("SQ *BLUE BOTTLE COFFEE", 4, 15, 1),
    Merchant("MCDONALD'S F{store}", 4, 22, 4),
    Merchant("CHIPOTLE {store}", 9, 32, 4),
    Merchant("CHICK-FIL-A #{store}", 7, 28, 3),
    Merchant("TACO BELL #{store}", 5, 20, 2),
    Merchant("PANERA BREAD #{store}", 8, 30, 2),
    Merchant("SWEETGREEN {store}", 12, 24, 1),
    Merchant("TST* JOE'S PIZZA", 8, 40, 2),
    Merchant("TST* THE LOCAL KITCHEN", 25, 120, 2),
    Merchant("SQ *LUCKY DRAGON NOODLES", 14, 60, 1),
    Merchant("OLIVE GARDEN {store}", 30, 110, 1),
    Merchant("DOMINO'S {store}", 12, 40, 2),
    Merchant("DD *DOORDASH {restaurant}", 15, 65, 4, kind="delivery"),
    Merchant("UBER *EATS {restaurant}", 15, 60, 3, kind="delivery"),
    Merchant("GRUBHUB*{restaurant}", 15, 55, 1, kind="delivery"),
    # getting around
    Merchant("SHELL OIL {store}", 25, 85, 4),
    Merchant("CHEVRON {store}", 25, 90, 3),
    Merchant("EXXONMOBIL {store}", 25, 80, 3),
    Merchant("BP#{store}", 25, 80, 2),
    Merchant("UBER *TRIP HELP.UBER.COM", 8, 55, 4, kind="ride"),
    Merchant("LYFT *RIDE", 8, 45, 2, kind="ride"),
    Merchant("PARKMOBILE {store}", 2, 24, 1),
    # shopping online and off
    Merchant("AMZN Mktp US*{code}", 7, 240, 9, kind="online", refundable=True),
    Merchant("AMAZON.COM*{code}", 7, 180, 4, kind="online", refundable=True),
    Merchant("EBAY O*{code}", 10, 150, 1, kind="online"),
    Merchant("ETSY.COM - {code}", 10, 90, 1, kind="online", refundable=True),
    Merchant("BEST BUY {store}", 20, 900, 1, refundable=True),
    Merchant("THE HOME DEPOT #{store}", 10, 350, 2, refundable=True),
    Merchant("LOWE'S #{store}", 10, 300, 1, refundable=True),
    Merchant("IKEA {store}", 20, 400, 1, refundable=True),
    Merchant("NORDSTROM #{store}", 30, 280, 1, refundable=True),
    Merchant("MACY'S #{store}", 20, 200, 1, refundable=True),
    Merchant("TJ MAXX #{store}", 15, 120, 2, refundable=True),
    Merchant("NIKE.COM {code}", 40, 220, 1, kind="online", refundable=True),
    Merchant("ZARA USA {store}", 25, 180, 1, refundable=True),
    Merchant("SEPHORA {store}", 15, 150, 1, refundable=True),
    Merchant("CHEWY.COM {code}", 20, 140, 1, kind="online", refundable=True),
    Merchant("PETSMART #{store}", 10, 120, 1),
    # going out and travelling
    Merchant("AMC {store} ONLINE", 12, 60, 1),
    Merchant("TICKETMASTER {code}", 40, 300, 1, kind="online", refundable=True),
    Merchant("DELTA AIR {ticket}", 120, 650, 0.4, kind="travel", refundable=True),
    Merchant("UNITED {ticket}", 110, 600, 0.3, kind="travel", refundable=True),
    Merchant("SOUTHWES {ticket}", 90, 450, 0.3, kind="travel", refundable=True),
    Merchant("MARRIOTT {store}", 140, 700, 0.3),
    Merchant("AIRBNB * {code}", 150, 900, 0.3, kind="online", refundable=True),
)

BUSINESS_KINDS = ("restaurant", "online_shop", "agency", "trades")
BUSINESS_NAMES = {
    "restaurant": ("BLUEBIRD BAKERY", "LUCKY DRAGON NOODLES", "THE LOCAL KITCHEN", "CASA VERDE TAQUERIA"),
    "online_shop": ("NORTHWIND GOODS", "PAPER & PINE CO", "TRAILHEAD OUTFITTERS", "MOONLIGHT CANDLES"),
    "agency": ("RED FOX STUDIO", "HARBOR ANALYTICS", "BRIGHTPATH MARKETING", "QUANTUM DESIGN LAB"),
    "trades": ("SUMMIT PLUMBING", "IRONCLAD ROOFING", "GREENLEAF LANDSCAPING", "VOLT ELECTRIC CO"),
}
CLIENTS = (
    "CONTOSO LTD",
    "FABRIKAM INC",
    "TAILSPIN TOYS",
    "WINGTIP SYSTEMS",
    "ADVENTURE WORKS",
    "LITWARE INC",
    "PROSEWARE LLC",
    "WIDE WORLD IMPORTERS",
    "FOURTH COFFEE",
    "ALPINE SKI HOUSE",
)
# kind -> (supplier merchant, low, high, purchases per month)
SUPPLIERS: dict[str, Sequence[tuple[str, float, float, float]]] = {
    "restaurant": (
        ("SYSCO CORP {store}", 600, 3200, 4.3),
        ("RESTAURANT DEPOT {store}", 150, 900, 3.0),
        ("COSTCO WHSE #{store}", 80, 600, 2.0),
        ("WEBSTAURANTSTORE {code}", 60, 500, 0.8),
    ),
    "online_shop": (
        ("ULINE *S{code}", 80, 900, 2.0),
        ("FEDEX {code}", 20, 400, 6.0),
        ("UPS*{code}", 15, 300, 5.0),
        ("USPS PO {store}", 10, 180, 4.0),
        ("STAMPS.COM {code}", 15, 120, 2.0),
        ("AMZN Mktp US*{code}", 20, 400, 2.0),
    ),
    "agency": (
        ("AMAZON.COM*{code}", 15, 300, 1.5),
        ("STAPLES {store}", 10, 200, 1.0),
        ("UPWORK ESCROW INC {code}", 250, 3000, 2.0),
        ("DELTA AIR {ticket}", 180, 900, 0.7),
        ("MARRIOTT {store}", 180, 800, 0.6),
        ("UBER *TRIP HELP.UBER.COM", 12, 70, 3.0),
        ("TST* THE LOCAL KITCHEN", 40, 300, 2.0),
    ),
    "trades": (
        ("THE HOME DEPOT #{store}", 40, 1800, 6.0),
        ("LOWE'S #{store}", 30, 1200, 3.0),
        ("GRAINGER {store}", 60, 1500, 1.5),
        ("SHELL OIL {store}", 40, 140, 6.0),
        ("CHEVRON {store}", 40, 140, 4.0),
        ("AUTOZONE #{store}", 15, 300, 1.0),
    ),
}
FEED_STYLES = ("plain", "authorized", "checkcard", "pos", "debit_card", "plain_cut")
"""How the account holder's bank writes card purchases (one style per account holder)."""


# ------------------------------------------------------------------------------------------------ the plans


@dataclass(frozen=True)
class Recurring:
    """A payment or income that repeats: what, how much, when, from when to when."""

    description: str
    amount: float
    entry_type: str
    cadence: (
        str  # monthly:<day> | semimonthly | biweekly:<anchor ordinal> | weekly:<weekday> | yearly:<m>-<d>
    )
    start: dt.date = dt.date.min
    end: dt.date = dt.date.max  # exclusive
    jitter: float = 0.0  # relative variation of the amount
    seasonal: float = 0.0  # relative amplitude of a summer/winter swing (electricity)
    business_days: bool = False  # paid on the previous business day when the date falls on a weekend

    def dates(self, month: dt.date) -> list[dt.date]:
        """The days of ``month`` (its first day) this item is booked."""
        kind, _, arg = self.cadence.partition(":")
        last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        if kind == "monthly":
            days = [month.replace(day=min(int(arg), last.day))]
        elif kind == "semimonthly":
            days = [month.replace(day=15), last]
        elif kind == "biweekly":
            anchor = int(arg)
            first = month.toordinal() + (anchor - month.toordinal()) % 14
            days = [dt.date.fromordinal(o) for o in range(first, last.toordinal() + 1, 14)]
        elif kind == "weekly":
            offset = (int(arg) - month.weekday()) % 7
            days = [month + dt.timedelta(days=d) for d in range(offset, last.day, 7)]
        elif kind == "yearly":
            m, d = (int(x) for x in arg.split("-"))
            days = [month.replace(day=d)] if month.month == m else []
        else:
            raise ValueError(f"unknown cadence {self.cadence!r}")
        if self.business_days:
            days = [_business_day(d) for d in days]
        return [d for d in days if self.start <= d < self.end]


@dataclass(frozen=True)
class Holder:
    """An account holder and the plan its months are drawn from."""

    id: str
    type: str  # consumer | business
    name: str
    city: str
    state: str
    kind: str  # consumer: employee | retiree | freelancer; business: one of BUSINESS_KINDS
    feed: str
    card: str  # last four digits of the debit card
    spend_rate: float  # card purchases per day
    merchants: tuple[Merchant, ...]
    weights: tuple[float, ...]
    recurring: tuple[Recurring, ...] = field(default=())
    p2p_rate: float = 0.0  # person-to-person transfers per month
    friends: tuple[str, ...] = ()


def population(config: GeneratorConfig) -> tuple[Holder, ...]:
    """Every account holder of ``config``: consumers first, then businesses (cached per config)."""
    return _population(config)


@lru_cache(maxsize=8)
def _population(config: GeneratorConfig) -> tuple[Holder, ...]:
    consumers = [_consumer(config, i) for i in range(config.consumers)]
    businesses = [_business(config, i) for i in range(config.businesses)]
    return (*consumers, *businesses)


def _consumer(config: GeneratorConfig, index: int, prefix: str = "consumer") -> Holder:
    holder_id = f"{prefix}-{index:04d}"
    rng = random.Random(f"{config.seed}/{holder_id}/plan")
    city, state, electric, internets = rng.choice(CITIES)
    start, end = config.start, config.end
    items: list[Recurring] = []
    roll = rng.random()
    kind = "employee" if roll < 0.78 else "retiree" if roll < 0.9 else "freelancer"
    if kind == "employee":
        items += _salary(rng, start, end)
    elif kind == "retiree":
        items.append(
            Recurring(
                "SSA TREAS 310 XXSOC SEC",
                round(rng.uniform(1400, 3200), 2),
                IN,
                f"monthly:{rng.choice((3, 10, 17, 24))}",
                business_days=True,
            )
        )
        if rng.random() < 0.6:
            pension = rng.choice(
                ("CALPERS PENSION PMT", "TEACHERS PENSION ANNUITY", "MERCY HOSPITAL PENSION")
            )
            items.append(
                Recurring(pension, round(rng.uniform(600, 2400), 2), IN, "monthly:1", business_days=True)
            )
    else:
        items.append(
            Recurring(
                f"STRIPE TRANSFER ST-{_code(rng, 12)}", 0.0, IN, f"weekly:{rng.randrange(5)}", jitter=0.5
            )
        )
    if rng.random() < 0.4:  # the yearly tax refund
        items.append(
            Recurring(
                "IRS TREAS 310 TAX REF",
                round(rng.uniform(300, 3200), 2),
                IN,
                f"yearly:4-{rng.randint(5, 28)}",
            )
        )
    housing = rng.random()
    if housing < 0.6:
        rent = round(rng.uniform(1100, 3400), 0)
        landlord = rng.choice(LANDLORDS)
        description = rng.choice(
            (
                f"{landlord} RENT WEB PMT {_digits(rng, 7)}",
                f"{landlord} RENT PAYMENT",
                f"ZELLE PAYMENT TO {_person(rng)} RENT",
            )
        )
        items.append(Recurring(description, rent, OUT, "monthly:1"))
    elif housing < 0.9:
        items.append(
            Recurring(
                rng.choice(MORTGAGES).format(ref7=_digits(rng, 7)),
                round(rng.uniform(1300, 4200), 2),
                OUT,
                "monthly:1",
            )
        )
    items.append(
        Recurring(
            electric,
            round(rng.uniform(55, 160), 2),
            OUT,
            f"monthly:{rng.randint(5, 25)}",
            jitter=0.12,
            seasonal=0.35,
        )
    )
    items.append(
        Recurring(rng.choice(internets), round(rng.uniform(49, 95), 2), OUT, f"monthly:{rng.randint(1, 28)}")
    )
    phone, low, high = rng.choice(PHONES)
    items.append(
        Recurring(phone, round(rng.uniform(low, high), 2), OUT, f"monthly:{rng.randint(1, 28)}", jitter=0.03)
    )
    if rng.random() < 0.55:
        insurer, low, high = rng.choice(INSURERS)
        items.append(
            Recurring(insurer, round(rng.uniform(low, high), 2), OUT, f"monthly:{rng.randint(1, 28)}")
        )
    if rng.random() < 0.35:
        issuer = rng.choice(CARD_ISSUERS).format(
            ref6=_digits(rng, 6), ref7=_digits(rng, 7), ref10=_digits(rng, 10)
        )
        items.append(
            Recurring(
                issuer, round(rng.uniform(150, 1800), 2), OUT, f"monthly:{rng.randint(10, 25)}", jitter=0.6
            )
        )
    if rng.random() < 0.3:
        items.append(
            Recurring(
                f"ONLINE TRANSFER TO SAV XXXXXX{_digits(rng, 4)}",
                float(rng.choice((100, 200, 250, 500))),
                OUT,
                "monthly:16",
            )
        )
    if rng.random() < 0.35:
        items.append(
            Recurring("INTEREST PAYMENT", round(rng.uniform(0.4, 6.0), 2), IN, "monthly:31", jitter=0.3)
        )
    if rng.random() < 0.1:
        items.append(Recurring("MONTHLY MAINTENANCE FEE", 12.0, OUT, "monthly:31"))
    for sub in rng.sample(CONSUMER_SUBSCRIPTIONS, rng.randint(2, 7)):
        items += _subscription(rng, sub, start, end, seats=1)
    favourites = rng.sample(range(len(CONSUMER_MERCHANTS)), 6)
    weights = tuple(m.weight * (6.0 if i in favourites else 1.0) for i, m in enumerate(CONSUMER_MERCHANTS))
    return Holder(
        id=holder_id,
        type="consumer",
        name=_person(rng),
        city=city,
        state=state,
        kind=kind,
        feed=rng.choices(FEED_STYLES, weights=(3, 2, 2, 2, 2, 1))[0],
        card=_digits(rng, 4),
        spend_rate=rng.uniform(0.35, 1.0),
        merchants=CONSUMER_MERCHANTS,
        weights=weights,
        recurring=tuple(items),
        p2p_rate=rng.uniform(0.5, 4.0),
        friends=tuple(_person(rng) for _ in range(4)),
    )


def _salary(rng: random.Random, start: dt.date, end: dt.date) -> list[Recurring]:
    """One or two jobs over the period (a raise on the way; a gap between jobs paid by unemployment)."""
    items: list[Recurring] = []
    employers = rng.sample(EMPLOYERS, 2)
    cadence_kind = rng.choices(("biweekly", "semimonthly", "monthly"), weights=(5, 3, 2))[0]
    annual = rng.uniform(38_000, 165_000) * 0.72  # net of taxes and deductions
    periods = {"biweekly": 26, "semimonthly": 24, "monthly": 12}[cadence_kind]
    job_change = rng.random() < 0.12
    first_end = _add_months(start, rng.randint(3, 8)) if job_change else dt.date.max
    stints = [(employers[0], start, first_end)]
    if job_change:
        gap = rng.randint(1, 3)
        second_start = _add_months(first_end, gap)
        stints.append((employers[1], second_start, dt.date.max))
        items.append(
            Recurring(
                "CA EDD UI BENEFITS" if rng.random() < 0.5 else "NYS DOL UI BENEFITS",
                round(rng.uniform(350, 900), 2),
                IN,
                f"weekly:{rng.randrange(5)}",
                start=first_end,
                end=second_start,
            )
        )
    raise_day = _add_months(start, rng.randint(2, 10)) if rng.random() < 0.45 else dt.date.max
    for employer, begin, finish in stints:
        description = rng.choice(PAYROLL_FORMATS).format(
            employer=employer, ref6=_code(rng, 6), ref7=_digits(rng, 7), ref10=_digits(rng, 10)
        )
        if cadence_kind == "biweekly":
            cadence = f"biweekly:{dt.date(2024, 1, 5).toordinal() + 7 * rng.randrange(2)}"  # Fridays
        elif cadence_kind == "semimonthly":
            cadence = "semimonthly"
        else:
            cadence = f"monthly:{rng.choice((25, 28, 31))}"
        pay = round(annual / periods, 2)
        segments = [
            (begin, min(finish, raise_day), pay),
            (max(begin, raise_day), finish, round(pay * 1.04, 2)),
        ]
        for seg_start, seg_end, amount in segments:
            if seg_start < seg_end:
                items.append(
                    Recurring(
                        description,
                        amount,
                        IN,
                        cadence,
                        start=seg_start,
                        end=seg_end,
                        jitter=0.004,
                        business_days=True,
                    )
                )
        annual *= rng.uniform(1.0, 1.15)
    return items


def _subscription(
    rng: random.Random, sub: Subscription, start: dt.date, end: dt.date, *, seats: int
) -> list[Recurring]:
    """A subscription: from the start or from a later month, maybe a price change, maybe cancelled."""
    description = sub.description.format(code=_code(rng, 9), domain=f"{_code(rng, 6).lower()}.com")
    day = rng.randint(1, 28)
    months = (end.year - start.year) * 12 + end.month - start.month
    begin = (
        start
        if rng.random() < 0.7
        else _add_months(start, rng.randint(1, max(1, months - 2))).replace(day=day)
    )
    finish = dt.date.max
    if rng.random() < 0.25:
        finish = _add_months(begin.replace(day=1), rng.randint(2, max(2, months - 1))).replace(day=day)
    price = sub.price * seats
    change = dt.date.max
    new_price = price
    if sub.new_price is not None and rng.random() < 0.6:
        change = _add_months(start, rng.randint(3, 9))
        new_price = sub.new_price * seats
    elif seats > 1 and rng.random() < 0.5:  # seats added (or removed) mid-year
        change = _add_months(start, rng.randint(3, 9))
        new_price = sub.price * max(1, seats + rng.choice((-2, -1, 1, 2, 3)))
    items = [
        Recurring(description, round(price, 2), OUT, f"monthly:{day}", start=begin, end=min(change, finish))
    ]
    if change < finish:
        items.append(
            Recurring(
                description, round(new_price, 2), OUT, f"monthly:{day}", start=max(begin, change), end=finish
            )
        )
    return [item for item in items if item.start < item.end]


def _business(config: GeneratorConfig, index: int, prefix: str = "business") -> Holder:
    holder_id = f"{prefix}-{index:04d}"
    rng = random.Random(f"{config.seed}/{holder_id}/plan")
    kind = BUSINESS_KINDS[index % len(BUSINESS_KINDS)]
    city, state, electric, internets = rng.choice(CITIES)
    name = f"{rng.choice(BUSINESS_NAMES[kind])} {rng.choice(('LLC', 'INC', 'CO'))}"
    start, end = config.start, config.end
    items: list[Recurring] = []
    staff = rng.randint(2, 14)
    provider = rng.choice(("gusto", "adp", "paychex"))
    net = round(staff * rng.uniform(1500, 2600), 2)
    if provider == "gusto":
        items.append(
            Recurring(
                f"GUSTO NET {_code(rng, 6)} {_code(rng, 10)}",
                net,
                OUT,
                "semimonthly",
                jitter=0.05,
                business_days=True,
            )
        )
        items.append(
            Recurring(
                f"GUSTO TAX {_code(rng, 6)} {_code(rng, 10)}",
                round(net * 0.31, 2),
                OUT,
                "semimonthly",
                jitter=0.05,
                business_days=True,
            )
        )
    elif provider == "adp":
        anchor = dt.date(2024, 1, 4).toordinal()
        items.append(
            Recurring(
                f"ADP WAGE PAY WAGE PAY {_digits(rng, 12)}", net, OUT, f"biweekly:{anchor}", jitter=0.05
            )
        )
        items.append(
            Recurring(
                f"ADP TX FINCL SVC ADP TAX {_digits(rng, 12)}",
                round(net * 0.3, 2),
                OUT,
                f"biweekly:{anchor}",
                jitter=0.05,
            )
        )
    else:
        anchor = dt.date(2024, 1, 3).toordinal()
        items.append(
            Recurring(f"PAYCHEX INC PAYROLL {_digits(rng, 9)}", net, OUT, f"biweekly:{anchor}", jitter=0.05)
        )
        items.append(
            Recurring(f"PAYCHEX EIB INVOICE X{_digits(rng, 7)}", round(staff * 4.5 + 60, 2), OUT, "monthly:5")
        )
    items.append(
        Recurring(f"IRS USATAXPYMT {_digits(rng, 6)}", round(rng.uniform(800, 6000), 2), OUT, "yearly:4-15")
    )
    items.append(
        Recurring(f"IRS USATAXPYMT {_digits(rng, 6)}", round(rng.uniform(800, 6000), 2), OUT, "yearly:9-15")
    )
    rent = rng.choice(
        (
            f"{rng.choice(LANDLORDS)} COMMERCIAL RENT",
            "WEWORK MEMBERSHIP",
            f"REGUS MANAGEMENT {_digits(rng, 6)}",
        )
    )
    items.append(Recurring(rent, round(rng.uniform(1800, 9500), 0), OUT, "monthly:1"))
    items.append(
        Recurring(
            electric,
            round(rng.uniform(150, 900), 2),
            OUT,
            f"monthly:{rng.randint(5, 25)}",
            jitter=0.12,
            seasonal=0.3,
        )
    )
    items.append(
        Recurring(rng.choice(internets), round(rng.uniform(90, 250), 2), OUT, f"monthly:{rng.randint(1, 28)}")
    )
    items.append(
        Recurring(
            rng.choice(("NEXT INSURANCE PREMIUM", "HISCOX INC INSURANCE", "STATE FARM RO 27 SFPP")),
            round(rng.uniform(90, 600), 2),
            OUT,
            f"monthly:{rng.randint(1, 28)}",
        )
    )
    if kind == "trades" or rng.random() < 0.2:
        items.append(
            Recurring(
                f"FORD CREDIT AUTO PMT {_digits(rng, 7)}", round(rng.uniform(450, 950), 2), OUT, "monthly:12"
            )
        )
    if kind in ("online_shop", "agency"):
        items.append(
            Recurring(
                f"AWS EMEA AWS.AMAZON.CO {_code(rng, 8)}",
                round(rng.uniform(40, 900), 2),
                OUT,
                "monthly:2",
                jitter=0.35,
            )
        )
    if kind == "online_shop":
        items.append(Recurring(f"SHOPIFY* {_digits(rng, 9)} SHOPIFY.COM/CH", 79.0, OUT, "monthly:7"))
        items.append(Recurring(f"FACEBK *{_code(rng, 9)}", 0.0, OUT, "weekly:1", jitter=0.5))
        items.append(Recurring(f"GOOGLE *ADS{_digits(rng, 10)}", 0.0, OUT, "monthly:3", jitter=0.4))
    if kind == "restaurant":
        items.append(Recurring(f"TOAST INC SUBSCRIPTION {_digits(rng, 6)}", 165.0, OUT, "monthly:4"))
    seats = staff if kind in ("agency", "online_shop") else max(1, staff // 4)
    for sub in rng.sample(BUSINESS_SUBSCRIPTIONS, rng.randint(3, 8)):
        items += _subscription(rng, sub, start, end, seats=seats)
    suppliers = SUPPLIERS[kind]
    merchants = tuple(Merchant(s, low, high, per_month) for s, low, high, per_month in suppliers)
    return Holder(
        id=holder_id,
        type="business",
        name=name,
        city=city,
        state=state,
        kind=kind,
        feed=rng.choice(FEED_STYLES[:5]),
        card=_digits(rng, 4),
        spend_rate=sum(m.weight for m in merchants) / 30.4,
        merchants=merchants,
        weights=tuple(m.weight for m in merchants),
        recurring=tuple(items),
        p2p_rate=1.0 if kind == "trades" else 0.2,
        friends=tuple(rng.sample(CLIENTS, 4)),
    )


# ------------------------------------------------------------------------------------------------ the months


def month_rows(config: GeneratorConfig, holder: Holder, month: dt.date) -> list[dict[str, object]]:
    """The rows of one account holder in one month (``month`` is its first day), in date order."""
    rng = random.Random(f"{config.seed}/{holder.id}/{month:%Y-%m}")
    last = calendar.monthrange(month.year, month.month)[1]
    booked: list[tuple[dt.date, str, float, str]] = []
    for item in holder.recurring:
        for day in item.dates(month):
            booked.append((day, item.description, _amount(rng, item, month, holder), item.entry_type))
    days = [month.replace(day=d) for d in range(1, last + 1)]
    if holder.type == "consumer":
        booked += _card_spending(rng, holder, days)
        booked += _p2p(rng, holder, days)
        if rng.random() < 0.45:
            day = rng.choice(days)
            booked.append(
                (
                    day,
                    f"ATM WITHDRAWAL {_digits(rng, 6)} {holder.city} {holder.state}",
                    float(rng.choice((40, 60, 80, 100, 200))),
                    OUT,
                )
            )
    else:
        booked += _customer_payments(rng, holder, days)
        booked += _card_spending(rng, holder, days)
        booked += _p2p(rng, holder, days)
    booked = [b for b in booked if config.start <= b[0] < config.end]
    booked.sort(key=lambda b: b[0])
    rows: list[dict[str, object]] = []
    per_day: dict[dt.date, int] = {}
    for day, description, amount, entry_type in booked:
        n = per_day[day] = per_day.get(day, 0) + 1
        rows.append(
            {
                "id": f"{holder.id}-{day:%Y%m%d}-{n:02d}",
                "description": description.upper(),
                "date": day.isoformat(),
                "amount": round(amount, 2),
                "entry_type": entry_type,
                "currency": "USD",
                "account_holder_id": holder.id,
                "account_holder_type": holder.type,
            }
        )
    return rows


def _amount(rng: random.Random, item: Recurring, month: dt.date, holder: Holder) -> float:
    amount = item.amount
    if amount == 0.0:  # an amount drawn every time: freelance payouts, ad spend
        amount = rng.uniform(300, 2400) if item.entry_type == IN else rng.uniform(40, 900)
    if item.seasonal:
        amount *= (
            1 + item.seasonal * math.cos(2 * math.pi * (month.month - 7.5) / 12) ** 2 - item.seasonal / 2
        )
    if item.jitter:
        amount *= 1 + rng.uniform(-item.jitter, item.jitter)
    return max(0.01, amount)


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson draw (Knuth's method; the rates here are small)."""
    limit, k, p = math.exp(-rate), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _card_spending(
    rng: random.Random, holder: Holder, days: list[dt.date]
) -> list[tuple[dt.date, str, float, str]]:
    out: list[tuple[dt.date, str, float, str]] = []
    for day in days:
        rate = holder.spend_rate * (1.35 if day.weekday() >= 4 else 0.9)
        if holder.type == "business" and day.weekday() >= 5:
            rate *= 0.3
        for _ in range(_poisson(rng, rate)):
            merchant = rng.choices(holder.merchants, weights=holder.weights)[0]
            amount = round(rng.uniform(merchant.low, merchant.high), 2)
            posted = day + dt.timedelta(days=rng.choice((0, 1, 1, 2)))
            if posted > days[-1]:
                posted = day
            name, place = _merchant_field(rng, merchant, holder)
            out.append((posted, _feed(rng, holder, f"{name} {place}", day), amount, OUT))
            if merchant.refundable and rng.random() < 0.04:  # returned within two weeks
                back = min(days[-1], posted + dt.timedelta(days=rng.randint(2, 14)))
                share = 1.0 if rng.random() < 0.7 else round(rng.uniform(0.2, 0.8), 2)
                word = rng.choice(("REFUND", "RETURN", "CREDIT VOUCHER"))
                out.append((back, f"{name} {word} {place}".upper(), round(amount * share, 2), IN))
    return out


def _merchant_field(rng: random.Random, merchant: Merchant, holder: Holder) -> tuple[str, str]:
    """The card network's merchant fields: the name (22 characters), then city (13) and state."""
    name = merchant.name.format(
        store=_digits(rng, rng.choice((3, 4, 5))),
        code=_code(rng, 10),
        ticket=_digits(rng, 13),
        restaurant=rng.choice(
            ("CHIPOTLE", "SHAKE SHACK", "PANDA EXPRESS", "SWEETGREEN", "THAI BASIL", "FIVE GUYS")
        ),
    )[:22]
    if merchant.kind == "online":
        city, state = rng.choice((("AMZN.COM/BILL", "WA"), ("SEATTLE", "WA"), ("SAN FRANCISCO", "CA")))
    elif merchant.kind in ("ride", "delivery"):
        city, state = rng.choice((("SAN FRANCISCO", "CA"), ("855-973-1040", "CA")))
    elif merchant.kind == "travel":
        city, state = rng.choice((("ATLANTA", "GA"), ("CHICAGO", "IL"), ("DALLAS", "TX")))
    elif rng.random() < 0.06:  # away from home
        city, state = rng.choice(CITIES)[:2]
    else:
        city, state = holder.city, holder.state
    return name, f"{city[:13]} {state}"


def _feed(rng: random.Random, holder: Holder, merchant_field: str, day: dt.date) -> str:
    """A card purchase the way the account holder's bank writes it."""
    style = holder.feed
    if style == "authorized":
        text = f"PURCHASE AUTHORIZED ON {day:%m/%d} {merchant_field} S{_digits(rng, 15)} CARD {holder.card}"
    elif style == "checkcard":
        text = f"CHECKCARD {day:%m%d} {merchant_field} {_digits(rng, 23)}"
    elif style == "pos":
        text = f"POS DEBIT {merchant_field}"
    elif style == "debit_card":
        text = f"DEBIT CARD PURCHASE XXXXXXXXXXXX{holder.card} {merchant_field}"
    else:
        text = merchant_field
    text = text.upper()
    return text[:40].rstrip() if style == "plain_cut" else text


def _p2p(rng: random.Random, holder: Holder, days: list[dt.date]) -> list[tuple[dt.date, str, float, str]]:
    out: list[tuple[dt.date, str, float, str]] = []
    for _ in range(_poisson(rng, holder.p2p_rate)):
        day = rng.choice(days)
        who = rng.choice(holder.friends)
        incoming = rng.random() < (0.7 if holder.type == "business" else 0.35)
        amount = round(
            rng.choice((15, 20, 25, 30, 40, 50, 60, 75, 100, 120, 150, 200)) * rng.uniform(0.9, 1.1), 2
        )
        if holder.type == "business":
            amount *= 8
        app = rng.choice(("venmo", "zelle", "zelle", "cashapp", "paypal"))
        if app == "venmo":
            text = f"VENMO PAYMENT {_digits(rng, 10)} {'FROM' if incoming else 'TO'} {who}"
        elif app == "zelle":
            text = f"ZELLE PAYMENT {'FROM' if incoming else 'TO'} {who} CONF# {_code(rng, 10)}"
        elif app == "cashapp":
            text = f"CASH APP*{who}*" if not incoming else f"CASH APP TRANSFER FROM {who}"
        else:
            text = f"PAYPAL INST XFER {who}" if not incoming else f"PAYPAL TRANSFER FROM {who}"
        out.append((day, text, amount, IN if incoming else OUT))
    if holder.type == "consumer" and holder.p2p_rate > 2.5 and rng.random() < 0.5:
        out.append(
            (
                rng.choice(days),
                f"VENMO CASHOUT PPD ID: {_digits(rng, 10)}",
                round(rng.uniform(20, 300), 2),
                IN,
            )
        )
    return out


def _customer_payments(
    rng: random.Random, holder: Holder, days: list[dt.date]
) -> list[tuple[dt.date, str, float, str]]:
    out: list[tuple[dt.date, str, float, str]] = []
    for day in days:
        weekday = day.weekday()
        if holder.kind == "restaurant" and weekday != 0:  # closed on Mondays: nothing settles on Tuesday
            processor = "SQUARE INC DEP" if holder.card < "5000" else "TOAST INC DEP"
            base = 900 + 600 * (weekday >= 4)
            out.append(
                (day, f"{processor} {day:%y%m%d} L{_digits(rng, 8)}", rng.uniform(0.6, 1.5) * base, IN)
            )
        elif holder.kind == "online_shop" and weekday < 5:
            text = (
                f"SHOPIFY PAYOUT {_digits(rng, 8)}"
                if holder.card < "5000"
                else f"STRIPE TRANSFER ST-{_code(rng, 10)}"
            )
            out.append((day, text, rng.uniform(250, 2800), IN))
            if rng.random() < 0.08:  # a customer's refund goes back out
                out.append((day, f"STRIPE REFUND {_code(rng, 10)}", rng.uniform(20, 180), OUT))
        elif holder.kind == "agency" and weekday < 5 and rng.random() < 0.22:
            client = rng.choice(holder.friends)
            text = rng.choice(
                (
                    f"DEPOSIT {client} INVOICE {_digits(rng, 4)}",
                    f"WIRE TRANSFER FROM {client}",
                    f"STRIPE TRANSFER ST-{_code(rng, 10)}",
                )
            )
            out.append((day, text, rng.uniform(1500, 18000), IN))
        elif holder.kind == "trades" and weekday < 6 and rng.random() < 0.45:
            text = rng.choice(
                (
                    f"SQUARE INC DEP {day:%y%m%d} L{_digits(rng, 8)}",
                    f"MOBILE DEPOSIT REF {_digits(rng, 9)}",
                    f"ZELLE PAYMENT FROM {_person(rng)} CONF# {_code(rng, 10)}",
                )
            )
            out.append((day, text, rng.uniform(180, 4800), IN))
    return out


def _glitches(rng: random.Random, rows: list[dict[str, object]], count: int) -> list[dict[str, object]]:
    """Rows a raw feed gets wrong now and then; the pipeline rejects each with a reason."""
    if not rows:
        return []
    out: list[dict[str, object]] = []
    for i in range(count):
        source = dict(rng.choice(rows))
        kind = i % 4
        if kind == 0:  # an authorization reversal sent with a sign instead of an entry type
            source["id"] = f"{source['id']}-rev"
            source["amount"] = -float(source["amount"])  # type: ignore[arg-type]
            source["description"] = f"REVERSAL {source['description']}"
        elif kind == 1:  # a memo-only line that lost its description
            source["id"] = f"{source['id']}-memo"
            source["description"] = ""
        elif kind == 2:  # a foreign-currency line with the currency field mangled
            source["id"] = f"{source['id']}-fx"
            source["currency"] = "US$"
        # kind 3: the same row delivered twice (same id): the later copy wins, the earlier is rejected
        out.append(source)
    return out


def generate_month(config: GeneratorConfig, month: dt.date) -> pd.DataFrame:
    """Every account holder's rows of one month (``month``: any day of it), glitches included."""
    month = month.replace(day=1)
    rows: list[dict[str, object]] = []
    for holder in population(config):
        rows += month_rows(config, holder, month)
    rng = random.Random(f"{config.seed}/glitches/{month:%Y-%m}")
    rows += _glitches(rng, rows, config.glitches_per_month)
    frame = pd.DataFrame(rows, columns=list(RAW_COLUMNS))
    return frame.sort_values(["date", "account_holder_id"], kind="stable", ignore_index=True)


def generate(
    config: GeneratorConfig, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """The rows dated in ``[start, end)`` (default: the whole period), the same rows whatever the range."""
    start = start or config.start
    end = end or config.end
    frames = [
        frame[(frame["date"] >= start.isoformat()) & (frame["date"] < end.isoformat())]
        for frame in (generate_month(config, m) for m in _months_between(start, end))
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=list(RAW_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def valid_transaction_ids(frame: pd.DataFrame) -> set[str]:
    """The ids the pipeline enriches: rows with a description, a known currency and a non-negative
    amount (of an id delivered twice, one copy is enriched)."""
    ok = (frame["amount"] >= 0) & (frame["description"].str.len() > 0) & (frame["currency"] == "USD")
    return set(frame.loc[ok, "id"])


# ------------------------------------------------------------------------------------------------ statements


def statement_specs(config: GeneratorConfig, count: int = 6) -> list[StatementSpec]:
    """Bank statements of ``count`` applicants (a consumer or a business applying for credit): one month
    of their transactions, printed by a US bank's layout (the sandbox's statement specs)."""
    from ntropy_dagster.sandbox.statements import StatementAddress, StatementTransactionSpec
    from ntropy_dagster.sandbox.statements import StatementSpec as Spec

    specs: list[StatementSpec] = []
    banks = ("Chase", "Bank of America", "Wells Fargo")
    month = config.month_starts[-1]
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    for i in range(count):
        business = i % 3 == 2
        holder = _business(config, i, "applicant-b") if business else _consumer(config, i, "applicant")
        rows = month_rows(config, holder, month)
        rng = random.Random(f"{config.seed}/{holder.id}/statement")
        transactions = [
            StatementTransactionSpec(
                date=dt.date.fromisoformat(str(r["date"])),
                description=str(r["description"]),
                amount=Decimal(str(r["amount"])),
                entry_type=str(r["entry_type"]),
            )
            for r in rows
        ]
        street = (
            f"{rng.randint(10, 9800)} {rng.choice(('MAIN ST', 'OAK AVE', 'PARK BLVD', 'ELM ST', 'LAKE DR'))}"
        )
        specs.append(
            Spec(
                bank=banks[i % len(banks)],
                account_holder_name=_display_name(holder.name),
                account_holder_type=holder.type,
                address=StatementAddress(
                    street=street.title(),
                    postcode=_digits(rng, 5),
                    city=holder.city.title(),
                    state=holder.state,
                    country="US",
                ),
                account_number=_digits(rng, 12),
                account_type="checking",
                period_start=month,
                period_end=last,
                opening_balance=Decimal(str(round(rng.uniform(2500, 25000) * (4 if business else 1), 2))),
                transactions=transactions,
            )
        )
    return specs


def write_statements(folder: Path, config: GeneratorConfig, count: int = 6) -> list[Path]:
    """Render :func:`statement_specs` as PDFs into ``folder`` (created); returns the files written.

    Each file is written under a temporary name and renamed, so a process listing the folder meanwhile
    never sees half a PDF."""
    from ntropy_dagster.sandbox.statements import make_statement_pdf

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, spec in enumerate(statement_specs(config, count)):
        slug = "".join(c if c.isalnum() else "-" for c in spec.account_holder_name.lower()).strip("-")
        path = folder / f"{i + 1:02d}-{slug}-{spec.period_start:%Y-%m}.pdf"
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(make_statement_pdf(spec))
        os.replace(partial, path)
        paths.append(path)
    return paths


# ------------------------------------------------------------------------------------------------ helpers


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _months_between(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    month = start.replace(day=1)
    while month < end:
        yield month
        month = _add_months(month, 1)


def _business_day(day: dt.date) -> dt.date:
    """The previous business day, or the next one when the previous one falls in the month before (so a
    month's rows stay in that month, and a month generated alone has exactly its rows)."""
    earlier = day
    while earlier.weekday() >= 5:
        earlier -= dt.timedelta(days=1)
    if earlier.month == day.month:
        return earlier
    later = day
    while later.weekday() >= 5:
        later += dt.timedelta(days=1)
    return later


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.digits, k=n))


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_uppercase + string.digits, k=n))


def _display_name(name: str) -> str:
    """``RED FOX STUDIO LLC`` -> ``Red Fox Studio LLC``, as a statement prints it."""
    return " ".join(w if w in ("LLC", "INC", "CO") else w.title() for w in name.split())


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
