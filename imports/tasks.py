from celery import shared_task
from celery.signals import worker_ready

from accounts.models import Organization
from accounts.tenancy import tenant_task
from imports import work_services


@tenant_task(batched=True)
def import_job_work(*, org_id: int, job_id: int) -> None:
    work_services.job_work(organization=Organization.objects.get(pk=org_id), job_id=job_id)


@shared_task
def imports_resume() -> int:
    return work_services.jobs_resume()


@worker_ready.connect
def _resume_on_start(**kwargs) -> None:
    """A worker that starts picks up imports whose worker died (their task may not come back for an hour)."""
    imports_resume.delay()
