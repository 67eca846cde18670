"""Sales: what the business took, refunded and kept over a period, with charts and CSV/XLSX downloads."""

from django import forms
from django.shortcuts import render
from django.utils import timezone

from accounts.downloads import table_response
from accounts.money import to_major
from accounts.permissions import org_permission
from billing.report import Period, sales_by_month_and_package, top_customers

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
