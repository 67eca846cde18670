"""What the metrics test modules share: metrics and values made through the services, and `metric_world`:
two organizations (metrics of every kind and two customers in A; its own metric and customer in B), a fixture
registered for every module by tests/conftest.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tenancy import tenant
from metrics import services
from metrics.models import Metric, MetricKind
from tests.factories import customer

SETTINGS = "/app/{slug}/settings/metrics/"


def make_metric(name, kind=MetricKind.NUMBER, **attributes) -> Metric:
    if kind == MetricKind.MONEY:
        attributes.setdefault("currency", "USD")
    return services.metric_save(metric=Metric(name=name, kind=kind, **attributes), by=None)


def today():
    with timezone.override("America/Chicago"):  # the test organizations' time zone
        return timezone.localdate()


def record(person, metric, value, *, days_ago=0, by=None, comment=""):
    return services.entry_record(
        customer=person,
        metric=metric,
        value=Decimal(str(value)),
        recorded_on=today() - timedelta(days=days_ago),
        comment=comment,
        by=by,
    )


def tab_url(org, person) -> str:
    return f"/app/{org.slug}/customers/{person.pk}/metrics/"


def roster(client, org, query: str) -> str:
    return client.get(f"/app/{org.slug}/customers/{query}").text


@pytest.fixture
def metric_world(org_a, org_b):
    """Org A: metrics of every kind, Ann and Ben; org B: its own metric and customer."""
    with tenant(org_a):
        a = {
            "visits": make_metric("Visits", MetricKind.COUNTER, unit="visits"),
            "spend": make_metric("Lifetime spend", MetricKind.MONEY, decimals=2),
            "skill": make_metric("Skill level", decimals=1, unit="of 10"),
            "lap": make_metric("Lap time", decimals=2, unit="s", higher_is_better=False),
            "attendance": make_metric("Attendance rate", MetricKind.PERCENTAGE),
            "ann": customer(first_name="Ann", last_name="Archer"),
            "ben": customer(first_name="Ben", last_name="Baker"),
        }
    with tenant(org_b):
        b = {
            "visits": make_metric("Visits", MetricKind.COUNTER),
            "zed": customer(first_name="Zed", last_name="Zu"),
        }
    return {"a": a, "b": b}
