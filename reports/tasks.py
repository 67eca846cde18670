"""The worker's side of reports: scheduled reports (the beat sweep each quarter hour, and one run per
schedule) and the recount of kept figures staff are watching."""

from celery import shared_task

from accounts.models import Organization
from accounts.tenancy import tenant_task
from reports import customer_report, services


@tenant_task(batched=True)
def scheduled_report_run(*, org_id: int, schedule_id: int, now: bool = False) -> int:
    organization = Organization.objects.get(pk=org_id)
    return services.scheduled_report_run(organization=organization, schedule_id=schedule_id, now=now)


@shared_task
def scheduled_reports_due() -> int:
    return services.scheduled_reports_due()


@tenant_task()
def kept_reports_recount(*, org_id: int) -> int:
    return customer_report.kept_reports_recount()


@shared_task
def kept_reports_due() -> int:
    """Queue a recount for every organization whose kept figures staff are watching (beat, a minute before
    they would expire)."""
    watching = customer_report.organizations_watching()
    for org_id in watching:
        kept_reports_recount.delay(org_id=org_id)
    return len(watching)
