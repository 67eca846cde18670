"""Money as people read it, in the organization's currency. Amounts are stored in minor units (cents) as
integers; every currency Roster offers (accounts.models.CURRENCIES) has two decimals."""

from decimal import Decimal

CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "MXN": "MX$", "EUR": "€", "GBP": "£"}
MINOR_UNITS = 100  # per major unit, in every offered currency


def format_number(value: float | Decimal, places: int) -> str:
    """`value` rounded to `places` with thousands separators; never "-0"."""
    text = f"{value:,.{places}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def format_money(value: float | Decimal, currency: str, places: int = 2) -> str:
    """$1,234.00 · -€5.50 · 1,234.00 CHF (a code where the symbol would be ambiguous)."""
    number = format_number(value, places)
    sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{digits}" if symbol else f"{number} {currency}"


def format_minor(amount: int, currency: str) -> str:
    """An amount stored in minor units: 2500 USD → $25.00."""
    return format_money(to_major(amount), currency)


def to_major(amount: int) -> Decimal:
    """Minor units as the amount people type: 2500 → Decimal("25.00")."""
    return (Decimal(amount) / MINOR_UNITS).quantize(Decimal("0.01"))


def to_minor(value: Decimal) -> int:
    """A major-unit amount (25.00) as minor units (2500); the caller checked it has two decimals at most."""
    return int(value * MINOR_UNITS)
