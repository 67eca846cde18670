from django import template

from accounts.money import format_minor

register = template.Library()


@register.filter
def minor(amount: int, currency: str) -> str:
    """{{ payment.amount|minor:payment.currency }} → $25.00."""
    return format_minor(amount, currency)
