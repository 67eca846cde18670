"""Which entry of a customer's metric is current: kept by every write to values, and by merges."""

from customers.models import Customer
from metrics.models import Metric, MetricEntry


def current_refresh(customer: Customer, metric: Metric) -> MetricEntry | None:
    """Mark the latest entry no correction supersedes as current (and no other): call under the lock."""
    series = MetricEntry.objects.filter(customer=customer, metric=metric)
    latest = series.filter(corrections=None).order_by("-recorded_on", "-created_at", "-id").first()
    # Clear first: the database allows one current entry per customer and metric at any moment.
    series.filter(is_current=True).exclude(pk=latest.pk if latest else None).update(is_current=False)
    if latest and not latest.is_current:
        series.filter(pk=latest.pk).update(is_current=True)
        latest.is_current = True
    return latest
