"""The reports' reads. Sales: money taken, refunded and kept over a period, by month, by package and by
customer; each is one grouped query over the organization's payments (or refunds) in the period, which carry
their purchase's package and payer: a million payments are never joined to their purchases. Memberships:
every source of memberships (external subscriptions, then Roster's own) as rows of one shape, one table."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import CharField, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Concat, TruncDate, TruncMonth
from django.utils import timezone

from billing.models import (
    ExternalStatus,
    ExternalSubscription,
    Package,
    Payment,
    Refund,
    Subscription,
    SubscriptionStatus,
)
from customers.models import Customer


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @classmethod
    def last_twelve_months(cls, today: date) -> "Period":
        """This month and the eleven before it, up to today."""
        index = today.year * 12 + today.month - 1 - 11
        return cls(date(index // 12, index % 12 + 1, 1), today)

    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, zone),
            datetime.combine(self.end + timedelta(days=1), time.min, zone),
        )

    def months(self) -> list[date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months


def _payments(period: Period):
    start, end = period.bounds()
    return Payment.objects.filter(created_at__gte=start, created_at__lt=end)


def _refunds(period: Period):
    start, end = period.bounds()
    return Refund.objects.filter(created_at__gte=start, created_at__lt=end)


def sales_by_month_and_package(period: Period, *, packages: bool = True) -> tuple[list[dict], list[dict]]:
    """[{month, sales, taken, refunded, net}] for every month of the period, empty months included, and
    [{package, sales, taken, refunded, net}], the best-selling (by money kept) first, or [] without
    `packages`: from one grouped query over the period's payments and one over its refunds."""
    zone = timezone.get_current_timezone()
    payments = _payments(period).annotate(month=TruncMonth("created_at", tzinfo=zone))
    refunds = _refunds(period).annotate(month=TruncMonth("created_at", tzinfo=zone))
    keys = ["month"]
    if packages:
        keys.append("package")
        # Each refund's package looked up by its payment's key: a join would read every payment to hash them.
        refunds = refunds.annotate(
            package=Subquery(Payment.objects.filter(pk=OuterRef("payment_id")).values("package"))
        )
    months = {month: {"month": month, "sales": 0, "taken": 0, "refunded": 0} for month in period.months()}
    by_package = {}
    for month, *package, sales, taken in payments.values_list(*keys).annotate(
        sales=Count("*"), taken=Sum("amount")
    ):
        rows = [months[month.date()]]
        if package:
            rows.append(by_package.setdefault(package[0], {"sales": 0, "taken": 0, "refunded": 0}))
        for row in rows:
            row["sales"] += sales
            row["taken"] += taken
    for month, *package, refunded in refunds.values_list(*keys).annotate(refunded=Sum("amount")):
        months[month.date()]["refunded"] += refunded
        if package and package[0] in by_package:  # a package is listed for what was paid for it in the period
            by_package[package[0]]["refunded"] += refunded
    names = dict(Package.objects.filter(pk__in=by_package).values_list("pk", "name"))
    for package, row in by_package.items():
        row["package"] = names[package]
    for row in [*months.values(), *by_package.values()]:
        row["net"] = row["taken"] - row["refunded"]
    return list(months.values()), sorted(by_package.values(), key=lambda row: (-row["net"], row["package"]))


def top_customers(period: Period, limit: int = 10) -> list[dict]:
    """[{payer, name, sales, net}]: the customers who paid the most in the period (what they paid, refunds of
    those payments taken off)."""
    rows = list(
        _payments(period)
        .exclude(payer=None)
        .values("payer")
        .annotate(sales=Count("*"), net=Sum(F("amount") - F("refunded")))
        .order_by("-net", "payer")[:limit]
    )
    names = {
        customer.pk: customer.full_name
        for customer in Customer.objects.filter(pk__in=[r["payer"] for r in rows])
    }
    return [row | {"name": names.get(row["payer"], "")} for row in rows]


# Memberships: each source gives its rows, filtered, with the columns below under these names; the report
# unions them: Roster's own (billed by Stripe) and those managed elsewhere.

MEMBERSHIP_COLUMNS = (
    "source",
    "source_label",
    "row_id",
    "customer_id",
    "member_name",
    "name",
    "amount",
    "currency",
    "interval",
    "every",
    "status",
    "starts_on",
    "ends_on",
)
MEMBERSHIP_STATUSES: dict[str, str] = dict(SubscriptionStatus.choices) | dict(ExternalStatus.choices)
del MEMBERSHIP_STATUSES[SubscriptionStatus.INCOMPLETE]
# What one payment is worth per month, by how often it is paid ("week": memberships renewing every N weeks).
PER_MONTH = {"month": Fraction(1), "year": Fraction(1, 12), "week": Fraction(52, 12)}


def _external_memberships(*, status: str, detail: str) -> QuerySet:
    """External subscriptions, of one provider when `detail` names it."""
    rows = ExternalSubscription.objects.all()
    if status:
        rows = rows.filter(status=status)
    if detail:
        rows = rows.filter(provider=detail)
    return rows.annotate(
        source=Value("external", output_field=CharField()),
        source_label=Concat(Value("External · "), "provider", output_field=CharField()),
        row_id=F("id"),
        member_name=Concat(
            "customer__first_name", Value(" "), "customer__last_name", output_field=CharField()
        ),
        every=Value(1, output_field=IntegerField()),
    )


def _roster_memberships(*, status: str, detail: str) -> QuerySet:
    """Memberships sold here and billed by Stripe (their price with tax, every N periods), but not one whose
    first charge is still being made."""
    rows = Subscription.objects.exclude(status=SubscriptionStatus.INCOMPLETE)
    if status:
        rows = rows.filter(status=status)
    return rows.annotate(
        source=Value("roster", output_field=CharField()),
        source_label=Value("Roster · Stripe", output_field=CharField()),
        row_id=F("id"),
        customer_id=F("member_id"),
        member_name=F("member_label"),
        name=F("package__name"),
        amount=F("price") + F("tax"),
        every=F("interval_count"),
        starts_on=TruncDate("created_at"),
        ends_on=TruncDate(Coalesce("cancelled_at", "cancel_at")),
    )


MEMBERSHIP_SOURCES: dict[str, Callable[..., QuerySet]] = {
    "roster": _roster_memberships,
    "external": _external_memberships,
}


def _sources(status: str, source: str) -> list[QuerySet]:
    """Each source's rows the filters keep: `source` is "" (all), a source's key, or "key:detail"."""
    key, _, detail = source.partition(":")
    return [
        rows(status=status, detail=detail) for name, rows in MEMBERSHIP_SOURCES.items() if key in ("", name)
    ]


def membership_rows(*, status: str = "", source: str = "") -> QuerySet:
    """Every membership of every source the filters keep, as dicts of MEMBERSHIP_COLUMNS, the latest start
    first: one query (a UNION ALL of the sources), which pages and counts like any queryset."""
    parts = [rows.values(*MEMBERSHIP_COLUMNS) for rows in _sources(status, source)]
    if not parts:
        return ExternalSubscription.objects.none().values()
    first, *others = parts
    rows = first.union(*others, all=True) if others else first
    return rows.order_by("-starts_on", "source", "-row_id")


def monthly_equivalent(amount: int, interval: str, every: int = 1) -> Fraction:
    """What `amount` paid every `every` `interval`s comes to per month, in minor units."""
    return amount * PER_MONTH[interval] / every


def minor_rounded(value: Fraction) -> int:
    """A fraction of minor units rounded half up to a whole one."""
    return int((Decimal(value.numerator) / value.denominator).quantize(Decimal(1), ROUND_HALF_UP))


def membership_monthly_totals(*, status: str = "", source: str = "") -> dict[str, int]:
    """{currency: what the memberships the filters keep come to per month, in minor units}: a yearly one
    counts a twelfth of its amount, a weekly one 52/12 of it. One grouped query per source."""
    totals: dict[str, Fraction] = defaultdict(Fraction)
    for rows in _sources(status, source):
        grouped = rows.values("currency", "interval", "every").annotate(total=Sum("amount")).order_by()
        for group in grouped:
            totals[group["currency"]] += monthly_equivalent(group["total"], group["interval"], group["every"])
    return {currency: minor_rounded(total) for currency, total in sorted(totals.items())}


def membership_source_choices() -> list[tuple[str, str]]:
    """The Memberships report's source filter: each source, and each external provider (one index scan)."""
    providers = (
        ExternalSubscription.objects.order_by("provider").values_list("provider", flat=True).distinct()
    )
    return [
        ("", "All sources"),
        ("roster", "Roster · Stripe"),
        ("external", "External (any provider)"),
        *((f"external:{provider}", f"External · {provider}") for provider in providers),
    ]
