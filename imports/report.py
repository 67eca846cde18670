"""Reports → Imports, in SQL: week by week (or month), the imports that ran, how many succeeded or failed and
how many of their rows had errors; the largest imports; the errors met most often."""

from django.db import connection

from customers.reports import ReportQuery, ReportTable
from imports.models import ImportIssue, ImportJob

JOBS = ImportJob._meta.db_table
ISSUES = ImportIssue._meta.db_table
TOP = 10
# Runs that ran: finished, failed, or cancelled after writing a batch (cancelled before one changed nothing).
RAN = "(j.status IN (%s, %s) OR (j.status = %s AND j.processed_rows > 0))"
RAN_PARAMS = [ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.CANCELLED]


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def runs_by_period(query: ReportQuery) -> ReportTable:
    """Only imports that ran (a dry run never started, or a run cancelled before its first batch, is not a
    success or a failure)."""
    start, end = query.bounds()
    found = _rows(
        f"""
        WITH runs AS (
            SELECT date_trunc(%s, j.started_at AT TIME ZONE %s) AS period, count(*) AS runs,
                   count(*) FILTER (WHERE j.status = %s) AS done,
                   count(*) FILTER (WHERE j.status = %s) AS failed,
                   coalesce(sum(j.total_rows), 0) AS row_count, coalesce(sum(j.error_rows), 0) AS errors,
                   coalesce(sum(j.created), 0) AS created, coalesce(sum(j.updated), 0) AS updated
            FROM {JOBS} j
            WHERE j.organization_id = %s AND j.started_at >= %s AND j.started_at < %s AND {RAN}
            GROUP BY 1
        )
        SELECT p.period::date, coalesce(runs.runs, 0), coalesce(runs.done, 0), coalesce(runs.failed, 0),
               coalesce(runs.row_count, 0), coalesce(runs.created, 0), coalesce(runs.updated, 0),
               coalesce(runs.errors, 0)
        FROM generate_series(date_trunc(%s, %s::timestamp), %s::timestamp, ('1 ' || %s)::interval)
            AS p(period)
        LEFT JOIN runs ON runs.period = p.period
        ORDER BY 1
        """,
        [
            query.every,
            str(query.zone),
            ImportJob.Status.DONE,
            ImportJob.Status.FAILED,
            query.organization.pk,
            start,
            end,
            *RAN_PARAMS,
            query.every,
            query.start,
            query.end,
            query.every,
        ],
    )
    label = "%b %Y" if query.every == "month" else "%b %d, %Y"
    rows = [
        [
            period.strftime(label),
            runs,
            done,
            failed,
            _percent(done, runs),
            row_count,
            created,
            updated,
            errors,
            _percent(errors, row_count),
        ]
        for period, runs, done, failed, row_count, created, updated, errors in found
    ]
    chart = {
        "id": "chart-imports",
        "type": "bar",
        "stacked": True,
        "integer": True,
        "labels": [row[0] for row in rows],
        "series": [
            {"label": "Succeeded", "data": [row[2] for row in rows]},
            {"label": "Failed", "data": [row[3] for row in rows]},
            {"label": "Rows with errors (%)", "data": [row[9] for row in rows], "type": "line", "axis": "y2"},
        ],
    }
    return ReportTable(
        title=f"Imports by {query.every}",
        headers=[
            "Week of" if query.every == "week" else "Month",
            "Imports run",
            "Succeeded",
            "Failed",
            "Success rate (%)",
            "Rows",
            "Added",
            "Updated",
            "Rows with errors",
            "Error rate (%)",
        ],
        rows=rows if any(row[1] for row in rows) else [],
        chart=chart,
        note="Imports by the day they started running; a rate is empty in a period without imports.",
        empty="No import ran in this period. Upload a customer list on the Imports page, or choose a longer "
        "period.",
    )


def largest(query: ReportQuery) -> ReportTable:
    start, end = query.bounds()
    found = _rows(
        f"""
        SELECT j.file_name, (j.started_at AT TIME ZONE %s)::date, j.status, coalesce(j.total_rows, 0),
               j.created, j.updated, j.error_rows
        FROM {JOBS} j
        WHERE j.organization_id = %s AND j.started_at >= %s AND j.started_at < %s AND {RAN}
        ORDER BY j.total_rows DESC NULLS LAST, j.started_at DESC
        LIMIT %s
        """,
        [str(query.zone), query.organization.pk, start, end, *RAN_PARAMS, TOP],
    )
    statuses = dict(ImportJob.Status.choices)
    rows = [
        [name, f"{day:%b} {day.day}, {day.year}", statuses.get(status, status), *counts]
        for name, day, status, *counts in found
    ]
    return ReportTable(
        title="Largest imports",
        headers=["File", "Started", "Status", "Rows", "Added", "Updated", "Rows with errors"],
        rows=rows,
        note=f"The {TOP} imports with the most rows that ran in the period.",
        empty="No import ran in this period.",
    )


def frequent_errors(query: ReportQuery) -> ReportTable:
    start, end = query.bounds()
    found = _rows(
        f"""
        SELECT i.message, count(*), count(DISTINCT i.job_id)
        FROM {ISSUES} i JOIN {JOBS} j ON j.organization_id = i.organization_id AND j.id = i.job_id
        WHERE i.organization_id = %s AND j.started_at >= %s AND j.started_at < %s AND {RAN}
        GROUP BY i.message
        ORDER BY 2 DESC, 1
        LIMIT %s
        """,
        [query.organization.pk, start, end, *RAN_PARAMS, TOP],
    )
    return ReportTable(
        title="Most frequent errors",
        headers=["Error", "Rows", "Imports"],
        rows=[list(row) for row in found],
        note="What made rows fail in the imports of the period, most frequent first.",
        empty="No row had an error in the imports of this period.",
    )


def import_tables(query: ReportQuery) -> list[ReportTable]:
    return [runs_by_period(query), largest(query), frequent_errors(query)]
