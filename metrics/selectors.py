"""Reads of metrics that views share: a customer's series for the profile, and the report's figures."""

import math
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Aggregate, Avg, Count, F, FloatField, Func, IntegerField, Max, Min, Value
from django.db.models.functions import Least, TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format

from accounts.money import format_number
from customers.models import Customer
from metrics.models import Metric, MetricEntry

BUCKETS = 10
TREND_MONTHS = 12


def get_metric_for_org(pk: int) -> Metric:
    """The current organization's metric, or 404 (another organization's id included)."""
    return get_object_or_404(Metric, pk=pk)


def active_metrics():
    return Metric.objects.filter(archived_at=None).order_by("position", "name")


@dataclass
class Series:
    """One metric on one customer's profile: every entry (newest first), and what the values say now."""

    metric: Metric
    entries: list[MetricEntry] = field(default_factory=list)

    @property
    def effective(self) -> list[MetricEntry]:
        """Entries no correction supersedes, oldest first: the customer's values over time."""
        return sorted(
            (entry for entry in self.entries if entry.corrected_by is None),
            key=lambda entry: (entry.recorded_on, entry.created_at, entry.pk),
        )

    @property
    def current(self) -> MetricEntry | None:
        effective = self.effective
        return effective[-1] if effective else None

    @property
    def previous(self) -> MetricEntry | None:
        effective = self.effective
        return effective[-2] if len(effective) > 1 else None

    @property
    def trend(self) -> dict | None:
        """Which way the current value moved from the one before, and whether that is good."""
        current, previous = self.current, self.previous
        if current is None or previous is None:
            return None
        places = self.metric.places
        delta = round(current.value, places) - round(previous.value, places)
        direction = "up" if delta > 0 else "down" if delta < 0 else "same"
        good = direction == ("up" if self.metric.higher_is_better else "down")
        return {
            "direction": direction,
            "arrow": {"up": "↑", "down": "↓", "same": "→"}[direction],
            "tone": "text-body-secondary"
            if direction == "same"
            else "text-success"
            if good
            else "text-danger",
            "words": {"up": "up", "down": "down", "same": "unchanged"}[direction],
            "from": self.metric.format(previous.value),
        }

    @property
    def chart_id(self) -> str:
        return f"metric-chart-{self.metric.pk}"

    @property
    def chart(self) -> dict:
        effective = self.effective
        return {
            "type": "line",
            "labels": [date_format(entry.recorded_on, "M j, Y") for entry in effective],
            "series": [{"label": self.metric.name, "data": [entry.value for entry in effective]}],
            "formatted": [[self.metric.format(entry.value) for entry in effective]],
            "integer": self.metric.places == 0,
        }


def customer_series(customer: Customer, metrics: list[Metric]) -> list[Series]:
    """Each metric's entries for `customer`, with who recorded and who corrected them: two queries."""
    series = {metric.pk: Series(metric) for metric in metrics}
    entries = list(
        MetricEntry.objects.filter(customer=customer, metric_id__in=list(series))
        .select_related("recorded_by")
        .order_by("-recorded_on", "-created_at", "-id")
    )
    corrected_by = {entry.supersedes_id: entry for entry in entries if entry.supersedes_id}
    by_id = {entry.pk: entry for entry in entries}
    for entry in entries:
        entry.metric = series[entry.metric_id].metric
        entry.corrected_by = corrected_by.get(entry.pk)
        entry.corrects = by_id.get(entry.supersedes_id)
        series[entry.metric_id].entries.append(entry)
    return list(series.values())


def customers_with_values() -> dict[int, int]:
    """{metric id: customers with a current value} over the whole roster, one query."""
    rows = MetricEntry.objects.filter(is_current=True).values("metric").annotate(customers=Count("id"))
    return {row["metric"]: row["customers"] for row in rows}


class Median(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class WidthBucket(Func):
    function = "width_bucket"
    output_field = IntegerField()


def current_values(metric: Metric):
    """The current values of `metric` across active (not archived) customers."""
    return MetricEntry.objects.filter(metric=metric, is_current=True, customer__archived_at=None)


def report_index(metrics: list[Metric]) -> list[dict]:
    """Per metric: active customers with a value, and when a value was last recorded. One query."""
    rows = (
        MetricEntry.objects.filter(is_current=True, customer__archived_at=None)
        .values("metric")
        .annotate(customers=Count("id"), last=Max("recorded_on"))
    )
    figures = {row["metric"]: row for row in rows}
    return [
        {**figures.get(metric.pk, {"customers": 0, "last": None}), "metric": metric} for metric in metrics
    ]


def summary(metric: Metric) -> dict:
    return current_values(metric).aggregate(
        count=Count("id"), low=Min("value"), median=Median("value"), mean=Avg("value"), high=Max("value")
    )


def _bucket_edges(metric: Metric, low: float, high: float) -> tuple[float, float, int]:
    """Where the histogram starts, how wide each bucket is, and how many: whole-number widths for whole
    numbers, so a bucket reads "10 – 14" and never splits a value."""
    if metric.places == 0:
        width = max(1, math.ceil((high - low + 1) / BUCKETS))
        return low, float(width), min(BUCKETS, math.ceil((high - low + 1) / width))
    if high == low:
        return low, 1.0, 1
    return low, (high - low) / BUCKETS, BUCKETS


def distribution(metric: Metric, stats: dict) -> list[dict]:
    """Active customers per bucket of current value, counted in SQL with width_bucket."""
    if not stats["count"]:
        return []
    start, width, count = _bucket_edges(metric, stats["low"], stats["high"])
    rows = (
        current_values(metric)
        .annotate(
            bucket=Least(
                WidthBucket(F("value"), Value(start), Value(start + width * count), Value(count)),
                Value(count),
            )
        )
        .values("bucket")
        .annotate(customers=Count("id"))
    )
    counts = {row["bucket"]: row["customers"] for row in rows}
    buckets = []
    for number in range(1, count + 1):
        low = start + width * (number - 1)
        high = low + width
        last = high - 1 if metric.places == 0 else high  # whole numbers: both ends included
        label = metric.format(low) if last == low else _range_label(metric, low, last)
        buckets.append({"label": label, "low": low, "high": high, "customers": counts.get(number, 0)})
    return buckets


def _range_label(metric: Metric, low: float, high: float) -> str:
    """ "4 – 6 visits", "$10.00 – $20.00": a unit is said once."""
    start = format_number(low, metric.places) if metric.unit else metric.format(low)
    return f"{start} – {metric.format(high)}"


def _months(today: date) -> list[date]:
    first = today.replace(day=1)
    months = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        months.append(date(year, month + 1, 1))
    return months


def trend(metric: Metric) -> list[dict]:
    """Per month of the last twelve: values recorded (corrections count once), customers measured, average.
    Archived customers included: what was measured then does not change when someone leaves."""
    months = _months(timezone.localdate())
    rows = (
        MetricEntry.objects.filter(metric=metric, recorded_on__gte=months[0], corrections=None)
        .annotate(month=TruncMonth("recorded_on"))
        .values("month")
        .annotate(entries=Count("id"), customers=Count("customer", distinct=True), average=Avg("value"))
    )
    figures = {row["month"]: row for row in rows}
    return [
        {
            "month": month,
            "entries": figures.get(month, {}).get("entries", 0),
            "customers": figures.get(month, {}).get("customers", 0),
            "average": figures.get(month, {}).get("average"),
        }
        for month in months
    ]
