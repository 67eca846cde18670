"""Billing's work for the worker: the receipt of an online store purchase, the notice of a refund and of a
membership's declined renewal, emailed after they commit, and the daily punch card reminders, with dates in
the organization's time zone; Stripe events to apply; credit to expire."""

from datetime import timedelta

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.tasks import send_text_email
from accounts.tenancy import tenant, tenant_task
from billing.models import Checkout, CheckoutStatus, PunchCard, Refund, StripeEvent, SubscriptionInvoice
from billing.selectors import organization_today
from families.selectors import customer_email, notification_recipients


@tenant_task()
def checkout_receipt_send(*, org_id: int, checkout_id: int) -> None:
    """Email the payer the receipt of a paid checkout: what, for whom, how much, which card, and the link to
    the receipt page."""
    checkout = (
        Checkout.objects.select_related("organization", "package", "customer", "payer__user")
        .prefetch_related("completed_purchase__payments")
        .get(pk=checkout_id)
    )
    payer = checkout.payer
    email = customer_email(payer)
    if checkout.status != CheckoutStatus.PAID or not email:
        return
    organization = checkout.organization
    path = reverse("store:receipt", kwargs={"org_slug": organization.slug, "pk": checkout.pk})
    context = {
        "checkout": checkout,
        "payment": checkout.completed_purchase.payments.all()[0],
        "organization": organization,
        "url": settings.SITE_URL + path,
    }
    with timezone.override(organization.time_zone):
        send_text_email(
            to=email,
            subject=f"Your receipt from {' '.join(organization.name.split())}",
            template="billing/email/receipt.txt",
            context=context,
        )


@tenant_task()
def refund_notice_send(*, org_id: int, refund_id: int) -> None:
    """Email the payer that money went back: how much, of what, to which card or how, and why."""
    refund = Refund.objects.select_related(
        "organization", "payment__purchase__package", "payment__purchase__payer__user"
    ).get(pk=refund_id)
    payer = refund.payment.purchase.payer
    email = payer and customer_email(payer)
    if not email:
        return
    organization = refund.organization
    with timezone.override(organization.time_zone):
        send_text_email(
            to=email,
            subject=f"A refund from {' '.join(organization.name.split())}",
            template="billing/email/refund.txt",
            context={
                "refund": refund,
                "payment": refund.payment,
                "payer": payer,
                "organization": organization,
            },
        )


@tenant_task()
def subscription_payment_failed_send(*, org_id: int, invoice_id: int) -> None:
    """Email the payer that a membership's renewal was declined, with the link to update their card."""
    invoice = SubscriptionInvoice.objects.select_related(
        "organization", "subscription__package", "subscription__payer__user"
    ).get(pk=invoice_id)
    payer = invoice.subscription.payer
    email = payer and customer_email(payer)
    if not email:
        return
    organization, package = invoice.organization, invoice.subscription.package
    path = reverse("portal_payments:payments", kwargs={"org_slug": organization.slug})
    with timezone.override(organization.time_zone):
        send_text_email(
            to=email,
            subject=f"Your payment for {' '.join(package.name.split())} did not go through",
            template="billing/email/subscription_payment_failed.txt",
            context={
                "invoice": invoice,
                "subscription": invoice.subscription,
                "payer": payer,
                "organization": organization,
                "url": settings.SITE_URL + path,
            },
        )


@tenant_task()
def stripe_event_apply(*, org_id: int, event_id: int) -> None:
    """Apply a webhook event Stripe delivered (stored first, so a worker that dies here loses nothing)."""
    from billing import account_services  # which enqueue this task

    account_services.stripe_event_apply(event=StripeEvent.objects.get(pk=event_id))


@shared_task
def stripe_events_apply_pending() -> int:
    """Queue every stored event not applied yet: when a worker starts and every minute, so an event whose
    worker died, or whose application failed (Stripe out of reach), is applied after all. Applying one is
    idempotent and locked, so queueing one a live worker is applying costs nothing."""
    from billing.account_services import STRIPE_EVENT_HANDLERS

    queued = 0
    for organization in Organization.objects.all():
        with tenant(organization):
            pending = list(
                StripeEvent.objects.filter(processed_at=None, type__in=STRIPE_EVENT_HANDLERS).values_list(
                    "pk", flat=True
                )
            )
        for event_id in pending:
            stripe_event_apply.delay(org_id=organization.pk, event_id=event_id)
            queued += 1
    return queued


@shared_task
def credit_expire_due() -> int:
    """Celery beat, daily: in each organization, expire what is left of credit past its date."""
    from billing import credit_services  # which import the services that enqueue this module's tasks

    expired = 0
    for organization in Organization.objects.all():
        with tenant(organization):
            expired += credit_services.credit_expire_due()
    return expired


@worker_ready.connect
def _apply_pending_on_start(**kwargs) -> None:
    stripe_events_apply_pending.delay()


EXPIRY_NOTICE = timedelta(days=7)
LAST_VISIT, EXPIRY = "last_visit", "expiry"


def _reminders_due(today) -> dict[str, Q]:
    """Which cards a reminder is due for, {reminder: condition}: usable cards (a visit left, not expired) with
    one visit left, or whose last day is within a week, not reminded yet."""
    usable = Q(used__lt=F("visits")) & (Q(valid_until=None) | Q(valid_until__gte=today))
    return {
        LAST_VISIT: usable & Q(used=F("visits") - 1, reminded_last_visit_at=None),
        EXPIRY: usable & Q(valid_until__lte=today + EXPIRY_NOTICE, reminded_expiry_at=None),
    }


@shared_task
def punch_card_reminders_send() -> int:
    """Celery beat, daily: queue a reminder for each punch card with one visit left or a week from expiry, in
    each organization's own today."""
    queued = 0
    for organization in Organization.objects.all():
        with tenant(organization):
            due = {
                reminder: list(PunchCard.objects.filter(condition).values_list("pk", flat=True))
                for reminder, condition in _reminders_due(organization_today()).items()
            }
        for reminder, card_ids in due.items():
            for card_id in card_ids:
                punch_card_remind.delay(org_id=organization.pk, card_id=card_id, reminder=reminder)
                queued += 1
    return queued


@tenant_task()
def punch_card_remind(*, org_id: int, card_id: int, reminder: str) -> None:
    """Email a card's holder (or the guardians who receive their notifications) one reminder, at most once:
    the card's row is locked and the reminder marked in the transaction that sends it, so a repeated task
    finds it sent and a failed send is tried again."""
    card = (
        PunchCard.objects.select_for_update(of=("self",))
        .select_related("organization", "purchase__package", "holder__user")
        .filter(_reminders_due(organization_today())[reminder], pk=card_id)
        .first()
    )
    if card is None or card.holder is None:
        return
    organization = card.organization
    subject = "One visit left" if reminder == LAST_VISIT else "Your visits expire soon"
    with timezone.override(organization.time_zone):
        for recipient in notification_recipients(card.holder):
            send_text_email(
                to=customer_email(recipient),
                subject=f"{subject}: {card.purchase.package.name}",
                template="billing/email/punch_card_reminder.txt",
                context={
                    "card": card,
                    "recipient": recipient,
                    "reminder": reminder,
                    "organization": organization,
                },
            )
    field = "reminded_last_visit_at" if reminder == LAST_VISIT else "reminded_expiry_at"
    PunchCard.objects.filter(pk=card.pk).update(**{field: timezone.now()})
