"""The worker's part: building an export (and emailing the customer their link), and the daily retention."""

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.tasks import send_text_email
from accounts.tenancy import tenant, tenant_task
from privacy import services
from privacy.models import PersonExport


@tenant_task(batched=True)
def export_build_task(*, org_id: int, export_id: int) -> None:
    """Build the export; for one the customer asked for, email them a link to it."""
    organization = Organization.objects.get(pk=org_id)
    services.export_build(organization=organization, export_id=export_id)
    with tenant(organization):
        export = PersonExport.objects.select_related("customer").get(pk=export_id)
        if not export.by_customer or export.status != PersonExport.Status.READY or not export.customer.email:
            return
        token = services.export_link_issue(export=export)
    path = reverse("privacy_portal:download", kwargs={"org_slug": organization.slug, "token": token})
    with timezone.override(organization.time_zone):
        send_text_email(
            to=export.customer.email,
            subject=f"Your data from {organization.name}",
            template="privacy/email/export_ready.txt",
            context={"organization": organization, "url": settings.SITE_URL + path, "export": export},
        )


@shared_task
def retention_daily() -> dict[str, int]:
    """Celery beat, daily: each organization's retention settings applied (one audit event per organization
    that had something past its time)."""
    total: dict[str, int] = {}
    for organization in Organization.objects.all():
        with tenant(organization):
            for key, count in services.retention_apply().items():
                total[key] = total.get(key, 0) + count
    return total
