"""The sales report's reads: money taken, refunded and kept over a period, by month, by package and by
customer. Each is one grouped query over the organization's payments (or refunds) in the period, which carry
their purchase's package and payer: a million payments are never joined to their purchases."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing.models import Package, Payment, Refund
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
