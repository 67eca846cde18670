"""The one way a metric value is written for people: on the profile, in the activity log, reports and CSVs."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metrics.models import Metric

CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "MXN": "MX$", "EUR": "€", "GBP": "£"}


def format_number(value: float, places: int) -> str:
    """`value` rounded to `places` with thousands separators; never "-0"."""
    text = f"{value:,.{places}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def format_value(metric: "Metric", value: float | None) -> str:
    """12 visits · 1,250.50 kg · $1,234.00 · 1,234.00 CHF · 85.5%; an em dash for no value."""
    if value is None:
        return "—"
    number = format_number(value, metric.places)
    match metric.kind:
        case "money":
            sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
            symbol = CURRENCY_SYMBOLS.get(metric.currency)
            return f"{sign}{symbol}{digits}" if symbol else f"{number} {metric.currency}"
        case "percentage":
            return f"{number}%"
    return f"{number} {metric.unit}" if metric.unit else number
