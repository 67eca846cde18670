"""Card payments through the organization's Stripe account: the online store's checkout, recorded once
Stripe says the payment succeeded."""

from django.db import transaction
from django.utils import timezone

from billing import gateway
from billing.charging import (
    SaleError,
    locked_for_sale,
    purchase_record,
    store_client,
    stripe_call,
    stripe_customer_for,
)
from billing.models import (
    Channel,
    Checkout,
    CheckoutStatus,
    Method,
    Package,
    Payment,
    Purchase,
)
from billing.tasks import checkout_receipt_send
from customers.models import Customer


@transaction.atomic
def store_checkout_start(*, package: Package, customer: Customer, payer: Customer) -> Checkout:
    """Begin buying `package` for `customer`, paid by `payer` by card in the online store: the same checks as
    a sale at the desk, then a PaymentIntent for price and tax in the organization's Stripe account, which the
    payer's browser confirms with Stripe.js (selectors.checkout_client_secret)."""
    client = store_client()
    package = locked_for_sale(package, customer, payer, store=True)
    checkout = Checkout.objects.create(
        package=package,
        customer=customer,
        payer=payer,
        amount=package.price + package.tax_amount,
        currency=package.currency,
    )
    stripe_customer = stripe_call(stripe_customer_for, client=client, payer=payer)
    intent = stripe_call(
        gateway.payment_intent_create,
        client=client,
        amount=checkout.amount,
        currency=checkout.currency,
        customer=stripe_customer,
        payment_method=None,
        metadata={
            "roster_organization": str(checkout.organization_id),
            "roster_checkout": str(checkout.pk),
            "roster_package": str(package.pk),
            "roster_customer": str(customer.pk),
            "roster_payer": str(payer.pk),
        },
        idempotency_key=f"roster-checkout-{checkout.reference}-intent",
    )
    checkout.payment_intent = intent.id
    checkout.save(update_fields=["payment_intent"])
    return checkout


@transaction.atomic
def store_checkout_complete(*, checkout: Checkout) -> Checkout:
    """Record the purchase of a checkout whose PaymentIntent Stripe says succeeded, exactly once: the payer's
    browser and Stripe's webhook both call this, and whichever comes second finds it done. Asked before the
    card is charged, it changes nothing. Should the package have sold out while the payer typed their card,
    the money goes back at once and the checkout says so."""
    checkout = Checkout.objects.select_for_update().select_related("customer", "payer").get(pk=checkout.pk)
    if checkout.status != CheckoutStatus.OPEN or not checkout.payment_intent:
        return checkout
    client = store_client()
    intent = stripe_call(
        gateway.payment_intent_retrieve, client=client, payment_intent=checkout.payment_intent
    )
    if intent.status != "succeeded":
        return checkout
    if intent.amount != checkout.amount or intent.currency.upper() != checkout.currency:
        raise SaleError("The amount paid does not match this checkout.")
    checkout.completed_at = timezone.now()
    package = Package.objects.select_for_update().get(pk=checkout.package_id)
    if package.capacity is not None and Purchase.objects.filter(package=package).count() >= package.capacity:
        stripe_call(
            gateway.refund_create,
            client=client,
            payment_intent=intent.id,
            amount=intent.amount,
            reason="requested_by_customer",
            idempotency_key=f"roster-checkout-{checkout.reference}-sold-out",
        )
        checkout.status = CheckoutStatus.REFUNDED
        checkout.save(update_fields=["status", "completed_at"])
        return checkout
    payer_login = checkout.payer.user
    payment = Payment(
        method=Method.CARD,
        card_brand=intent.card_brand,
        card_last4=intent.card_last4,
        stripe_payment_intent=intent.id,
    )
    checkout.completed_purchase = purchase_record(
        package=package,
        customer=checkout.customer,
        payer=checkout.payer,
        channel=Channel.STORE,
        payment=payment,
        by=payer_login,
    )
    checkout.status = CheckoutStatus.PAID
    checkout.save(update_fields=["status", "completed_at", "completed_purchase"])
    checkout_receipt_send.delay_on_commit(org_id=checkout.organization_id, checkout_id=checkout.pk)
    return checkout
