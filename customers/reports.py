"""What every report is asked for (a period in the organization's time zone, grouped by week or month, over
a population: everyone, or a saved segment as the staff member sees it) and what it answers: its tables. Also
the shell every report's view calls: the controls' form read from a query string (or a saved dict, for
scheduled reports), the Reports tabs, and the CSV / XLSX downloads built from `report.tables(query)`."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html import escape  # django.utils.html.escape without its lazy-text wrapper: ~450 cells a page
from typing import Literal
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.text import slugify

from accounts.downloads import table_response, workbook_response
from accounts.permissions import has_permission
from customers.extend import Report, find, registered
from customers.models import Customer, Segment
from customers.segments import segments_for
from customers.selectors import matching_queryset

MAX_DAYS = 5 * 366  # a range of at most five years keeps every chart readable and every query bounded
PRESETS = {
    "last_week": "Last week",
    "last_month": "Last month",
    "last_30_days": "Last 30 days",
    "this_month": "This month",
    "last_12_months": "Last 12 months",
    "this_year": "This year",
    "custom": "Custom",
}
DEFAULT_RANGE, DEFAULT_EVERY = "last_12_months", "month"


@dataclass(frozen=True)
class ReportQuery:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    every: Literal["week", "month"]
    membership: object  # the staff member's Membership: a segment's filters are read as they see them
    segment: Segment | None = None

    @property
    def organization(self):
        return self.membership.organization

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.organization.time_zone)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as moments: from the start day's midnight to the midnight after the end day, locally."""
        return (
            datetime.combine(self.start, time.min, self.zone),
            datetime.combine(self.end + timedelta(days=1), time.min, self.zone),
        )

    def population(self) -> QuerySet:
        """The customers the report is about: the segment's, as its roster view selects them, or everyone."""
        if self.segment is None:
            return Customer.objects.all()
        return matching_queryset(QueryDict(self.segment.query), self.membership)

    def as_dict(self, range_key: str = "custom") -> dict:
        """What a scheduled report keeps: a preset stays a preset, so "last 30 days" moves with time."""
        dates = (
            {"start": self.start.isoformat(), "end": self.end.isoformat()} if range_key == "custom" else {}
        )
        segment = {"segment": str(self.segment.pk)} if self.segment else {}
        return {"range": range_key, "every": self.every} | dates | segment


@dataclass(frozen=True)
class ReportTable:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    # For the page only, never in downloads: a chart spec (static/metrics/charts.js), what to say when empty.
    chart: dict | None = None
    empty: str = ""
    note: str = ""

    def body_html(self) -> SafeString:
        """The rows as the page shows them, in one pass of Python (a year by week is ~450 cells, which the
        template engine and intcomma drew in a third of the page's time): the first cell heads its row,
        numbers are grouped with commas, a missing one is a dash, text is escaped."""
        return SafeString(
            "".join(
                f'<tr><th scope="row" class="fw-normal">{escape(str(label))}</th>'
                + "".join(f'<td class="text-end">{_cell(cell)}</td>' for cell in cells)
                + "</tr>"
                for label, *cells in self.rows
            )
        )


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float | Decimal):
        return f"{value:,}"
    return escape(str(value))


def today_in(zone: ZoneInfo) -> date:
    return datetime.now(zone).date()


def preset_dates(range_key: str, today: date) -> tuple[date, date]:
    if range_key == "last_week":  # Monday to Sunday before this week
        monday = today - timedelta(days=today.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if range_key == "last_month":
        last_day = today.replace(day=1) - timedelta(days=1)
        return last_day.replace(day=1), last_day
    if range_key == "last_30_days":
        return today - timedelta(days=29), today
    if range_key == "this_month":
        return today.replace(day=1), today
    if range_key == "this_year":
        return today.replace(month=1, day=1), today
    index = today.year * 12 + today.month - 1 - 11  # last 12 months: this month and the eleven before
    return date(index // 12, index % 12 + 1, 1), today


DATE = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d")


class ReportForm(forms.Form):
    range = forms.ChoiceField(label="Period", choices=PRESETS.items(), required=False)
    start = forms.DateField(label="From", widget=DATE, required=False)
    end = forms.DateField(label="To", widget=DATE, required=False)
    every = forms.ChoiceField(label="By", choices=[("week", "Week"), ("month", "Month")], required=False)
    segment = forms.ModelChoiceField(label="Customers", queryset=None, required=False, empty_label="Everyone")

    def __init__(self, data, *, membership, controls=("range", "every", "segment")):
        super().__init__(data)
        self.membership = membership
        self.fields["segment"].queryset = segments_for(membership)
        for name in list(self.fields):
            if not ({name} & set(controls) or (name in ("start", "end") and "range" in controls)):
                del self.fields[name]
        for name in ("range", "every", "segment"):
            if name in self.fields:
                self.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if "range" not in self.fields:
            return data
        if not data.get("range") and (start or end or "start" in self.errors or "end" in self.errors):
            data["range"] = "custom"  # ?start=…&end=… alone, as the Sales report's links had it
        if data.get("range") != "custom":
            return data
        for name, day in (("start", start), ("end", end)):
            if day and not 1900 <= day.year <= 2999:
                self.add_error(name, "Enter a date between 1900 and 2999.")
            elif day is None and name not in self.errors:
                self.add_error(name, "Enter a date.")
        if start and end and end < start:
            self.add_error("end", "The period has to end after it starts.")
        elif start and end and (end - start).days >= MAX_DAYS:
            self.add_error("end", "Choose at most 5 years.")
        return data

    def query(self) -> ReportQuery:
        """The valid parts of what was asked, each field's default where it was wrong (its error shows)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        zone = ZoneInfo(self.membership.organization.time_zone)
        self.range_key = data.get("range") or DEFAULT_RANGE
        if self.range_key == "custom" and {"start", "end"} & set(self.errors):
            self.range_key = DEFAULT_RANGE
        if self.range_key == "custom":
            start, end = data["start"], data["end"]
        else:
            start, end = preset_dates(self.range_key, today_in(zone))
        return ReportQuery(
            start=start,
            end=end,
            every=data.get("every") or DEFAULT_EVERY,
            membership=self.membership,
            segment=data.get("segment"),
        )


def report_query(
    data: dict | QueryDict, membership, report: Report | None = None
) -> tuple[ReportForm, ReportQuery]:
    """The form and the query for `data` (a request's GET, or a scheduled report's saved dict)."""
    controls = report.controls if report else ("range", "every", "segment")
    form = ReportForm(data, membership=membership, controls=controls)
    return form, form.query()


def reports_for(membership) -> list[Report]:
    """The Reports tabs this staff member may open."""
    return [report for report in registered(Report) if has_permission(membership, report.permission)]


def report_tabs(request) -> list[tuple[Report, str]]:
    """The Reports tabs with their URLs, as every report page and the scheduled reports draw them."""
    return [
        (item, reverse(item.url_name, kwargs={"org_slug": request.org.slug}))
        for item in reports_for(request.membership)
    ]


def report_namespaces() -> set[str]:
    return {"reports", "reports_scheduled"} | {report.url_name.split(":")[0] for report in registered(Report)}


def _sheet_name(title: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"  # Excel's limit and forbidden marks
    base, number = name, 2
    while name.lower() in taken:
        name, number = f"{base[:27]} {number}", number + 1
    taken.add(name.lower())
    return name


def report_file_name(report: Report, query: ReportQuery, table: ReportTable | None = None) -> str:
    """A download's name without its extension: the workbook's, or one table's CSV."""
    name = f"{query.organization.slug}-{report.key}-{query.start}-{query.end}"
    return f"{name}-{slugify(table.title)[:40]}" if table else name


def report_download(report: Report, query: ReportQuery, file_format: str, table: str | None) -> HttpResponse:
    """`?format=csv` (one table, `&table=N`, the first by default) or `?format=xlsx` (a sheet per table)."""
    tables = report.tables(query)
    name = report_file_name(report, query)
    if file_format == "xlsx":
        taken: set[str] = set()
        sheets = [(_sheet_name(item.title, taken), item.headers, item.rows) for item in tables]
        return workbook_response(name, sheets)
    number = int(table) if table and table.isdigit() and int(table) < len(tables) else 0
    chosen = tables[number]
    return table_response(
        report_file_name(report, query, chosen), chosen.headers, chosen.rows, file_format="csv"
    )


def report_render(request, key: str, template: str, build=None) -> HttpResponse:
    """What every report's view ends with: a download when `?format=` asks for one, else its page inside the
    shell (tabs, controls, download buttons), with what `build(query)` adds to the context."""
    report = find(Report, key)
    form, query = report_query(request.GET, request.membership, report)
    file_format = request.GET.get("format")
    if file_format in ("csv", "xlsx"):
        if form.errors:
            return HttpResponse("Fix the report's period or segment first.", status=400)
        return report_download(report, query, file_format, request.GET.get("table"))
    params = request.GET.copy()
    for name in ("format", "table"):
        params.pop(name, None)
    context = {
        "report": report,
        "reports": report_tabs(request),
        "form": form,
        "query": query,
        "params": params.urlencode(),
    }
    return render(request, template, context | (build(query) if build else {}))
