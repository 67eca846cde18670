from django import template

from metrics.formatting import format_value

register = template.Library()


@register.filter
def metric_value(value, metric):
    """{{ entry.value|metric_value:metric }}: the value as the metric writes it."""
    return format_value(metric, value)
