"""The worker's side of scheduled reports: the beat sweep each quarter hour, and one run per schedule."""

from celery import shared_task

from accounts.models import Organization
from accounts.tenancy import tenant_task
from reports import services


@tenant_task(batched=True)
def scheduled_report_run(*, org_id: int, schedule_id: int, now: bool = False) -> int:
    organization = Organization.objects.get(pk=org_id)
    return services.scheduled_report_run(organization=organization, schedule_id=schedule_id, now=now)


@shared_task
def scheduled_reports_due() -> int:
    return services.scheduled_reports_due()
