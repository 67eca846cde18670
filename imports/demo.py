"""A finished demo import, so the imports list, its report and the roster's "Imported by" filter have
something to show; its file is the sample a visitor can upload themselves."""

from pathlib import Path

from django.core.files import File

from accounts.tenancy import current_organization
from imports import services, work_services

SAMPLE = Path(__file__).parent / "samples" / "customers-from-old-system.csv"


def demo_import(*, by) -> None:
    organization = current_organization()
    with SAMPLE.open("rb") as file:
        job = services.job_create(file=File(file), file_name=SAMPLE.name, by=by)
    work_services.job_work(organization=organization, job_id=job.pk)
    job.refresh_from_db()
    services.job_map(
        job=job,
        mapping=job.mapping,
        date_format="mdy",
        match_key=job.match_key,
        mode=job.mode,
        skip_errors=True,
        tag_ids=[],
        by=by,
    )
    work_services.job_work(organization=organization, job_id=job.pk)
    services.job_start(job=job, by=by)
    work_services.job_work(organization=organization, job_id=job.pk)
