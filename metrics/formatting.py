"""The one way a metric value is written for people: on the profile, in the activity log, reports and CSVs."""

from typing import TYPE_CHECKING

from accounts.money import format_money, format_number

if TYPE_CHECKING:
    from metrics.models import Metric


def format_value(metric: "Metric", value: float | None) -> str:
    """12 visits · 1,250.50 kg · $1,234.00 · 1,234.00 CHF · 85.5%; an em dash for no value."""
    if value is None:
        return "—"
    number = format_number(value, metric.places)
    match metric.kind:
        case "money":
            return format_money(value, metric.currency, metric.places)
        case "percentage":
            return f"{number}%"
    return f"{number} {metric.unit}" if metric.unit else number
