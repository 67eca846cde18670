"""Sales: what the business took, refunded and kept over a period, with charts and CSV/XLSX downloads.
Memberships: every membership of every source, filtered, with its monthly equivalent and a CSV download."""

import csv

from django import forms
from django.core.paginator import Paginator
from django.utils import timezone

from accounts.downloads import Echo, csv_response, safe_cell, table_response
from accounts.money import format_minor, to_major
from accounts.permissions import org_permission
from accounts.tenancy import tenant
from billing.models import STATUS_TONES, ExternalStatus
from billing.report import (
    MEMBERSHIP_STATUSES,
    Period,
    membership_monthly_totals,
    membership_rows,
    membership_source_choices,
    minor_rounded,
    monthly_equivalent,
    sales_by_month_and_package,
    top_customers,
)
from customers.extend import Report, find
from customers.reports import ReportTable, report_query, report_render


@org_permission("reports.view")
def sales(request, org_slug):
    download = request.GET.get("download")
    if download in ("months", "packages"):
        _, query = report_query(request.GET, request.membership, find(Report, "sales"))
        period = Period(query.start, query.end)
        # The months' download skips what only the packages need.
        months, packages = sales_by_month_and_package(period, packages=download == "packages")
        name = f"{request.org.slug}-sales-{download}-{period.start}-{period.end}"
        currency = request.org.currency
        table = (
            _months_table(months, currency) if download == "months" else _packages_table(packages, currency)
        )
        return table_response(name, table.headers, table.rows, file_format=request.GET.get("format", "csv"))
    return report_render(request, "sales", "billing/sales.html", _sales_context)


def _sales_context(query) -> dict:
    period = Period(query.start, query.end)
    currency = query.organization.currency
    months, packages = sales_by_month_and_package(period)
    totals = {key: sum(month[key] for month in months) for key in ("sales", "taken", "refunded", "net")}
    chart = {
        "type": "bar",
        "labels": [month["month"].strftime("%b %Y") for month in months],
        "series": [
            {"label": f"Net ({currency})", "data": [float(to_major(month["net"])) for month in months]},
            {
                "label": f"Refunded ({currency})",
                "data": [float(to_major(month["refunded"])) for month in months],
            },
        ],
    }
    return {
        "period": period,
        "months": months,
        "packages": packages,
        "customers": top_customers(period),
        "totals": totals,
        "chart": chart,
    }


def _months_table(months: list[dict], currency: str) -> ReportTable:
    return ReportTable(
        title="Sales by month",
        headers=["Month", "Payments", "Taken", "Refunded", "Net", "Currency"],
        rows=[[m["month"].strftime("%Y-%m"), m["sales"], *_money(m, currency)] for m in months],
    )


def _packages_table(packages: list[dict], currency: str) -> ReportTable:
    return ReportTable(
        title="Sales by package",
        headers=["Package", "Payments", "Taken", "Refunded", "Net", "Currency"],
        rows=[[p["package"], p["sales"], *_money(p, currency)] for p in packages],
    )


def sales_tables(query) -> list[ReportTable]:
    """Reports → Sales as downloads: by month, by package, the top customers."""
    currency = query.organization.currency
    with timezone.override(query.zone):
        period = Period(query.start, query.end)
        months, packages = sales_by_month_and_package(period)
        customers = ReportTable(
            title="Top customers",
            headers=["Customer", "Payments", "Paid", "Currency"],
            rows=[
                [row["name"], row["sales"], to_major(row["net"]), currency] for row in top_customers(period)
            ],
        )
        return [_months_table(months, currency), _packages_table(packages, currency), customers]


def _money(row: dict, currency: str) -> list:
    return [to_major(row["taken"]), to_major(row["refunded"]), to_major(row["net"]), currency]


MEMBERSHIPS_PER_PAGE = 50
MEMBERSHIP_CSV_HEADER = [
    "Source",
    "Member",
    "Membership",
    "Amount",
    "Currency",
    "Per",
    "Monthly equivalent",
    "Status",
    "Starts on",
    "Ends on",
]


class MembershipFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", required=False, initial=ExternalStatus.ACTIVE)
    source = forms.ChoiceField(label="Source", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any status"), *MEMBERSHIP_STATUSES.items()]
        self.fields["source"].choices = membership_source_choices()
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filters(self) -> dict[str, str]:
        """What to show: the valid filters typed, else active memberships of every source."""
        if self.is_bound and self.is_valid():
            return {"status": self.cleaned_data["status"], "source": self.cleaned_data["source"]}
        return {"status": ExternalStatus.ACTIVE, "source": ""}


def _membership(row: dict) -> dict:
    """A row as the page and the CSV show it: its status's label and pill, its monthly equivalent."""
    per_month = minor_rounded(monthly_equivalent(row["amount"], row["interval"], row["every"]))
    per = row["interval"] if row["every"] == 1 else f"{row['every']} {row['interval']}s"
    return row | {
        "status_label": MEMBERSHIP_STATUSES.get(row["status"], row["status"]),
        "status_tone": STATUS_TONES.get(row["status"], "text-bg-secondary"),
        "per": per,
        "per_month": per_month,
    }


def _membership_cells(row: dict) -> list:
    return [
        row["source_label"],
        row["member_name"],
        row["name"],
        to_major(row["amount"]),
        row["currency"],
        row["per"],
        to_major(row["per_month"]),
        row["status_label"],
        row["starts_on"].isoformat(),
        row["ends_on"].isoformat() if row["ends_on"] else "",
    ]


def membership_tables(query) -> list[ReportTable]:
    """Reports → Memberships as downloads: the active memberships of every source, and what they come to."""
    filters = MembershipFilterForm(None).filters()
    totals = membership_monthly_totals(**filters)
    return [
        ReportTable(
            title="Active memberships",
            headers=MEMBERSHIP_CSV_HEADER,
            rows=[_membership_cells(_membership(row)) for row in membership_rows(**filters)],
        ),
        ReportTable(
            title="Per month",
            headers=["Currency", "Monthly equivalent"],
            rows=[[currency, to_major(total)] for currency, total in totals.items()],
        ),
    ]


def _memberships_csv(organization, rows) -> list:
    writer = csv.writer(Echo())

    def lines():
        # Runs while the response streams, after the request's tenant transaction has ended: enter it again.
        with tenant(organization):
            yield "\ufeff" + writer.writerow(MEMBERSHIP_CSV_HEADER)  # BOM: Excel opens UTF-8 correctly
            for row in map(_membership, rows.iterator(chunk_size=2000)):
                yield writer.writerow([safe_cell(cell) for cell in _membership_cells(row)])

    return lines()


@org_permission("reports.view")
def memberships(request, org_slug):
    form = MembershipFilterForm(request.GET or None)
    filters = form.filters()
    rows = membership_rows(**filters)
    if request.GET.get("download") == "csv":
        name = f"{request.org.slug}-memberships-{timezone.localdate().isoformat()}.csv"
        return csv_response(name, _memberships_csv(request.org, rows))

    def context(query) -> dict:
        page = Paginator(rows, MEMBERSHIPS_PER_PAGE).get_page(request.GET.get("page"))
        totals = membership_monthly_totals(**filters)
        return {
            "form": form,
            "page": page,
            "memberships": [_membership(row) for row in page],
            "totals": [(currency, format_minor(total, currency)) for currency, total in totals.items()],
            # Only when nothing matches: whether there is any membership at all, for what the empty page says.
            "any_membership": bool(page.object_list) or membership_rows().exists(),
        }

    return report_render(request, "memberships", "billing/memberships.html", context)
