"""The demo organization's packages: what a party and activity center sells."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.tenancy import current_organization
from billing.models import ForWhom, Interval, Package, PackageKind, Visibility

PACKAGES = [
    {
        "name": "Birthday party — Classic",
        "description": "Two hours of bouncing and a party room for up to 12 kids, with pizza and drinks.",
        "price": 29900,
        "capacity": 40,
        "for_whom": ForWhom.CHILD,
        "min_age": 3,
        "max_age": 12,
    },
    {
        "name": "Birthday party — Deluxe",
        "description": "Three hours, up to 20 kids, a party host, pizza, cake and a goody bag each.",
        "price": 44900,
        "tax_rate": Decimal("8.25"),
        "capacity": 20,
        "for_whom": ForWhom.CHILD,
        "min_age": 3,
        "max_age": 14,
    },
    {"name": "Open jump — single visit", "description": "Ninety minutes of open jump.", "price": 1800},
    {
        "name": "Open jump — 10-visit pass",
        "description": "Ten open-jump visits, shareable within a family.",
        "kind": PackageKind.CLASS_PASS,
        "visits": 10,
        "price": 15000,
    },
    {
        "name": "Monthly jump membership",
        "description": "Unlimited open jump on weekdays.",
        "kind": PackageKind.MEMBERSHIP,
        "interval": Interval.MONTH,
        "price": 4900,
        "for_whom": ForWhom.CHILD,
        "min_age": 4,
    },
    {
        "name": "Corporate event",
        "description": "The whole center for your team, quoted by our events staff.",
        "price": 150000,
        "visibility": Visibility.STAFF,
        "for_whom": ForWhom.ADULT,
    },
    {
        "name": "Summer camp week",
        "description": "A week of day camp: games, crafts and jumping, 9 to 3.",
        "price": 32500,
        "capacity": 60,
        "visibility": Visibility.INVITE,
        "for_whom": ForWhom.CHILD,
        "min_age": 6,
        "max_age": 12,
        "sale_ends_at_days": 60,
    },
]


def demo_packages() -> list[Package]:
    currency = current_organization().currency
    packages = []
    for spec in PACKAGES:
        spec = dict(spec)
        days = spec.pop("sale_ends_at_days", None)
        if days:
            spec["sale_ends_at"] = timezone.now() + timedelta(days=days)
        packages.append(Package(currency=currency, **spec))
    return Package.objects.bulk_create(packages)
