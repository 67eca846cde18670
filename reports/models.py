"""Scheduled reports: a report with its saved controls, emailed as CSV to chosen staff weekly or monthly at
an hour of the organization's time zone."""

from django.conf import settings
from django.db import models

from accounts.models import Membership
from accounts.tenancy import TenantModel


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class ScheduledReport(TenantModel):
    """A registered report (`report_key`) run with `query` (ReportQuery.as_dict(): a preset period stays a
    preset, so each email covers the period before it is sent) as its creator would see it."""

    report_key = models.CharField(max_length=40)
    query = models.JSONField(default=dict)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 is Monday (weekly).")
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 to 28 (monthly).")
    hour = models.PositiveSmallIntegerField(help_text="In the organization's time zone.")
    recipients = models.ManyToManyField(Membership, through="ScheduledReportRecipient", related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    next_run_at = models.DateTimeField(help_text="UTC; the beat sends the schedules whose time has come.")
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_skipped = models.CharField(max_length=500, blank=True, help_text="Recipients the last run left out.")
    active = models.BooleanField(default=True)
    paused_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="scheduledreport_organization_id_unique"
            ),
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="scheduledreport_hour_valid"),
            models.CheckConstraint(
                condition=models.Q(frequency="weekly", weekday__lte=6)
                | models.Q(frequency="monthly", day_of_month__gte=1, day_of_month__lte=28),
                name="scheduledreport_day_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "next_run_at"],
                condition=models.Q(active=True),
                name="scheduledreport_due_idx",
            )
        ]

    def __str__(self):
        return f"{self.report_key} ({self.frequency})"

    def when(self) -> str:
        """ "Every Monday at 09:00" or "On day 28 of each month at 07:00"."""
        if self.frequency == Frequency.WEEKLY:
            return f"Every {WEEKDAYS[self.weekday]} at {self.hour:02d}:00"
        return f"On day {self.day_of_month} of each month at {self.hour:02d}:00"


class ScheduledReportRecipient(TenantModel):
    """A staff member a schedule emails. Leaving the organization empties `membership` but keeps the row, so
    the schedule can say who was left out."""

    schedule = models.ForeignKey(ScheduledReport, on_delete=models.CASCADE, related_name="recipient_rows")
    membership = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    email = models.EmailField(blank=True, help_text="The address when chosen, to name someone who left.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "schedule", "membership"], name="scheduledreport_recipient_unique"
            )
        ]


class ScheduledReportAudit(models.TextChoices):
    """What the organization's audit trail records of scheduled reports."""

    CREATED = "report_schedule.created", "Scheduled report added"
    CHANGED = "report_schedule.changed", "Scheduled report changed"
    PAUSED = "report_schedule.paused", "Scheduled report paused"
    RESUMED = "report_schedule.resumed", "Scheduled report resumed"
    DELETED = "report_schedule.deleted", "Scheduled report deleted"
    SENT_NOW = "report_schedule.sent_now", "Scheduled report sent now"
