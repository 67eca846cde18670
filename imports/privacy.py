"""Imports' part of a person's export and erasure (the record of which import made or updated them, and the
rows of theirs an import keeps as samples or issues), and the retention of uploaded files."""

from functools import partial

from django.db import transaction
from django.db.models import Q

from customers.extend import ErasureLine
from customers.privacy import identifiers, rows_of, scrub_rows
from imports.models import ImportIssue, ImportJob, ImportRecord

FINISHED = (ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.CANCELLED)


def import_rows(customer, *, include_notes: bool) -> list[dict]:
    records = ImportRecord.objects.filter(customer=customer).order_by("job__created_at")
    return rows_of(records, ["job__file_name", "job__created_at", "created"])


def imports_erase(customer) -> list[ErasureLine]:
    needles = identifiers(customer)
    jobs = ImportJob.objects.filter(pk__in=ImportRecord.objects.filter(customer=customer).values("job_id"))
    files = jobs.exclude(file="").count()
    records, _ = ImportRecord.objects.filter(customer=customer).delete()
    mentions = scrub_rows(ImportJob.objects.all(), ["samples"], needles)
    mentions += scrub_rows(ImportIssue.objects.all(), ["message"], needles)
    lines = [
        ErasureLine("Records of the imports that made or updated them", "erased", records),
        ErasureLine("Their rows kept as import samples or issues", "anonymized", mentions),
    ]
    if files:
        lines.append(
            ErasureLine(
                "Uploaded import files with a row of theirs",
                "kept",
                files,
                "Kept as uploaded until Settings → Privacy's retention for import files deletes them.",
            )
        )
    return lines


def import_files_forget(*, uploaded_before) -> int:
    """Delete the files (and their sample rows) of finished imports uploaded before then; the jobs' reports
    stay. Returns how many files."""
    jobs = ImportJob.objects.filter(status__in=FINISHED, created_at__lt=uploaded_before).exclude(
        Q(file="") & Q(samples=[])
    )
    count = 0
    for job in jobs:
        if job.file:
            # once the transaction commits: a rollback keeps the row pointing at its file
            transaction.on_commit(partial(job.file.storage.delete, job.file.name))
            count += 1
        ImportJob.objects.filter(pk=job.pk).update(file="", samples=[])
    return count
