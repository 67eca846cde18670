"""Scheduled reports: made, changed, paused, resumed, deleted and sent now (each in the audit log), and each
run: claimed in the database first (its next_run_at moved on under a row lock), then emailed outside any
transaction, so neither a retried task nor a second beat sends one slot twice."""

import smtplib

from django.core.mail import mailers
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import Membership, Organization, User
from accounts.tenancy import required_organization, tenant
from reports.mail import RunMessages, run_messages
from reports.models import ScheduledReport, ScheduledReportAudit, ScheduledReportRecipient
from reports.timing import next_run

FIELDS = ["report_key", "query", "frequency", "weekday", "day_of_month", "hour"]


def _next_run_at(schedule: ScheduledReport, after=None):
    return next_run(
        frequency=schedule.frequency,
        weekday=schedule.weekday,
        day_of_month=schedule.day_of_month,
        hour=schedule.hour,
        zone=schedule.organization.time_zone,
        after=after or timezone.now(),
    )


def _recipients_set(schedule: ScheduledReport, recipients: list[Membership]) -> list[str]:
    """Keep exactly `recipients` (forgetting those who left); returns who was added or removed."""
    rows = ScheduledReportRecipient.objects.filter(schedule=schedule)
    before = set(rows.exclude(membership=None).values_list("email", flat=True))
    rows.filter(membership=None).delete()
    schedule.recipients.set(recipients, through_defaults={"organization": schedule.organization})
    for membership in recipients:  # the address to name them by if they leave
        rows.filter(membership=membership).update(email=membership.user.email)
    after = {membership.user.email for membership in recipients}
    return [f"+{email}" for email in sorted(after - before)] + [
        f"-{email}" for email in sorted(before - after)
    ]


@transaction.atomic
def scheduled_report_create(
    *,
    report_key: str,
    query: dict,
    frequency: str,
    weekday: int | None,
    day_of_month: int | None,
    hour: int,
    recipients: list[Membership],
    by: User,
) -> ScheduledReport:
    schedule = ScheduledReport(
        organization=required_organization("A scheduled report made"),
        report_key=report_key,
        query=query,
        frequency=frequency,
        weekday=weekday,
        day_of_month=day_of_month,
        hour=hour,
        created_by=by,
    )
    schedule.next_run_at = _next_run_at(schedule)
    schedule.save()
    _recipients_set(schedule, recipients)
    audit_record(
        action=ScheduledReportAudit.CREATED,
        by=by,
        target=schedule.report_key,
        detail=f"{schedule.when()}, to {', '.join(sorted(member.user.email for member in recipients))}",
    )
    return schedule


@transaction.atomic
def scheduled_report_update(
    *,
    schedule: ScheduledReport,
    query: dict,
    frequency: str,
    weekday: int | None,
    day_of_month: int | None,
    hour: int,
    recipients: list[Membership],
    by: User,
) -> dict:
    """Change when, what and to whom; the next run is worked out again. Returns the changes."""
    schedule.query, schedule.frequency, schedule.hour = query, frequency, hour
    schedule.weekday, schedule.day_of_month = weekday, day_of_month
    changes = changes_of(schedule, FIELDS)
    moved = _recipients_set(schedule, recipients)
    if moved:
        changes["Recipients"] = [
            ", ".join(email for email in moved if email[0] == "-"),
            ", ".join(email for email in moved if email[0] == "+"),
        ]
    if schedule.active:
        schedule.next_run_at = _next_run_at(schedule)
    schedule.save()
    if changes:
        audit_record(action=ScheduledReportAudit.CHANGED, by=by, target=schedule.report_key, changes=changes)
    return changes


@transaction.atomic
def scheduled_report_pause(*, schedule: ScheduledReport, by: User | None, reason: str = "") -> None:
    schedule.active, schedule.paused_reason = False, reason
    schedule.save(update_fields=["active", "paused_reason"])
    audit_record(action=ScheduledReportAudit.PAUSED, by=by, target=schedule.report_key, detail=reason)


@transaction.atomic
def scheduled_report_resume(*, schedule: ScheduledReport, by: User) -> None:
    """Send again from the next slot on; what was missed while paused is not sent."""
    schedule.active, schedule.paused_reason = True, ""
    schedule.next_run_at = _next_run_at(schedule)
    schedule.save(update_fields=["active", "paused_reason", "next_run_at"])
    audit_record(action=ScheduledReportAudit.RESUMED, by=by, target=schedule.report_key)


@transaction.atomic
def scheduled_report_delete(*, schedule: ScheduledReport, by: User) -> None:
    audit_record(
        action=ScheduledReportAudit.DELETED, by=by, target=schedule.report_key, detail=schedule.when()
    )
    schedule.delete()


@transaction.atomic
def scheduled_report_send_now(*, schedule: ScheduledReport, by: User) -> None:
    """Email the report now, its schedule unchanged (the worker sends it once this commits)."""
    from reports.tasks import scheduled_report_run as run_task

    audit_record(action=ScheduledReportAudit.SENT_NOW, by=by, target=schedule.report_key)
    run_task.delay_on_commit(org_id=schedule.organization_id, schedule_id=schedule.pk, now=True)


def _claim(schedule_id: int, now: bool) -> ScheduledReport | None:
    """The schedule locked for this run, its next slot set; None if not due, paused, or another run has it."""
    schedules = ScheduledReport.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        pk=schedule_id
    )
    if not now:
        schedules = schedules.filter(active=True, next_run_at__lte=timezone.now())
    schedule = schedules.select_related("organization", "created_by").first()
    if schedule is not None and not now:
        schedule.next_run_at = _next_run_at(schedule)
        schedule.save(update_fields=["next_run_at"])
    return schedule


def scheduled_report_run(*, organization: Organization, schedule_id: int, now: bool = False) -> int:
    """One run of a schedule (its due slot, or `now` from Send now): the report's tables as its creator sees
    them, one email per recipient who may still read reports, with a CSV per table. Returns emails sent."""
    with tenant(organization):
        schedule = _claim(schedule_id, now)
        if schedule is None:
            return 0
        prepared: RunMessages = run_messages(schedule)
        if prepared.pause_reason:
            scheduled_report_pause(schedule=schedule, by=None, reason=prepared.pause_reason)
            return 0
    errors = []
    with mailers.default as connection:
        for message in prepared.messages:
            try:
                connection.send_messages([message])
            except (ValueError, smtplib.SMTPException) as error:
                errors.append(f"{', '.join(message.to)}: {error}")
    with tenant(organization):
        ScheduledReport.objects.filter(pk=schedule_id).update(
            last_sent_at=timezone.now() if len(errors) < len(prepared.messages) else schedule.last_sent_at,
            last_error="; ".join(errors)[:500],
            last_skipped="; ".join(prepared.skipped)[:500],
        )
    return len(prepared.messages) - len(errors)


def scheduled_reports_due() -> int:
    """Queue a run for every active schedule whose time has come, every organization's (beat, each quarter
    hour). Each run claims its slot, so a schedule queued twice sends once. Returns how many were queued."""
    from reports.tasks import scheduled_report_run as run_task

    queued = 0
    for organization in Organization.objects.all():
        with tenant(organization):
            due = ScheduledReport.objects.filter(active=True, next_run_at__lte=timezone.now())
            for schedule_id in due.values_list("pk", flat=True)[:1000]:
                run_task.delay(org_id=organization.pk, schedule_id=schedule_id)
                queued += 1
    return queued
