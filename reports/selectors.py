"""Reads of scheduled reports: the list, who may receive one, and who may change one."""

from django.db.models import Prefetch, QuerySet

from accounts.models import Membership
from accounts.permissions import ROLE_PERMISSIONS, has_permission
from reports.models import ScheduledReport, ScheduledReportRecipient


def schedules_listed() -> QuerySet:
    """The organization's schedules with their creator and recipients, in a constant number of queries."""
    recipients = ScheduledReportRecipient.objects.select_related("membership__user").order_by("email")
    return (
        ScheduledReport.objects.select_related("created_by")
        .prefetch_related(Prefetch("recipient_rows", queryset=recipients))
        .order_by("report_key", "pk")
    )


def report_readers(permission: str = "reports.view") -> QuerySet:
    """The staff members whose role may read reports: whom a schedule may email."""
    roles = [role for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions]
    return Membership.objects.filter(role__in=roles).select_related("user").order_by("user__email")


def may_change(schedule: ScheduledReport, membership) -> bool:
    """Its creator or an admin (settings.change) may change, pause, send or delete a schedule."""
    return schedule.created_by_id == membership.user_id or has_permission(membership, "settings.change")
