from datetime import timedelta
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.core.mail import mailers
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.money import format_minor
from accounts.tenancy import tenant, tenant_task
from invites import package_services
from invites.mail import worded_email
from invites.models import PackageInvite
from invites.package_selectors import package_invite_settings


@tenant_task(batched=True)
def package_invites_deliver(*, org_id: int, invite_ids: list[int], reminder: bool = False) -> None:
    """Email a batch of package invitations (or reminders) over one SMTP connection, each with a fresh link.
    The tokens are committed before the emails leave; a retry sends fresh links to those not marked sent."""
    organization = Organization.objects.get(pk=org_id)
    with tenant(organization):
        tokens = package_services.package_invite_tokens_issue(invite_ids=invite_ids, reminder=reminder)
        invites = list(
            PackageInvite.objects.filter(pk__in=list(tokens)).select_related(
                "package", "customer", "for_customer"
            )
        )
        wording = package_invite_settings()
        messages = [
            _message(organization, wording, invite, tokens[invite.pk], reminder) for invite in invites
        ]
    if messages:
        mailers.default.send_messages(messages)
    with tenant(organization):
        package_services.package_invites_delivered(invite_ids=list(tokens), reminder=reminder)


def _message(organization, wording, invite: PackageInvite, token: str, reminder: bool):
    path = reverse("package_invite:open", kwargs={"org_slug": organization.slug, "token": token})
    expires = timezone.localtime(invite.expires_at, ZoneInfo(organization.time_zone))
    package = invite.package
    values = {
        "first_name": invite.customer.first_name,
        "organization": organization.name,
        "package": package.name,
        "price": format_minor(package.total, package.currency),
        "for_whom": invite.for_customer.first_name if invite.for_customer else "you",
        "note": invite.note,
        "link": settings.SITE_URL + path,
        "expires": expires.strftime("%B %-d, %Y"),
    }
    return worded_email(
        subject=wording.subject,
        body=wording.body,
        values=values,
        to=invite.email,
        reminder=reminder,
        typed=("first_name", "package", "for_whom", "note", "organization"),
    )


@shared_task
def package_invites_remind() -> None:
    """Celery beat (hourly): cancel invitations whose customer was archived or whose package is no longer
    sold, then remind those left unanswered for the organization's N days, at most M times."""
    for organization in Organization.objects.all():
        with tenant(organization):
            package_services.package_invites_tidy()
            wording = package_invite_settings()
            if not wording.max_reminders:
                continue
            due = timezone.now() - timedelta(days=wording.remind_after_days)
            ids = list(
                PackageInvite.objects.pending()
                .exclude(sent_at=None)
                .annotate(last_sent=Coalesce("reminded_at", "sent_at"))
                .filter(reminders_sent__lt=wording.max_reminders, last_sent__lte=due)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        for start in range(0, len(ids), package_services.DELIVERY_BATCH):
            batch = ids[start : start + package_services.DELIVERY_BATCH]
            package_invites_deliver.delay(org_id=organization.pk, invite_ids=batch, reminder=True)
