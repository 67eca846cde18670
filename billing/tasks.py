"""Billing's work for the worker: the receipt of an online store purchase, emailed after it commits."""

from django.conf import settings
from django.urls import reverse

from accounts.tasks import send_text_email
from accounts.tenancy import tenant_task
from billing.models import Checkout, CheckoutStatus


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
    send_text_email(
        to=email,
        subject=f"Your receipt from {' '.join(organization.name.split())}",
        template="billing/email/receipt.txt",
        context=context,
    )
