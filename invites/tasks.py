"""Invitations by email: the claim link (a fresh token each time), the reminders beat sends, and a new link
for whoever asks; package invitations delivered in batches, their reminders, and tidying. Waitlists: the
promotion when a spot frees, the offer emails, and the sweep beat runs every minute (offers past their hold
expire, free spots go to whoever waits, unsent offers are sent)."""

import contextlib
import smtplib
from datetime import timedelta
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.money import format_minor
from accounts.tenancy import tenant, tenant_task
from billing.models import Package
from customers.models import Customer
from invites import claim_services, package_services, waitlist_services
from invites.mail import WordedEmail, unlinkable, worded_email
from invites.models import ClaimInvite, ClaimStatus, PackageInvite, WaitlistOffer
from invites.package_selectors import package_invite_settings
from invites.selectors import invite_settings, invites_to_remind
from invites.waitlist_selectors import due_waitlists, offer_recipient


@tenant_task(batched=True)
def claim_invite_send(*, org_id: int, invite_id: int, reminder: bool = False) -> None:
    """Email a claim link (a fresh token each time), in the organization's words. The token is committed
    before the email leaves, so a link that arrives always works."""
    organization = Organization.objects.get(pk=org_id)
    with tenant(organization):
        invite = ClaimInvite.objects.select_related("customer").get(pk=invite_id)
        if not (invite.is_open or (reminder and invite.status == ClaimStatus.EXPIRED)):
            return
        token = claim_services.invite_issue_token(invite=invite, reminder=reminder)
        message = _claim_message(invite, token, reminder)
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:  # a bounce; other SMTP errors are retried
        with tenant(organization):
            claim_services.invite_failed(invite=invite, error=str(error.recipients) or "refused")


def _claim_message(invite: ClaimInvite, token: str, reminder: bool) -> WordedEmail:
    organization = invite.organization
    path = reverse("portal:claim", kwargs={"org_slug": organization.slug, "token": token})
    wording = invite_settings()
    expires = timezone.localtime(invite.expires_at, ZoneInfo(organization.time_zone))
    values = {
        "first_name": invite.customer.first_name,
        "organization": organization.name,
        "link": settings.SITE_URL + path,
        "expires": expires.strftime("%B %-d, %Y %H:%M"),
    }
    return worded_email(
        subject=wording.subject,
        body=wording.body,
        values=values,
        to=invite.email,
        reminder=reminder,
        typed=("first_name",),
    )


@shared_task
def claim_invites_remind() -> None:
    """Celery beat: a reminder, with a fresh link, for each invitation left unclaimed for the organization's N
    days, at most M times."""
    for organization in Organization.objects.all():
        with tenant(organization):
            for invite_id in invites_to_remind(invite_settings()).values_list("pk", flat=True):
                claim_invite_send.delay(org_id=organization.pk, invite_id=invite_id, reminder=True)


@tenant_task()
def claim_link_request(*, org_id: int, email: str) -> None:
    """Someone asked for a new claim link: send one if an unclaimed customer has this address. Runs in the
    worker, so the page answers alike (and as fast) whether or not there is such a customer."""
    customer = Customer.objects.filter(email_key=email.strip().lower(), user=None, archived_at=None).first()
    if customer is not None:
        with contextlib.suppress(claim_services.InviteError):  # invited moments ago: that email is on its way
            claim_services.invite_send(customer=customer, by=None)


@tenant_task(batched=True)
def package_invites_deliver(*, org_id: int, invite_ids: list[int], reminder: bool = False) -> None:
    """Email a batch of package invitations (or reminders) over one SMTP connection, each with a fresh link.
    The tokens are committed before the emails leave; a retry sends fresh links to those not marked sent. An
    address no mail can go to (the SMTP backend refuses a non-ASCII local part) cancels its invitation."""
    organization = Organization.objects.get(pk=org_id)
    with tenant(organization):
        tokens = package_services.package_invite_tokens_issue(invite_ids=invite_ids, reminder=reminder)
        invites = list(
            PackageInvite.objects.filter(pk__in=list(tokens)).select_related(
                "package", "customer", "for_customer"
            )
        )
        wording = package_invite_settings()
        messages = {
            invite.pk: _message(organization, wording, invite, tokens[invite.pk], reminder)
            for invite in invites
        }
    refused = {}
    with mailers.default as connection:
        for pk, message in messages.items():
            try:
                connection.send_messages([message])
            except (ValueError, smtplib.SMTPRecipientsRefused) as error:
                refused[pk] = str(error)
    with tenant(organization):
        package_services.package_invites_delivered(
            invite_ids=[pk for pk in messages if pk not in refused], reminder=reminder
        )
        for pk, error in refused.items():
            package_services.package_invite_undeliverable(invite_id=pk, error=error)


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


@tenant_task()
def waitlist_promote(*, org_id: int, package_id: int) -> None:
    """A spot of the package may have freed: offer it to the next person in line."""
    waitlist_services.waitlist_promote(package=Package.objects.get(pk=package_id))


@tenant_task(batched=True)
def waitlist_offer_send(*, org_id: int, offer_id: int) -> None:
    """Email an offer's link (a fresh token, committed before the email leaves) with its deadline in the
    organization's time zone."""
    organization = Organization.objects.get(pk=org_id)
    with tenant(organization):
        offer = WaitlistOffer.objects.select_related(
            "hold__package", "entry__customer", "entry__joined_by"
        ).get(pk=offer_id)
        recipient = offer_recipient(offer)
        if not offer.is_live or not recipient:
            return
        token = waitlist_services.waitlist_offer_issue_token(offer=offer)
        message = _offer_message(organization, offer, token, recipient)
    message.send()


def _offer_message(
    organization: Organization, offer: WaitlistOffer, token: str, recipient: str
) -> EmailMessage:
    package, customer = offer.hold.package, offer.entry.customer
    path = reverse("waitlist:offer", kwargs={"org_slug": organization.slug, "token": token})
    until = timezone.localtime(offer.hold.expires_at, ZoneInfo(organization.time_zone))
    context = {
        "organization": organization.name,
        "package": unlinkable(package.name),
        "for_whom": unlinkable(customer.full_name),
        "link": settings.SITE_URL + path,
        "deadline": until.strftime("%B %-d, %Y at %H:%M %Z"),
    }
    subject = f"A spot in {package.name} is held for {customer.first_name} until {context['deadline']}"
    return EmailMessage(
        subject=" ".join(subject.split()),  # one line: a header with a line break is refused by the mailer
        body=render_to_string("invites/waitlist/offer_email.txt", context),
        to=[recipient],
    )


UNSENT_GRACE = timedelta(minutes=1)  # an offer's email normally leaves within a second of its commit


@shared_task
def waitlists_sweep() -> None:
    """Celery beat, every minute, for each organization: offers past their hold expire (their spots go to the
    next people), free spots go to whoever waits (a promotion a killed worker never finished), and offers
    whose email never left are sent."""
    for organization in Organization.objects.all():
        with tenant(organization):
            now = timezone.now()
            due = WaitlistOffer.objects.filter(
                expired_at=None,
                declined_at=None,
                hold__purchase=None,
                hold__released_at=None,
                hold__expires_at__lte=now,
            ).select_related("hold__package")
            for offer in due:
                waitlist_services.waitlist_offer_expire(offer=offer)
            for waitlist in due_waitlists():
                waitlist_services.waitlist_promote(package=waitlist.package)
            unsent = WaitlistOffer.objects.filter(
                sent_at=None, declined_at=None, expired_at=None, created_at__lte=now - UNSENT_GRACE
            )
            for offer_id in unsent.filter(hold__purchase=None, hold__released_at=None).values_list(
                "pk", flat=True
            ):
                waitlist_offer_send.delay(org_id=organization.pk, offer_id=offer_id)
