"""What the worker does with an import job: `job_work` moves it through its steps (read the file, dry run,
run), a batch per transaction with its checkpoint, and `jobs_resume` queues again the jobs a worker left."""

import logging
from collections import Counter

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection
from django.db.models import F
from django.utils import timezone

from accounts.models import Organization
from accounts.tenancy import tenant
from customers.duplicates import matches_for_people, person_from_data
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
from imports.mapping import auto_map, mapping_check, template_match
from imports.models import ImportAudit, ImportIssue, ImportJob, ImportTemplate
from imports.reading import ImportFileError, read_rows, read_shape
from imports.trail import job_audit, job_finished
from imports.validation import Parsed
from imports.writing import Writer
from tags.models import Tag

logger = logging.getLogger(__name__)
Status = ImportJob.Status
SAMPLE_ROWS = 5


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
        job_finished(job_id)


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
            job_audit(job, ImportAudit.IMPORT_STARTED, None, job.plan_summary)
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
        job_finished(job_id)
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
        job_finished(job_id)


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
