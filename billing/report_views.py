"""Sales: what the business took, refunded and kept over a period, with charts and CSV/XLSX downloads.
Memberships: every membership of every source, filtered, with its monthly equivalent and a CSV download."""

import csv

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
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

MAX_MONTHS = 120  # a chart and a table of one row per month
DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=DATE)
    end = forms.DateField(label="To", widget=DATE)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        for name, day in (("start", start), ("end", end)):
            if day and not 1900 <= day.year <= 2999:
                self.add_error(name, "Enter a date between 1900 and 2999.")
        if start and end and end < start:
            self.add_error("end", "The period has to end after it starts.")
        elif start and end and (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
            self.add_error("end", f"Choose at most {MAX_MONTHS // 12} years, month by month.")
        return data


def _period(request) -> tuple[PeriodForm, Period]:
    default = Period.last_twelve_months(timezone.localdate())
    form = PeriodForm(request.GET or None, initial={"start": default.start, "end": default.end})
    if form.is_bound and form.is_valid():
        return form, Period(form.cleaned_data["start"], form.cleaned_data["end"])
    return form, default


@org_permission("reports.view")
def sales(request, org_slug):
    form, period = _period(request)
    currency = request.org.currency
    download = request.GET.get("download")
    # The months' download skips what only the packages need.
    months, packages = sales_by_month_and_package(period, packages=download != "months")
    if download in ("months", "packages"):
        name = f"{request.org.slug}-sales-{download}-{period.start}-{period.end}"
        if download == "months":
            header = ["Month", "Payments", "Taken", "Refunded", "Net", "Currency"]
            rows = [[m["month"].strftime("%Y-%m"), m["sales"], *_money(m, currency)] for m in months]
        else:
            header = ["Package", "Payments", "Taken", "Refunded", "Net", "Currency"]
            rows = [[p["package"], p["sales"], *_money(p, currency)] for p in packages]
        return table_response(name, header, rows, file_format=request.GET.get("format", "csv"))
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
    context = {
        "form": form,
        "period": period,
        "months": months,
        "packages": packages,
        "customers": top_customers(period),
        "totals": totals,
        "chart": chart,
        "query": request.GET.urlencode(),
    }
    return render(request, "billing/sales.html", context)


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


def _memberships_csv(organization, rows) -> list:
    writer = csv.writer(Echo())

    def lines():
        # Runs while the response streams, after the request's tenant transaction has ended: enter it again.
        with tenant(organization):
            yield "\ufeff" + writer.writerow(MEMBERSHIP_CSV_HEADER)  # BOM: Excel opens UTF-8 correctly
            for row in map(_membership, rows.iterator(chunk_size=2000)):
                cells = [
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
                yield writer.writerow([safe_cell(cell) for cell in cells])

    return lines()


@org_permission("reports.view")
def memberships(request, org_slug):
    form = MembershipFilterForm(request.GET or None)
    filters = form.filters()
    rows = membership_rows(**filters)
    if request.GET.get("download") == "csv":
        name = f"{request.org.slug}-memberships-{timezone.localdate().isoformat()}.csv"
        return csv_response(name, _memberships_csv(request.org, rows))
    page = Paginator(rows, MEMBERSHIPS_PER_PAGE).get_page(request.GET.get("page"))
    totals = membership_monthly_totals(**filters)
    context = {
        "form": form,
        "page": page,
        "memberships": [_membership(row) for row in page],
        "totals": [(currency, format_minor(total, currency)) for currency, total in totals.items()],
        # Only when nothing matches: whether there is any membership at all, for what the empty page says.
        "any_membership": bool(page.object_list) or membership_rows().exists(),
        "query": request.GET.urlencode(),
    }
    return render(request, "billing/memberships.html", context)
