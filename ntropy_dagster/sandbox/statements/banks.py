"""The bank layouts the generator can print (and the parser reads back).

Four layout families, varied per bank: US split columns (Chase, Wells Fargo), US signed amount
(Bank of America), UK money-out/money-in with "brought forward" rows and one date per day (Barclays,
HSBC UK) and app-bank signed amounts with ISO or German dates (Monzo, N26).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ntropy_dagster.sandbox.statements.spec import StatementAddress

AmountMode = Literal["split", "signed"]


@dataclass(frozen=True)
class BankStyle:
    """How one bank prints its statements."""

    name: str  # the institution, printed as the large wordmark
    legal_lines: tuple[str, ...]  # legal name and address, printed top right
    country: str
    currency: str
    page: Literal["letter", "A4"]
    color: str
    date_format: str  # strftime format of the transaction dates
    period_format: str  # strftime format of the statement period dates
    amount_mode: AmountMode
    # Column titles in print order; kinds: date, description, debit, credit, amount, balance.
    columns: tuple[tuple[str, str], ...]
    summary_labels: tuple[tuple[str, str], ...]  # (kind, label); kinds: opening, incoming, outgoing, closing
    products: dict[str, str]  # account type -> product name; "business_<type>" for business holders
    account_label: str = "Account number"
    mask_account: bool = False  # print only the last four digits ("****1234")
    number_style: Literal["us", "eu"] = "us"
    plus_sign: bool = False  # signed layouts: print "+" on incoming amounts
    date_once_per_day: bool = False  # a date only on the first line of each day (per page)
    balance_end_of_day: bool = False  # a balance only on the last line of each day
    uk_markers: bool = False  # "Balance brought/carried forward" rows instead of "continued" notes
    sort_code: bool = False
    footer: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return f"{self.country}-{self.amount_mode}"


_US_SUMMARY = (
    ("opening", "Beginning balance"),
    ("incoming", "Deposits and additions"),
    ("outgoing", "Withdrawals and subtractions"),
    ("closing", "Ending balance"),
)

BANKS: dict[str, BankStyle] = {
    style.name: style
    for style in (
        BankStyle(
            name="Chase",
            legal_lines=("JPMorgan Chase Bank, N.A.", "P O Box 182051", "Columbus, OH 43218-2051"),
            country="US",
            currency="USD",
            page="letter",
            color="#117ACA",
            date_format="%m/%d/%Y",
            period_format="%B %d, %Y",
            amount_mode="split",
            columns=(
                ("date", "Date"),
                ("description", "Description"),
                ("debit", "Withdrawals"),
                ("credit", "Deposits"),
                ("balance", "Balance"),
            ),
            summary_labels=_US_SUMMARY,
            products={
                "checking": "Chase Total Checking",
                "savings": "Chase Savings",
                "business_checking": "Chase Business Complete Checking",
                "business_savings": "Chase Business Premier Savings",
            },
            footer="Deposit products provided by JPMorgan Chase Bank, N.A. Member FDIC",
        ),
        BankStyle(
            name="Bank of America",
            legal_lines=("Bank of America, N.A.", "P.O. Box 15284", "Wilmington, DE 19850"),
            country="US",
            currency="USD",
            page="letter",
            color="#E31837",
            date_format="%m/%d/%y",
            period_format="%B %d, %Y",
            amount_mode="signed",
            columns=(
                ("date", "Date"),
                ("description", "Description"),
                ("amount", "Amount"),
                ("balance", "Balance"),
            ),
            summary_labels=(
                ("opening", "Beginning balance"),
                ("incoming", "Deposits and other additions"),
                ("outgoing", "Withdrawals and other subtractions"),
                ("closing", "Ending balance"),
            ),
            products={
                "checking": "Adv Plus Banking",
                "savings": "Advantage Savings",
                "business_checking": "Business Advantage Fundamentals Banking",
                "business_savings": "Business Advantage Savings",
            },
            mask_account=True,
            footer="Bank of America, N.A. Member FDIC. Equal Housing Lender",
        ),
        BankStyle(
            name="Wells Fargo",
            legal_lines=("Wells Fargo Bank, N.A.", "P.O. Box 6995", "Portland, OR 97228-6995"),
            country="US",
            currency="USD",
            page="letter",
            color="#D71E28",
            date_format="%m/%d/%Y",
            period_format="%m/%d/%Y",
            amount_mode="split",
            columns=(
                ("date", "Date"),
                ("description", "Description"),
                ("credit", "Deposits/Credits"),
                ("debit", "Withdrawals/Debits"),
                ("balance", "Ending daily balance"),
            ),
            summary_labels=(
                ("opening", "Beginning balance"),
                ("incoming", "Deposits/Credits"),
                ("outgoing", "Withdrawals/Debits"),
                ("closing", "Ending balance"),
            ),
            products={
                "checking": "Everyday Checking",
                "savings": "Way2Save Savings",
                "business_checking": "Initiate Business Checking",
                "business_savings": "Business Market Rate Savings",
            },
            balance_end_of_day=True,
            footer="Wells Fargo Bank, N.A. Member FDIC",
        ),
        BankStyle(
            name="Barclays",
            legal_lines=("Barclays Bank UK PLC", "Leicester", "LE87 2BB"),
            country="GB",
            currency="GBP",
            page="A4",
            color="#00AEEF",
            date_format="%d %b %Y",
            period_format="%d %B %Y",
            amount_mode="split",
            columns=(
                ("date", "Date"),
                ("description", "Description"),
                ("debit", "Money out"),
                ("credit", "Money in"),
                ("balance", "Balance"),
            ),
            summary_labels=(
                ("opening", "Start balance"),
                ("outgoing", "Money out"),
                ("incoming", "Money in"),
                ("closing", "End balance"),
            ),
            products={
                "checking": "Barclays Current Account",
                "savings": "Everyday Saver",
                "business_checking": "Business Current Account",
                "business_savings": "Business Premium Saver",
            },
            date_once_per_day=True,
            uk_markers=True,
            sort_code=True,
            footer="Barclays Bank UK PLC. Authorised by the Prudential Regulation Authority. Reg. 9740322",
        ),
        BankStyle(
            name="HSBC UK",
            legal_lines=("HSBC UK Bank plc", "1 Centenary Square", "Birmingham", "B1 1HQ"),
            country="GB",
            currency="GBP",
            page="A4",
            color="#DB0011",
            date_format="%d %b %y",
            period_format="%d %B %Y",
            amount_mode="split",
            columns=(
                ("date", "Date"),
                ("description", "Payment type and details"),
                ("debit", "Paid out"),
                ("credit", "Paid in"),
                ("balance", "Balance"),
            ),
            summary_labels=(
                ("opening", "Opening Balance"),
                ("incoming", "Payments In"),
                ("outgoing", "Payments Out"),
                ("closing", "Closing Balance"),
            ),
            products={
                "checking": "HSBC Advance Current Account",
                "savings": "Flexible Saver",
                "business_checking": "Business Current Account",
                "business_savings": "Business Money Manager",
            },
            date_once_per_day=True,
            balance_end_of_day=True,
            uk_markers=True,
            sort_code=True,
            footer="HSBC UK Bank plc. Registered in England and Wales number 09928412",
        ),
        BankStyle(
            name="Monzo",
            legal_lines=("Monzo Bank Limited", "Broadwalk House, 5 Appold St", "London EC2A 2AG"),
            country="GB",
            currency="GBP",
            page="A4",
            color="#14233C",
            date_format="%Y-%m-%d",
            period_format="%Y-%m-%d",
            amount_mode="signed",
            columns=(
                ("date", "Date"),
                ("description", "Description"),
                ("amount", "Amount"),
                ("balance", "Balance"),
            ),
            summary_labels=(
                ("opening", "Opening balance"),
                ("incoming", "Money in"),
                ("outgoing", "Money out"),
                ("closing", "Closing balance"),
            ),
            products={
                "checking": "Personal Account",
                "savings": "Savings Pot",
                "business_checking": "Business Current Account",
                "business_savings": "Business Savings Pot",
            },
            plus_sign=True,
            sort_code=True,
            footer="Monzo Bank Limited is authorised by the Prudential Regulation Authority",
        ),
        BankStyle(
            name="N26",
            legal_lines=("N26 Bank SE", "Voltairestraße 8", "10179 Berlin"),
            country="DE",
            currency="EUR",
            page="A4",
            color="#36A18B",
            date_format="%d.%m.%Y",
            period_format="%d.%m.%Y",
            amount_mode="signed",
            columns=(
                ("date", "Booking date"),
                ("description", "Description"),
                ("amount", "Amount"),
                ("balance", "Balance"),
            ),
            summary_labels=(
                ("opening", "Previous balance"),
                ("incoming", "Incoming transactions"),
                ("outgoing", "Outgoing transactions"),
                ("closing", "Your new balance"),
            ),
            products={
                "checking": "N26 Standard Current Account",
                "savings": "N26 Savings Account",
                "business_checking": "N26 Business Current Account",
                "business_savings": "N26 Business Savings Account",
            },
            account_label="IBAN",
            number_style="eu",
            plus_sign=True,
            footer="N26 Bank SE, Voltairestraße 8, 10179 Berlin. BIC: NTSBDEB1XXX",
        ),
    )
}

BANK_NAMES: tuple[str, ...] = tuple(BANKS)

#: Countries whose name the generator prints on a foreign address line (and the parser maps back).
COUNTRY_NAMES: dict[str, str] = {
    "US": "United States",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "IE": "Ireland",
    "NL": "Netherlands",
    "ES": "Spain",
    "CA": "Canada",
}


def get_bank(name: str) -> BankStyle:
    """The layout for ``name`` (case-insensitive); ValueError for unknown banks."""
    for style in BANKS.values():
        if style.name.lower() == name.lower():
            return style
    raise ValueError(f"unknown bank {name!r}; choose one of {', '.join(BANK_NAMES)}")


def product_name(style: BankStyle, account_type: str, holder_type: str) -> str:
    """The product printed for an account; unknown types print as e.g. "Money Market Account"."""
    key = f"business_{account_type}" if holder_type == "business" else account_type
    if key in style.products:
        return style.products[key]
    base = account_type.replace("_", " ").title() + " Account"
    return f"Business {base}" if holder_type == "business" else base


def address_lines(address: StatementAddress, bank_country: str) -> list[str]:
    """The holder's address as printed (local format; the country name only for foreign or EU addresses)."""
    if address.country == "US":
        lines = [
            address.street,
            f"{address.city}, {address.state or ''} {address.postcode}".replace(" ,", ","),
        ]
    elif address.country == "GB":
        lines = [address.street, address.city, *([address.state] if address.state else []), address.postcode]
    else:
        lines = [address.street, f"{address.postcode} {address.city}"]
    if address.country != bank_country or address.country not in ("US", "GB"):
        lines.append(COUNTRY_NAMES.get(address.country, address.country))
    return lines


def printed_account_number(style: BankStyle, number: str) -> str:
    """The account number as the bank prints it (masked to the last four digits for some banks)."""
    if style.mask_account and not number.startswith("*"):
        digits = "".join(ch for ch in number if ch.isdigit())
        return f"****{digits[-4:]}"
    return number
