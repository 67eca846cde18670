"""Import jobs, from the uploaded file to the report. People (views, the API) call the functions at the top;
the worker calls `job_work`, which moves a job through its steps: read the file, dry run, run."""

import logging
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Organization, User
from accounts.tenancy import required_organization, tenant
from customers import events
from customers.duplicates import matches_for_people, person_from_data
from customers.models import BulkOperation, Customer
from customers.services import customers_bulk
from imports.dates import DATE_FORMATS
from imports.engine import (
    CREATE,
    ERROR,
    EXISTS,
    UNCHANGED,
    UPDATE,
    Planner,
    batches,
    data_rows,
    issues_of,
)
from imports.kept import KeptRows, kept_rows, kept_rows_delete
from imports.mapping import auto_map, header_key, mapping_check, template_match
from imports.models import ImportAudit, ImportIssue, ImportJob, ImportRecord, ImportTemplate
from imports.reading import ImportFileError, read_rows, read_shape
from imports.validation import Parsed
from imports.writing import Writer
from tags.models import Tag

logger = logging.getLogger(__name__)
Status = ImportJob.Status
SAMPLE_ROWS = 5


class MappingError(ValueError):
    """The mapping cannot run; `messages` say what to change."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


def _audit(job: ImportJob, action: str, by: User | None, detail: str = "") -> None:
    """An import's step in the audit trail, named by its file; one sent with an API key says so."""
    via = f"API key “{job.api_key_name}”" if job.origin == ImportJob.Origin.API else ""
    audit_record(action=action, by=by, target=job.file_name, detail=" · ".join(filter(None, [detail, via])))


def _finished(job_id: int) -> None:
    """Tell the listeners (webhooks) that a job has ended, with its counts: one event for the file, never one
    per customer it wrote."""
    job = ImportJob.objects.get(pk=job_id)
    counts = ["total_rows", "created", "updated", "kept", "skipped", "error_rows"]
    data = {"id": job.pk, "file_name": job.file_name, "status": job.status, "message": job.message}
    events.publish(
        events.IMPORT_FINISHED, data={"import": data | {name: getattr(job, name) for name in counts}}
    )


def _enqueue(job: ImportJob) -> None:
    from imports.tasks import import_job_work

    import_job_work.delay_on_commit(org_id=job.organization_id, job_id=job.pk)


# What people do --------------------------------------------------------------------------------------------


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


def _planned(job: ImportJob) -> str:
    return f"{job.to_create:,} to add, {job.to_update:,} to update, {job.error_rows:,} rows with errors"


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
    _audit(job, ImportAudit.IMPORT_STARTED, by, _planned(job))
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
        _finished(job.pk)
    _audit(job, ImportAudit.IMPORT_CANCELLED, by, detail)
    return job


@transaction.atomic
def job_delete(*, job: ImportJob, by: User) -> None:
    """Delete an upload that never ran, and its file once the deletion commits."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job.can_delete:
        raise MappingError(["Only an upload that has not run can be deleted."])
    _audit(job, ImportAudit.IMPORT_DELETED, by, f"{job.get_status_display()}, never run")
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
    _audit(job, ImportAudit.IMPORT_UNDONE, by, f"{len(untouched):,} customers it added archived{kept}")
    return customers_bulk(action="archive", customer_ids=untouched, by=by), touched


# What the worker does --------------------------------------------------------------------------------------


def job_work(*, organization: Organization, job_id: int) -> None:
    """Take the job through its steps. A session advisory lock makes this the only worker on the job; a
    killed worker's connection closes and frees it, so a retry (or `jobs_resume`) carries on from the last
    committed checkpoint."""
    with connection.cursor() as cursor:  # the job id is the key: no other advisory locks are used
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [job_id])
        if not cursor.fetchone()[0]:
            return
    try:
        if _crashed_twice(organization, job_id):
            _fail(organization, job_id, CRASHED)
        while step := STEPS.get(_status(organization, job_id)):
            try:
                step(organization, job_id)
            except ImportFileError as error:
                _fail(organization, job_id, str(error))
            except OperationalError:
                raise  # the database went away: the task retries
            except Exception:
                logger.exception("Import %s failed", job_id)
                _fail(
                    organization,
                    job_id,
                    "Something went wrong on our side; we have been told. Try again later.",
                )
    finally:
        with tenant(organization):  # the worker lived to the end of its attempt
            ImportJob.objects.filter(pk=job_id).update(crashes=0)
            job = ImportJob.objects.filter(pk=job_id).first()  # deleted meanwhile: job_delete took its files
            if job and job.status in (Status.DONE, Status.FAILED, Status.CANCELLED):
                kept_rows_delete(job)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [job_id])


CRASHED = (
    "This file stopped the import worker twice at the same point, so it was set aside. "
    "Save it as CSV (or split it into smaller files) and upload it again."
)


def _crashed_twice(organization, job_id: int) -> bool:
    """Count this attempt (committed before any work) unless the job has moved on since the last one; a job
    that two workers died on at the same point would kill every worker that takes it up, for every tenant."""
    with tenant(organization):
        job = ImportJob.objects.get(pk=job_id)
        if job.status not in STEPS:
            return False
        point = f"{job.status}:{job.validated_rows}:{job.processed_rows}"
        crashes = job.crashes if job.crash_point == point else 0
        if crashes >= 2:
            return True
        ImportJob.objects.filter(pk=job_id).update(crashes=crashes + 1, crash_point=point)
        return False


def _status(organization, job_id: int) -> str:
    with tenant(organization):
        return ImportJob.objects.values_list("status", flat=True).get(pk=job_id)


def _fail(organization, job_id: int, message: str) -> None:
    with tenant(organization):
        ImportJob.objects.filter(pk=job_id).update(
            status=Status.FAILED, message=message, finished_at=timezone.now()
        )
        _finished(job_id)


def _analyze(organization, job_id: int) -> None:
    """Read the whole file once: its shape, header, samples and row count; unreadable files fail here, before
    anyone maps them. Then guess the mapping (from a saved template whose columns match, if any)."""
    with tenant(organization):
        job = ImportJob.objects.get(pk=job_id)
        shape = read_shape(job.file.path, job.file_name)
        rows = read_rows(job.file.path, shape)
        headers = next(rows, None)
        if not headers or not any(headers):
            raise ImportFileError(
                "The first row should name the columns (First name, Email, …), but it is empty."
            )
        samples, total, blank = [], 0, 0
        for row in rows:
            total += 1
            if not any(row):
                blank += 1
            elif len(samples) < SAMPLE_ROWS:
                samples.append(row)
        if total - blank <= 0:
            raise ImportFileError("The file has a header row but no customers under it.")
        job.file_format, job.encoding, job.delimiter = shape.format, shape.encoding, shape.delimiter
        job.headers = [header or f"Column {index + 1}" for index, header in enumerate(headers)]
        job.samples, job.total_rows = samples, total
        if len(job.mapping) != len(headers):
            job.template = template_match(headers, ImportTemplate.objects.all())
            if job.template:
                job.date_format, job.match_key = job.template.date_format, job.template.match_key
                job.mode = job.template.mode
            job.mapping = auto_map(job.headers, samples, job.template.columns if job.template else None)
        automatic = (
            job.origin == ImportJob.Origin.API
        )  # no one to confirm the mapping: it must fit as guessed
        problems = mapping_check(job, job.mapping, job.match_key, job.mode) if automatic else []
        if problems:
            raise ImportFileError(" ".join(problems))
        job.status = Status.VALIDATING if automatic else Status.MAPPING
        job.save()


def _validate(organization, job_id: int) -> None:
    """The dry run: plan every row, store the errors, count what the run would do. Starts over if
    interrupted (it writes nothing but its findings)."""
    with tenant(organization):
        job = ImportJob.objects.get(pk=job_id)
        ImportIssue.objects.filter(job=job).delete()
        planner, kept = Planner(job), KeptRows(job)
    counts: Counter = Counter()
    new_tags: dict[str, str] = {}
    complete = False
    try:
        for batch in batches(data_rows(job), settings.IMPORT_BATCH_ROWS):
            with tenant(organization):
                if _cancelled(job_id):
                    return
                parsed_rows = planner.read(batch)
                kept.add(parsed_rows)
                plans = planner.plan(parsed_rows, check_duplicates=True)
                ImportIssue.objects.bulk_create(issues_of(job, plans))
                counts.update(plan.action for plan in plans)
                counts["claimed"] += sum(plan.claimed for plan in plans)
                counts["lookalike"] += _lookalikes(plans)
                new_tags.update((name.lower(), name) for plan in plans for name in plan.new_tags)
                ImportJob.objects.filter(pk=job_id).update(
                    validated_rows=batch[-1][0] - 1, **_dry_counts(counts)
                )
        complete = True
    finally:
        kept.close(complete=complete)
    with tenant(organization):
        existing = {name.lower() for name in Tag.objects.values_list("name", flat=True)}
        job.refresh_from_db()
        job.new_tags = sorted((name for key, name in new_tags.items() if key not in existing), key=str.lower)
        job.validated_rows, job.validated_at = job.total_rows, timezone.now()
        runnable = job.skip_errors or not job.error_rows
        if job.auto_run and runnable:
            job.status, job.started_at = Status.RUNNING, timezone.now()
            _audit(job, ImportAudit.IMPORT_STARTED, None, _planned(job))
        else:
            job.status = Status.READY
        job.save()


def _dry_counts(counts: Counter) -> dict:
    return {
        "to_create": counts[CREATE],
        "to_update": counts[UPDATE],
        "unchanged": counts[UNCHANGED] + counts[EXISTS],
        "error_rows": counts[ERROR],
        "claimed_rows": counts["claimed"],
        "lookalike_rows": counts["lookalike"],
    }


def _lookalikes(plans) -> int:
    """How many rows to add look like a customer already on the roster (the duplicate finder's 50+)."""
    people = [person_from_data(plan.parsed.builtin) for plan in plans if plan.action == CREATE]
    return len({match.a for match in matches_for_people(people)})


def _cancelled(job_id: int) -> bool:
    """Stop at this batch boundary if someone asked to; True when the job has stopped."""
    job = ImportJob.objects.values("cancel_requested", "status").get(pk=job_id)
    if job["status"] == Status.CANCELLED:
        return True
    if job["cancel_requested"]:
        ImportJob.objects.filter(pk=job_id).update(status=Status.CANCELLED, finished_at=timezone.now())
        _finished(job_id)
        return True
    return False


def _run(organization, job_id: int) -> None:
    """Write every valid row, a batch per transaction with its checkpoint (`processed_rows`): resuming starts
    after the last committed batch, so no row is lost or written twice. Rows the dry run found in error are
    skipped; a row that has become wrong since (the roster changed) is skipped and reported. The rows come as
    the dry run read them (imports.kept) unless the rules for reading them changed since."""
    with tenant(organization):
        job = ImportJob.objects.select_related("created_by").get(pk=job_id)
        skip = set(ImportIssue.objects.filter(job=job).values_list("row", flat=True))
        planner, writer = Planner(job), Writer(job)
        kept = kept_rows(job, job.processed_rows)
    size = settings.IMPORT_BATCH_ROWS
    if kept is None:
        parsed_batches = (planner.read(batch) for batch in batches(data_rows(job, job.processed_rows), size))
    else:
        parsed_batches = batches(kept, size)
    for batch in parsed_batches:
        for attempt in range(3):
            try:
                with tenant(organization):
                    if _cancelled(job_id):
                        return
                    _run_batch(job, batch, skip, planner, writer)
                break
            except IntegrityError:  # someone added a clashing customer meanwhile: plan the batch again
                if attempt == 2:
                    raise
    with tenant(organization):
        ImportJob.objects.filter(pk=job_id).update(
            status=Status.DONE, processed_rows=F("total_rows"), finished_at=timezone.now()
        )
        _finished(job_id)


def _run_batch(job: ImportJob, batch: list[Parsed], skip: set[int], planner: Planner, writer: Writer) -> None:
    with connection.cursor() as cursor:
        # Not waiting for the disk at commit is safe here: a batch and its checkpoint commit together, so a
        # database crash can only lose both, and the batch is done again.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
    # A retry after a clash plans the batch again from the rows as read: planning edits them.
    todo = [parsed.copy() for parsed in batch if parsed.row not in skip]
    plans = planner.plan(todo, check_duplicates=False)
    created, updated = writer.write(plans)
    ImportIssue.objects.bulk_create(issues_of(job, plans))
    actions = Counter(plan.action for plan in plans)
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=batch[-1].row - 1,
        created=F("created") + created,
        updated=F("updated") + updated,
        kept=F("kept") + actions[UNCHANGED] + actions[EXISTS],
        skipped=F("skipped") + actions[ERROR] + len(batch) - len(todo),
    )


STEPS = {Status.QUEUED: _analyze, Status.VALIDATING: _validate, Status.RUNNING: _run}


def jobs_resume() -> int:
    """Queue every job a worker should be working on; those a live worker holds are left to it (the lock).
    Runs when a worker starts and every minute, so a job whose worker died carries on."""
    from imports.tasks import import_job_work

    queued = 0
    for organization in Organization.objects.all():
        with tenant(organization):
            active = list(ImportJob.objects.filter(status__in=STEPS).values_list("pk", flat=True))
        for job_id in active:
            import_job_work.delay(org_id=organization.pk, job_id=job_id)
            queued += 1
    return queued
