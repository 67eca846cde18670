"""What the import test modules share: a messy CSV, and a job uploaded and walked through its steps the way
the worker does, one call at a time."""

from django.core.files.base import ContentFile

from accounts.tenancy import tenant
from imports import services, work_services
from imports.models import ImportJob

MESSY = (
    "First Name;Surname;E-mail;Mobile;DOB;Tags;Notes\r\n"
    "Ana;García;ANA@example.com;(555) 201-0001;03/14/2015;Soccer, VIP;Allergic to nuts\r\n"
    "Ben;Okafor;ben@example.com;555 201 0002;2012-07-01;;\r\n"
    "Cleo;;cleo@example;12;31/31/2010;;\r\n"
    "Dan;Ito;ana@example.com;;;;\r\n"
    ";;;;;;\r\n"
    'Eve;Moss;eve@example.com;;;Soccer;"Line one\nline two"\r\n'
)


def upload(
    org, user, text: str, name: str = "customers.csv", encoding: str = "utf-8", **options
) -> ImportJob:
    with tenant(org):
        return services.job_create(
            file=ContentFile(text.encode(encoding)), file_name=name, by=user, **options
        )


def work(org, job: ImportJob) -> ImportJob:
    work_services.job_work(organization=org, job_id=job.pk)
    with tenant(org):
        job.refresh_from_db()
    return job


def confirm(org, job: ImportJob, **changes) -> ImportJob:
    choices = {
        "mapping": job.mapping,
        "date_format": "auto",
        "match_key": "email",
        "mode": "upsert",
        "skip_errors": True,
        "tag_ids": [],
    } | changes
    with tenant(org):
        services.job_map(job=job, **choices)
    return work(org, job)


def start(org, job: ImportJob) -> ImportJob:
    with tenant(org):
        services.job_start(job=job, by=None)
    return work(org, job)
