"""Metrics' part of a person's export (every value with its history of corrections) and erasure."""

from customers.extend import ErasureLine
from customers.privacy import rows_of
from metrics.models import MetricEntry


def metric_rows(customer, *, include_notes: bool) -> list[dict]:
    entries = MetricEntry.objects.filter(customer=customer).order_by(
        "metric__name", "recorded_on", "created_at"
    )
    return rows_of(
        entries,
        ["metric__name", "value", "metric__unit", "recorded_on", "comment", "is_current", "created_at"],
    )


def metrics_erase(customer) -> list[ErasureLine]:
    count = MetricEntry.objects.filter(customer=customer).count()
    MetricEntry.objects.filter(customer=customer).delete()
    return [ErasureLine("Metric values and their history", "erased", count)]
