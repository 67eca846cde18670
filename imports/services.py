"""Import jobs: what people do with them (views and the API call these): upload, map, start, cancel, delete,
undo. What the worker does with a job, from the file to the report, is in imports.work_services."""

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import User
from accounts.tenancy import required_organization
from customers.models import BulkOperation, Customer
from customers.services import customers_bulk
from imports.dates import DATE_FORMATS
from imports.kept import kept_rows_delete
from imports.mapping import header_key, mapping_check
from imports.models import ImportAudit, ImportJob, ImportRecord, ImportTemplate
from imports.reading import ImportFileError
from imports.trail import job_audit, job_finished
from tags.models import Tag

Status = ImportJob.Status


class MappingError(ValueError):
    """The mapping cannot run; `messages` say what to change."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


def _enqueue(job: ImportJob) -> None:
    from imports.tasks import import_job_work

    import_job_work.delay_on_commit(org_id=job.organization_id, job_id=job.pk)


@transaction.atomic
def job_create(*, file, file_name: str, by, origin: str = ImportJob.Origin.UPLOAD, **options) -> ImportJob:
    """Store the file and queue the job; the worker reads it. `options` set mapping choices up front
    (the API), e.g. mode, match_key, auto_run, api_key_name, idempotency_key."""
    if file.size > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            f"The file is {filesizeformat(file.size)}; an import takes up to "
            f"{filesizeformat(settings.IMPORT_MAX_BYTES)}. Split it, or remove columns you do not need."
        )
    if file.size == 0:
        raise ImportFileError("The file is empty.")
    job = ImportJob(
        organization=required_organization("An import created"),
        file_name=file_name[:255],
        file_size=file.size,
        created_by=by,
        origin=origin,
        **options,
    )
    job.file.save(file_name, file, save=False)
    job.save()
    _enqueue(job)
    return job


@transaction.atomic
def job_map(
    *,
    job: ImportJob,
    mapping: list[str],
    date_format: str,
    match_key: str,
    mode: str,
    skip_errors: bool,
    tag_ids: list[int],
    template_name: str = "",
    by=None,
) -> ImportJob:
    """Confirm the mapping and start the dry run (again, after a change)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (Status.MAPPING, Status.READY):
        raise MappingError(
            [f"This import is {job.get_status_display().lower()}; its mapping cannot change now."]
        )
    problems = mapping_check(job, mapping, match_key, mode)
    if date_format not in DATE_FORMATS:
        problems.append("Choose a date format.")
    if problems:
        raise MappingError(problems)
    job.mapping, job.date_format, job.match_key, job.mode = mapping, date_format, match_key, mode
    job.skip_errors = skip_errors
    job.tag_ids = list(Tag.objects.filter(pk__in=tag_ids).values_list("pk", flat=True))
    if template_name.strip():
        job.template = template_save(job=job, name=template_name, by=by)
    job.status = Status.VALIDATING
    job.save()
    _enqueue(job)
    return job


@transaction.atomic
def template_save(*, job: ImportJob, name: str, by) -> ImportTemplate:
    """Save (or overwrite, by name) the job's mapping as a template for files with the same columns."""
    columns = {
        header_key(header): target for header, target in zip(job.headers, job.mapping, strict=True) if target
    }
    name = name.strip()[:80]
    template = ImportTemplate.objects.filter(name__iexact=name).first() or ImportTemplate(
        name=name, created_by=by
    )
    template.columns, template.date_format = columns, job.date_format
    template.match_key, template.mode = job.match_key, job.mode
    template.save()
    return template


@transaction.atomic
def job_start(*, job: ImportJob, by: User | None) -> ImportJob:
    """Run an import that is ready; `by` is None when an API call starts it."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != Status.READY:
        raise MappingError([f"This import is {job.get_status_display().lower()}, not ready to run."])
    if job.error_rows and not job.skip_errors:
        raise MappingError(["Fix the rows with errors and upload the file again, or choose to skip them."])
    job.status, job.started_at = Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    job_audit(job, ImportAudit.IMPORT_STARTED, by, job.plan_summary)
    _enqueue(job)
    return job


@transaction.atomic
def job_cancel(*, job: ImportJob, by: User) -> ImportJob:
    """A running import stops at its next batch (what is done stays done); any other stops now."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status == Status.RUNNING:
        job.cancel_requested = True
        detail = "While running: what was imported by then stays"
    elif job.status in (Status.QUEUED, Status.MAPPING, Status.VALIDATING, Status.READY):
        job.status, job.finished_at, job.cancel_requested = Status.CANCELLED, timezone.now(), True
        detail = "Before it ran"
        transaction.on_commit(lambda: kept_rows_delete(job))
    else:
        return job  # finished, failed or cancelled already: nothing to stop
    job.save()
    if job.status == Status.CANCELLED:
        job_finished(job.pk)
    job_audit(job, ImportAudit.IMPORT_CANCELLED, by, detail)
    return job


@transaction.atomic
def job_delete(*, job: ImportJob, by: User) -> None:
    """Delete an upload that never ran, and its file once the deletion commits."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job.can_delete:
        raise MappingError(["Only an upload that has not run can be deleted."])
    job_audit(job, ImportAudit.IMPORT_DELETED, by, f"{job.get_status_display()}, never run")
    storage, name = job.file.storage, job.file.name
    transaction.on_commit(lambda: kept_rows_delete(job))
    job.delete()
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def job_undo(*, job: ImportJob, by) -> tuple[int | BulkOperation, int]:
    """Archive the customers a finished import added, unless someone has touched them since; returns
    (how many archived, or the queued operation when many; how many were left because they changed)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job.can_undo:
        raise MappingError(["Only a finished import that added customers and updated none can be undone."])
    created = ImportRecord.objects.filter(job=job, created=True).values("customer_id")
    candidates = Customer.objects.filter(pk__in=created, archived_at=None)
    untouched = list(candidates.filter(last_activity_at__lte=job.finished_at).values_list("pk", flat=True))
    touched = candidates.count() - len(untouched)
    job.undone_at = timezone.now()
    job.save(update_fields=["undone_at"])
    kept = f"; {touched:,} changed since and kept" if touched else ""
    job_audit(job, ImportAudit.IMPORT_UNDONE, by, f"{len(untouched):,} customers it added archived{kept}")
    return customers_bulk(action="archive", customer_ids=untouched, by=by), touched


# What the worker does --------------------------------------------------------------------------------------
