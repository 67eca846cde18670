"""Reports → Metrics: how current values spread across active customers, and what was measured month by
month; each as a chart, a table and a CSV."""

import csv

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify

from accounts.downloads import Echo, csv_lines, csv_response, safe_cell
from accounts.permissions import has_permission, org_permission
from accounts.tenancy import tenant
from customers.reports import ReportQuery, ReportTable, report_render
from metrics.models import Metric
from metrics.selectors import current_values, distribution, get_metric_for_org, report_index, summary, trend


def _metrics() -> list[Metric]:
    return list(Metric.objects.filter(archived_at=None).order_by("position", "name"))


@org_permission("reports.view")
def report_list(request, org_slug):
    return report_render(
        request, "metrics", "metrics/reports.html", lambda query: {"rows": report_index(_metrics())}
    )


def _trend_rows(metric: Metric) -> list[dict]:
    months = trend(metric)
    for month in months:
        month["label"] = date_format(month["month"], "M Y")
        month["average_text"] = metric.format(month["average"]) if month["average"] is not None else "—"
    return months


@org_permission("reports.view")
def report(request, org_slug, pk):
    metric = get_metric_for_org(pk)
    stats = summary(metric)
    buckets = distribution(metric, stats)
    months = _trend_rows(metric)
    context = {
        "metric": metric,
        "stats": stats,
        "buckets": buckets,
        "months": months,
        "statistics": [
            ("Lowest", metric.format(stats["low"])),
            ("Median", metric.format(stats["median"])),
            ("Average", metric.format(stats["mean"])),
            ("Highest", metric.format(stats["high"])),
        ],
        "distribution_chart": {
            "type": "bar",
            "labels": [bucket["label"] for bucket in buckets],
            "series": [{"label": "Customers", "data": [bucket["customers"] for bucket in buckets]}],
            "integer": True,
        },
        "trend_chart": {
            "type": "bar",
            "labels": [month["label"] for month in months],
            "series": [
                {"label": "Values recorded", "data": [month["entries"] for month in months]},
                {"label": "Customers measured", "data": [month["customers"] for month in months]},
                {
                    "label": f"Average {metric.name}",
                    "data": [month["average"] for month in months],
                    "type": "line",
                    "axis": "y2",
                },
            ],
            "formatted": [None, None, [month["average_text"] for month in months]],
            "integer": True,
        },
    }
    return report_render(request, "metrics", "metrics/report.html", lambda query: context)


def metric_tables(query: ReportQuery) -> list[ReportTable]:
    """Reports → Metrics as downloads: every metric's figures, then each one's last 12 months."""
    with timezone.override(query.zone):
        metrics = _metrics()
        index = ReportTable(
            title="Metrics",
            headers=["Metric", "Kind", "Active customers with a value", "Last measured"],
            rows=[
                [
                    row["metric"].name,
                    row["metric"].kind_display,
                    row["customers"],
                    row["last"].isoformat() if row["last"] else "",
                ]
                for row in report_index(metrics)
            ],
        )
        headers = ["Month", "Values recorded", "Customers measured", "Average"]
        return [index] + [
            ReportTable(
                title=metric.name,
                headers=headers,
                rows=[
                    [
                        month["month"].strftime("%Y-%m"),
                        month["entries"],
                        month["customers"],
                        month["average_text"],
                    ]
                    for month in _trend_rows(metric)
                ],
            )
            for metric in metrics
        ]


def _filename(metric: Metric, what: str) -> str:
    return f"{slugify(metric.name) or 'metric'}-{what}-{timezone.localdate().isoformat()}.csv"


@org_permission("reports.view")
def distribution_csv(request, org_slug, pk):
    metric = get_metric_for_org(pk)
    buckets = distribution(metric, summary(metric))
    rows = [[metric.name, bucket["label"], bucket["customers"]] for bucket in buckets]
    lines = csv_lines(["Metric", "Current value", "Customers"], rows)
    return csv_response(_filename(metric, "distribution"), lines)


@org_permission("reports.view")
def trend_csv(request, org_slug, pk):
    metric = get_metric_for_org(pk)
    rows = [
        [
            metric.name,
            month["month"].strftime("%Y-%m"),
            month["entries"],
            month["customers"],
            month["average_text"],
        ]
        for month in _trend_rows(metric)
    ]
    lines = csv_lines(["Metric", "Month", "Values recorded", "Customers measured", "Average"], rows)
    return csv_response(_filename(metric, "trend"), lines)


def _value_lines(organization, metric: Metric):
    # Streams after the request's tenant transaction has ended: enter the organization again.
    writer = csv.writer(Echo())
    with tenant(organization), timezone.override(organization.time_zone):
        yield "\ufeff" + writer.writerow(
            ["Customer", "Metric", "Current value", "Measured on", "Recorded by", "Comment"]
        )
        entries = (
            current_values(metric)
            .select_related("customer", "recorded_by")
            .order_by("customer__last_key", "customer__first_key", "customer_id")
        )
        for entry in entries.iterator(chunk_size=2000):
            row = [
                entry.customer.full_name,
                metric.name,
                metric.format(entry.value),
                entry.recorded_on.isoformat(),
                entry.recorded_by.display_name if entry.recorded_by else "",
                entry.comment,
            ]
            yield writer.writerow([safe_cell(cell) for cell in row])


@org_permission("reports.view")
def values_csv(request, org_slug, pk):
    """Each active customer's current value: customer data, so also only for roles that may export."""
    if not has_permission(request.membership, "customers.export"):
        raise PermissionDenied("Your role may not export customers (customers.export).")
    metric = get_metric_for_org(pk)
    return csv_response(_filename(metric, "values"), _value_lines(request.org, metric))
