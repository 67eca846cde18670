"""Privacy's writes: a person's export (asked for, built part by part, downloaded), their erasure with its
certificate, the retention settings and the daily retention run."""

import hashlib
import json
import secrets
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.audit import actor_label, audit_record, changes_of
from accounts.tenancy import required_organization, tenant
from customers import events
from customers.extend import PersonData, registered
from customers.models import Customer
from customers.services import activity_record
from imports.privacy import import_files_forget
from privacy.archive import export_zip
from privacy.erasure import erasure_parts, exports_forget
from privacy.models import ErasureRecord, PersonExport, PrivacyAudit, PrivacyEvent, PrivacySettings
from privacy.selectors import privacy_settings


@transaction.atomic
def privacy_settings_save(*, settings: PrivacySettings, by) -> dict:
    changes = changes_of(settings, ["archived_erase_months", "import_file_days", "export_days"])
    settings.save()
    if changes:
        audit_record(action=PrivacyAudit.SETTINGS_CHANGED, by=by, target="Privacy", changes=changes)
    return changes


@transaction.atomic
def export_request(*, customer: Customer, by, include_notes: bool, by_customer: bool = False) -> PersonExport:
    """Queue an export of everything about `customer`: the worker builds it, and emails a customer theirs."""
    from privacy.tasks import export_build_task

    export = PersonExport.objects.create(
        customer=customer,
        include_notes=include_notes and not by_customer,
        by_customer=by_customer,
        requested_by=by,
    )
    detail = (
        "Asked for by the customer" if by_customer else ("Notes included" if export.include_notes else "")
    )
    activity_record(customer=customer, by=by, kind=PrivacyEvent.EXPORTED, detail=detail, subject_id=export.pk)
    audit_record(action=PrivacyAudit.EXPORT_STARTED, by=by, target=f"Customer #{customer.pk}", detail=detail)
    export_build_task.delay_on_commit(org_id=export.organization_id, export_id=export.pk)
    return export


def export_build(*, organization, export_id: int) -> None:
    """Build the ZIP, one committed transaction per part so the page shows progress. A built export is left
    as it is (a retried task only sends its email again)."""
    parts = registered(PersonData)
    with tenant(organization):
        export = PersonExport.objects.select_related("customer").get(pk=export_id)
        if export.status not in (PersonExport.Status.QUEUED, PersonExport.Status.BUILDING):
            return
        PersonExport.objects.filter(pk=export.pk).update(
            status=PersonExport.Status.BUILDING, parts_total=len(parts)
        )
    tables = []
    for number, part in enumerate(parts, start=1):
        with tenant(organization):
            tables.append((part, part.rows(export.customer, include_notes=export.include_notes)))
            PersonExport.objects.filter(pk=export.pk).update(parts_done=number)
    with tenant(organization):
        _export_finish(export=export, content=export_zip(export.customer, tables))


@transaction.atomic
def _export_finish(*, export: PersonExport, content: bytes) -> None:
    export.file.save(f"personal-data-{export.customer_id}.zip", ContentFile(content), save=False)
    PersonExport.objects.filter(pk=export.pk).update(
        file=export.file.name,
        status=PersonExport.Status.READY,
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=privacy_settings().export_days),
    )


@transaction.atomic
def export_link_issue(*, export: PersonExport) -> str:
    """A fresh single-use token for the customer's emailed link (only its hash is kept): issued when the
    email is sent, so the link that arrives is the one that works."""
    token = secrets.token_urlsafe(32)
    PersonExport.objects.filter(pk=export.pk).update(token_hash=hashlib.sha256(token.encode()).hexdigest())
    return token


@transaction.atomic
def export_download_record(*, export: PersonExport, by) -> None:
    """Staff downloaded an export: the audit log says who and when."""
    audit_record(action=PrivacyAudit.EXPORT_DOWNLOADED, by=by, target=f"Customer #{export.customer_id}")


@transaction.atomic
def export_link_use(*, token: str) -> PersonExport | None:
    """The customer's emailed link: the export it opens, once, before it expires; None otherwise."""
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    export = (
        PersonExport.objects.select_for_update()
        .filter(token_hash=token_hash, status=PersonExport.Status.READY, downloaded_at=None)
        .filter(expires_at__gt=timezone.now())
        .first()
    )
    if export is not None:
        export.downloaded_at = timezone.now()
        export.save(update_fields=["downloaded_at"])
    return export


# Erasure -----------------------------------------------------------------------------------------------


def _reference() -> str:
    return f"ER-{timezone.now():%Y%m%d}-{secrets.token_hex(3).upper()}"


@transaction.atomic
def customer_erase(*, customer: Customer, by) -> ErasureRecord:
    """Erase a person in one transaction: every app erases or anonymizes its records of them, then the
    certificate (JSON, hashed) is kept without their name. Webhook listeners hear customer.updated with the
    anonymized row, so systems fed from Roster drop the name too."""
    organization = required_organization("An erasure")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    now = timezone.now()
    lines = [
        {"part": part.label, "what": line.what, "action": line.action, "count": line.count, "why": line.why}
        for part, part_lines in erasure_parts(customer)
        for line in part_lines
    ]
    record = ErasureRecord(
        reference=_reference(),
        customer=customer,
        erased_by=by,
        erased_by_label=actor_label(by),
        erased_at=now,
    )
    certificate = {
        "certificate": "Erasure of a person's data",
        "reference": record.reference,
        "organization": organization.name,
        "erased_at": now.isoformat(),
        "erased_by": record.erased_by_label or "Retention policy",
        "customer_id": customer.pk,
        "parts": lines,
    }
    record.certificate = json.dumps(certificate, indent=2, ensure_ascii=False)
    record.sha256 = hashlib.sha256(record.certificate.encode()).hexdigest()
    record.save()
    activity_record(
        customer=customer, by=by, kind=PrivacyEvent.ERASED, detail=f"Certificate {record.reference}"
    )
    audit_record(
        action=PrivacyAudit.CUSTOMER_ERASED, by=by, target=f"Customer #{customer.pk}", detail=record.reference
    )
    events.publish(events.CUSTOMER_UPDATED, customer=customer, data={"changed": ["erased"]})
    return record


# Retention ---------------------------------------------------------------------------------------------


@transaction.atomic
def retention_apply(*, now=None) -> dict[str, int]:
    """Delete or erase what the organization's settings no longer keep, and say so in one audit event."""
    now = now or timezone.now()
    settings = privacy_settings()
    done = {
        "exports": exports_forget(PersonExport.objects.filter(expires_at__lte=now)),
        "import_files": import_files_forget(uploaded_before=now - timedelta(days=settings.import_file_days)),
        "customers_erased": 0,
    }
    if settings.archived_erase_months:
        due = Customer.objects.filter(
            archived_at__lte=now - relativedelta(months=settings.archived_erase_months)
        )
        for customer in due.exclude(
            pk__in=ErasureRecord.objects.exclude(customer=None).values("customer_id")
        ):
            customer_erase(customer=customer, by=None)
            done["customers_erased"] += 1
    if any(done.values()):
        audit_record(
            action=PrivacyAudit.RETENTION_RUN,
            by=None,
            target="Retention",
            detail=(
                f"{done['customers_erased']} archived customers erased, "
                f"{done['import_files']} import files and {done['exports']} exports deleted"
            ),
        )
    return done
