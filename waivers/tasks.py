"""Waiver emails and the daily beat: signing links (from the profile, and as reminders 14 days before a
signature expires) and the record of signatures that have expired."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.tasks import send_text_email
from accounts.tenancy import tenant, tenant_task
from waivers import services
from waivers.models import REMINDER_DAYS, WaiverRequest, WaiverSignature


@tenant_task(batched=True)
def waiver_request_email(*, org_id: int, request_id: int) -> None:
    """Email a signing link. The token is committed before the email leaves, so a link that arrives works."""
    organization = Organization.objects.get(pk=org_id)
    with tenant(organization):
        request = (
            WaiverRequest.objects.filter(pk=request_id, used_at=None, expires_at__gt=timezone.now())
            .select_related("template", "signer", "for_customer")
            .first()
        )
        if request is None:
            return
        token = services.waiver_request_issue_token(request=request)
    path = reverse("waivers:link", kwargs={"org_slug": organization.slug, "token": token})
    with timezone.override(organization.time_zone):
        send_text_email(
            to=request.email,
            subject=f"{'Time to renew' if request.reminder else 'Please sign'}: {request.template.name}",
            template="waivers/email/request.txt",
            context={"request": request, "organization": organization, "url": settings.SITE_URL + path},
        )


def _superseded() -> Exists:
    """A later signature of the same template for the same customer: the earlier one's end no longer
    matters."""
    return Exists(
        WaiverSignature.objects.filter(
            customer_id=OuterRef("customer_id"),
            version__template_id=OuterRef("version__template_id"),
            signed_at__gt=OuterRef("signed_at"),
        )
    )


def _counting():
    return WaiverSignature.objects.filter(version__number__gte=F("version__template__accepted_from")).exclude(
        _superseded()
    )


@shared_task
def waivers_daily() -> dict[str, int]:
    """Celery beat, daily: a reminder with a fresh link for each signature ending within 14 days (once each),
    and a "Waiver expired" event for each that has ended (once each); a signature replaced by a later one, or
    by a version that requires signing again, is left alone."""
    done = {"reminded": 0, "expired": 0}
    now = timezone.now()
    for organization in Organization.objects.all():
        with tenant(organization):
            counting = _counting().select_related("version__template")
            due = counting.filter(
                reminded_at=None, valid_until__gt=now, valid_until__lte=now + timedelta(days=REMINDER_DAYS)
            )
            for signature in due:
                done["reminded"] += bool(services.waiver_expiry_remind(signature=signature))
            for signature in counting.filter(expiry_recorded_at=None, valid_until__lte=now):
                done["expired"] += services.waiver_expiry_record(signature=signature)
    return done
