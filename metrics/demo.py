"""Demo metrics: a Visits counter, Lifetime spend, Skill level and Attendance rate, with a history of values
on about a fifth of the customers (now and then a corrected typo), so profiles, filters and reports show."""

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import Membership
from accounts.tenancy import required_organization
from customers.models import Customer
from metrics.models import Metric, MetricEntry, MetricKind

METRICS = [
    {"name": "Visits", "kind": MetricKind.COUNTER, "unit": "visits"},
    {"name": "Lifetime spend", "kind": MetricKind.MONEY, "decimals": 2},
    {"name": "Skill level", "kind": MetricKind.NUMBER, "decimals": 1, "unit": "of 10"},
    {"name": "Attendance rate", "kind": MetricKind.PERCENTAGE, "decimals": 0},
]
COMMENTS = [
    "",
    "",
    "",
    "",
    "After the spring session",
    "Checked with parent",
    "Assessment day",
    "Coach's note",
]


def _history(rng: random.Random, kind: str, start_days: int) -> list[tuple[int, float]]:
    """(days ago, value) pairs, oldest first, moving the way such a metric moves."""
    count = rng.randint(2, 8)
    days = sorted(rng.sample(range(1, start_days), count), reverse=True)
    values, value = [], 0.0
    for index, _ in enumerate(days):
        match kind:
            case MetricKind.COUNTER:
                value += rng.randint(1, 4)
            case MetricKind.MONEY:
                value += round(rng.uniform(15, 180), 2)
            case MetricKind.NUMBER:
                value = round(min(10, max(1, (value or rng.uniform(1, 4)) + rng.uniform(-0.4, 1.2))), 1)
            case MetricKind.PERCENTAGE:
                value = float(min(100, max(20, (value or rng.randint(50, 95)) + rng.randint(-12, 10))))
        values.append(value if index or kind != MetricKind.COUNTER else float(rng.randint(1, 3)))
    return list(zip(days, values, strict=True))


def demo_metrics(customers: list[Customer], *, seed: int) -> None:
    rng = random.Random(seed + 77)
    currency = required_organization("Demo metrics").currency
    metrics = [
        Metric.objects.create(
            position=position, currency=currency if spec["kind"] == MetricKind.MONEY else "", **spec
        )
        for position, spec in enumerate(METRICS, start=1)
    ]
    staff = [membership.user for membership in Membership.objects.select_related("user").order_by("id")]
    today = timezone.localdate()
    measured = [customer for customer in customers if rng.random() < 0.2]
    entries, corrections = [], []
    for customer in measured:
        for metric in metrics:
            if rng.random() < 0.3:
                continue
            history = _history(rng, metric.kind, 400)
            for index, (days_ago, value) in enumerate(history):
                entry = MetricEntry(
                    customer=customer,
                    metric=metric,
                    value=value,
                    recorded_on=today - timedelta(days=days_ago),
                    comment=rng.choice(COMMENTS),
                    recorded_by=rng.choice(staff) if staff else None,
                    is_current=index == len(history) - 1,
                )
                entries.append(entry)
                if index < len(history) - 1 and rng.random() < 0.04:  # a typo, corrected the same day
                    corrections.append((entry, value))
                    entry.value = value * 10 if value else 1
    MetricEntry.objects.bulk_create(entries, batch_size=2000)
    MetricEntry.objects.bulk_create(
        [
            MetricEntry(
                customer=entry.customer,
                metric=entry.metric,
                value=value,
                recorded_on=entry.recorded_on,
                comment="Typo corrected",
                recorded_by=entry.recorded_by,
                supersedes=entry,
            )
            for entry, value in corrections
        ],
        batch_size=2000,
    )
