"""What an import job leaves behind it besides customers: its steps in the audit trail, and the event its
listeners (webhooks) hear when it ends."""

from accounts.audit import audit_record
from accounts.models import User
from customers import events
from imports.models import ImportJob


def job_audit(job: ImportJob, action: str, by: User | None, detail: str = "") -> None:
    """An import's step in the audit trail, named by its file; one sent with an API key says so."""
    via = f"API key “{job.api_key_name}”" if job.origin == ImportJob.Origin.API else ""
    audit_record(action=action, by=by, target=job.file_name, detail=" · ".join(filter(None, [detail, via])))


def job_finished(job_id: int) -> None:
    """Tell the listeners (webhooks) that a job has ended, with its counts: one event for the file, never one
    per customer it wrote."""
    job = ImportJob.objects.get(pk=job_id)
    counts = ["total_rows", "created", "updated", "kept", "skipped", "error_rows"]
    data = {"id": job.pk, "file_name": job.file_name, "status": job.status, "message": job.message}
    events.publish(
        events.IMPORT_FINISHED, data={"import": data | {name: getattr(job, name) for name in counts}}
    )
