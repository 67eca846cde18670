"""Billing's work for the worker: the receipt of an online store purchase and the notice of a refund, emailed
after they commit, with dates in the organization's time zone; Stripe events to apply; credit to expire."""

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.tasks import send_text_email
from accounts.tenancy import tenant, tenant_task
from billing.models import Checkout, CheckoutStatus, Refund, StripeEvent


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
    email = payer.user.email if payer.user_id else payer.email
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
    email = payer and (payer.user.email if payer.user_id else payer.email)
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
