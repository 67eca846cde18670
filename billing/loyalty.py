"""The profile's Loyalty tab: what a customer paid for as payer (for themselves or for others) — orders and
revenue net of refunds by package kind and by package over a period, lifetime value, first and last purchase.
Every figure is an aggregate PostgreSQL computes: three queries, however many payments there are."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from billing.models import PackageKind, Payment
from customers.models import Customer

NET = F("amount") - F("refunded")


@dataclass(frozen=True)
class Line:
    """One row of a breakdown: a package kind or a package, its orders and what they brought in."""

    label: str
    orders: int
    revenue: int  # minor units, refunds taken off
    kind: str = ""  # on a package's row, its kind's label


@dataclass(frozen=True)
class Loyalty:
    lifetime_value: int
    first_purchase: datetime | None
    last_purchase: datetime | None
    orders: int  # in the period
    revenue: int  # in the period
    by_kind: list[Line]
    by_package: list[Line]

    @property
    def average_order(self) -> int | None:
        """What one order of the period brought in on average, rounded to the minor unit."""
        return round(self.revenue / self.orders) if self.orders else None


def _in_period(start: date | None, end: date | None) -> Q:
    """Payments taken from the start of `start` to the end of `end`, both days in the organization's time zone
    (bounds on created_at itself, so its index serves)."""
    condition = Q()
    zone = timezone.get_current_timezone()
    if start:
        condition &= Q(created_at__gte=datetime.combine(start, time.min, tzinfo=zone))
    if end:
        condition &= Q(created_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone))
    return condition


def loyalty_of(customer: Customer, *, start: date | None = None, end: date | None = None) -> Loyalty:
    """What `customer` paid for, all time and between `start` and `end` (either may be open)."""
    paid = Payment.objects.filter(purchase__payer=customer)
    period = _in_period(start, end)
    totals = paid.aggregate(
        lifetime_value=Sum(NET, default=0),
        first_purchase=Min("created_at"),
        last_purchase=Max("created_at"),
        orders=Count("purchase", distinct=True, filter=period),
        revenue=Sum(NET, filter=period, default=0),
    )
    in_period = paid.filter(period)
    kinds = {
        row["purchase__package__kind"]: row
        for row in in_period.values("purchase__package__kind").annotate(
            orders=Count("purchase", distinct=True), revenue=Sum(NET)
        )
    }
    packages = (
        in_period.values("purchase__package_id", "purchase__package__name", "purchase__package__kind")
        .annotate(orders=Count("purchase", distinct=True), revenue=Sum(NET))
        .order_by("-revenue", "purchase__package__name")
    )
    kind_labels = dict(PackageKind.choices)
    return Loyalty(
        **totals,
        by_kind=[
            Line(label, kinds.get(kind, {}).get("orders", 0), kinds.get(kind, {}).get("revenue", 0))
            for kind, label in PackageKind.choices
        ],
        by_package=[
            Line(
                row["purchase__package__name"],
                row["orders"],
                row["revenue"],
                kind_labels[row["purchase__package__kind"]],
            )
            for row in packages
        ],
    )
