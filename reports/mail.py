"""What one run of a scheduled report sends: the report's tables as its creator sees them, one email per
recipient who may still read it, each table attached as the same CSV its page's button downloads."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

from accounts.downloads import csv_lines
from accounts.models import Membership
from accounts.permissions import has_permission
from customers.extend import Report, find
from customers.reports import ReportQuery, report_file_name, report_query, today_in
from invites.mail import unlinkable
from reports.models import ScheduledReport, ScheduledReportRecipient


@dataclass
class RunMessages:
    messages: list[EmailMessage] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # who was left out, and why
    pause_reason: str = ""  # set when the schedule cannot run at all


def day_label(day) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def period_label(report: Report, query: ReportQuery) -> str:
    if "range" not in report.controls:
        return f"as of {day_label(today_in(query.zone))}"
    return f"{day_label(query.start)} – {day_label(query.end)}"


def _creator(schedule: ScheduledReport, report: Report | None) -> tuple[Membership | None, str]:
    """The creator's membership, or why the schedule cannot run as them."""
    if report is None:
        return None, "This report no longer exists."
    creator = Membership.objects.filter(user_id=schedule.created_by_id).select_related("user").first()
    if creator is None:
        return None, "Paused because the staff member who scheduled it left the organization."
    if not has_permission(creator, report.permission):
        return None, f"Paused because {creator.user.email} may no longer read this report."
    return creator, ""


def _body(schedule: ScheduledReport, report: Report, query: ReportQuery, creator: Membership, tables) -> str:
    organization = query.organization
    link = settings.SITE_URL + reverse(report.url_name, kwargs={"org_slug": organization.slug})
    if report.controls:
        link += "?" + urlencode(query.as_dict())
    scheduled = settings.SITE_URL + reverse("reports_scheduled:list", kwargs={"org_slug": organization.slug})
    population = f", customers in the segment “{unlinkable(query.segment.name)}”" if query.segment else ""
    period = period_label(report, query)
    when = f"{schedule.when()} ({organization.time_zone})"
    lines = [
        f"The {report.label} report of {unlinkable(organization.name)}, {period}{population}.",
        f"Attached: {', '.join(table.title for table in tables)} (one CSV file each)." if tables else "",
        "",
        f"Open the report: {link}",
        "",
        f"Scheduled by {unlinkable(creator.user.display_name)}: {when}.",
        f"Change or stop it: {scheduled}",
    ]
    return "\n".join(lines) + "\n"


def run_messages(schedule: ScheduledReport) -> RunMessages:
    """The emails of one run, who is skipped, or why the schedule has to pause."""
    report = find(Report, schedule.report_key)
    creator, reason = _creator(schedule, report)
    if creator is None:
        return RunMessages(pause_reason=reason)
    form, query = report_query(schedule.query, creator, report)
    if form.errors:
        problems = "; ".join(f"{error}" for errors in form.errors.values() for error in errors)
        return RunMessages(pause_reason=f"Paused because its saved settings no longer work: {problems}"[:300])
    run = RunMessages()
    recipients = []
    rows = ScheduledReportRecipient.objects.filter(schedule=schedule).select_related("membership__user")
    for row in rows.order_by("email"):
        if row.membership is None:
            run.skipped.append(f"{row.email} left the organization")
        elif not has_permission(row.membership, report.permission):
            run.skipped.append(f"{row.membership.user.email} may no longer read reports")
        else:
            recipients.append(row.membership.user.email)
    tables = report.tables(query)
    body = _body(schedule, report, query, creator, tables)
    attachments = [
        (f"{report_file_name(report, query, table)}.csv", "".join(csv_lines(table.headers, table.rows)))
        for table in tables
    ]
    for email in recipients:
        message = EmailMessage(
            subject=f"{report.label} — {period_label(report, query)}", body=body, to=[email]
        )
        for name, content in attachments:
            message.attach(name, content, "text/csv")
        run.messages.append(message)
    return run
