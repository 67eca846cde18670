"""The sales report's reads: money taken, refunded and kept over a period, by month, by package and by
customer. Each is one grouped query over the organization's payments (or refunds) in the period."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing.models import Payment, Refund


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


def by_month(period: Period) -> list[dict]:
    """[{month, sales, taken, refunded, net}] for every month of the period, empty months included."""
    zone = timezone.get_current_timezone()
    taken = {
        row["month"].date(): row
        for row in _payments(period)
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("month")
        .annotate(sales=Count("id"), taken=Sum("amount"))
    }
    refunded = {
        row["month"].date(): row["refunded"]
        for row in _refunds(period)
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("month")
        .annotate(refunded=Sum("amount"))
    }
    rows = []
    for month in period.months():
        sales = taken.get(month, {})
        amount, back = sales.get("taken") or 0, refunded.get(month) or 0
        rows.append(
            {
                "month": month,
                "sales": sales.get("sales", 0),
                "taken": amount,
                "refunded": back,
                "net": amount - back,
            }
        )
    return rows


def by_package(period: Period) -> list[dict]:
    """[{package, sales, taken, refunded, net}], the best-selling (by money kept) first."""
    refunded = dict(
        _refunds(period)
        .values("payment__purchase__package")
        .annotate(total=Sum("amount"))
        .values_list("payment__purchase__package", "total")
    )
    rows = [
        {
            "package": row["purchase__package__name"],
            "sales": row["sales"],
            "taken": row["taken"],
            "refunded": refunded.get(row["purchase__package"], 0),
        }
        for row in _payments(period)
        .values("purchase__package", "purchase__package__name")
        .annotate(sales=Count("id"), taken=Sum("amount"))
    ]
    for row in rows:
        row["net"] = row["taken"] - row["refunded"]
    return sorted(rows, key=lambda row: (-row["net"], row["package"]))


def top_customers(period: Period, limit: int = 10) -> list[dict]:
    """The customers who paid the most in the period (what they paid, refunds of those payments taken off)."""
    return list(
        _payments(period)
        .exclude(purchase__payer=None)
        .values("purchase__payer", "purchase__payer_label")
        .annotate(sales=Count("id"), net=Sum(F("amount") - F("refunded")))
        .order_by("-net", "purchase__payer_label")[:limit]
    )
