"""Card payments through the organization's Stripe account: saved cards, and the online store's checkout,
recorded once Stripe says the payment succeeded.

Card numbers never reach Roster: the payer's browser gives the card to Stripe.js, which saves it to the
payer's Stripe customer through a SetupIntent; Roster then charges that card by its id (`pm_…`). The same
path serves a card typed once (forgotten after the payment) and a card kept for next time."""

import logging
import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from billing import gateway, subscription_gateway
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
    PackageKind,
    Payment,
    PaymentEvent,
    SavedCard,
    SpotHold,
    StripeCustomer,
)
from billing.selectors import may_pay_with_saved_cards
from billing.spots import checkout_paid, spots_taken
from billing.subscription_services import subscription_start
from billing.tasks import checkout_receipt_send
from customers.models import Customer
from customers.services import activity_record

logger = logging.getLogger(__name__)


@transaction.atomic
def store_checkout_start(
    *,
    package: Package,
    customer: Customer,
    payer: Customer,
    invited: bool = False,
    hold: SpotHold | None = None,
    return_path: str = "",
) -> Checkout:
    """Begin buying `package` for `customer`, paid by `payer` by card in the online store: the same checks as
    a sale at the desk, then a PaymentIntent for price and tax in the organization's Stripe account, which the
    payer's browser confirms with Stripe.js (selectors.checkout_client_secret). `invited`: bought through an
    invitation or a booking (a package sold only that way may be); `hold`: the spot kept for `customer` it
    takes; `return_path`: the page the payer sees once it is paid, instead of the receipt."""
    client = store_client()
    package = locked_for_sale(package, customer, payer, store=True, invited=invited, hold=hold)
    membership = package.kind == PackageKind.MEMBERSHIP
    if membership and not may_pay_with_saved_cards(payer, customer):  # its renewals charge the payer's card
        raise SaleError(
            f"Your cards cannot pay for {customer.first_name}'s renewals: a membership for them needs the "
            "permission to pay with your saved cards."
        )
    checkout = Checkout.objects.create(
        package=package,
        customer=customer,
        payer=payer,
        amount=package.price
        + package.tax_amount
        + (package.signup_fee + package.signup_fee_tax if membership else 0),
        currency=package.currency,
        invited=invited,
        hold=hold,
        return_path=return_path,
    )
    if membership:  # Stripe charges its subscription's first invoice once the payer chose a card
        return checkout
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
    checkout = (
        Checkout.objects.select_for_update(of=("self",))
        .select_related("customer", "payer", "hold")
        .get(pk=checkout.pk)
    )
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
    if package.capacity is not None and spots_taken(package, but=checkout.hold) >= package.capacity:
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
    _forget_unless_kept(client, intent.payment_method)
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
    return _paid(checkout)


def _paid(checkout: Checkout) -> Checkout:
    """A checkout whose purchase was just recorded: the spot held for it is taken, whoever waits for it (an
    invitation, a waitlist offer) hears of it, and the payer gets a receipt once it commits."""
    checkout.completed_at = checkout.completed_at or timezone.now()
    checkout.status = CheckoutStatus.PAID
    checkout.save(update_fields=["status", "completed_at", "completed_purchase"])
    if checkout.hold is not None:
        checkout.hold.purchase = checkout.completed_purchase
        checkout.hold.save(update_fields=["purchase"])
    checkout_paid.send(sender=Checkout, checkout=checkout)
    checkout_receipt_send.delay_on_commit(org_id=checkout.organization_id, checkout_id=checkout.pk)
    return checkout


def _membership_checkout_pay(checkout: Checkout, card: SavedCard, attempt: uuid.UUID) -> Checkout:
    """A membership bought in the store: Stripe starts its subscription, charging the first period to the
    payer's card, or declines it (SaleError, the checkout stays open for another card)."""
    package = locked_for_sale(
        checkout.package,
        checkout.customer,
        checkout.payer,
        store=True,
        invited=checkout.invited,
        hold=checkout.hold,
    )
    checkout.completed_purchase = subscription_start(
        package=package,
        member=checkout.customer,
        payer=checkout.payer,
        card=card,
        channel=Channel.STORE,
        attempt=attempt,
        by=checkout.payer.user,
    )
    return _paid(checkout)


def _forget_unless_kept(client: gateway.Client, payment_method: str | None) -> None:
    """A card typed for one payment, not ticked to keep, is detached from the payer in Stripe once it paid.
    Best effort: should Stripe be out of reach, the card stays unseen in Stripe, never offered by Roster."""
    if payment_method and not SavedCard.objects.filter(stripe_payment_method=payment_method).exists():
        try:
            gateway.payment_method_detach(client, payment_method=payment_method)
        except gateway.PaymentError:
            logger.warning("Could not detach the one-time card %s", payment_method)


def _set_up_card(client: gateway.Client, customer: Customer, setup_intent: str) -> gateway.StripeCard:
    """The card that `customer`'s browser just saved through a SetupIntent; refused for anyone else's."""
    stripe_customer = (
        StripeCustomer.objects.filter(customer=customer).values_list("stripe_customer", flat=True).first()
    )
    if not setup_intent.startswith("seti_") or stripe_customer is None:
        raise SaleError("This card was not set up here: enter it again.")
    intent = stripe_call(gateway.setup_intent_retrieve, client=client, setup_intent=setup_intent)
    if intent.customer != stripe_customer or intent.card is None:
        raise SaleError("This card was not set up here: enter it again.")
    if intent.status != "succeeded":
        raise SaleError("The card has not been confirmed with your bank yet: try again.")
    return intent.card


@transaction.atomic
def card_keep(*, customer: Customer, card: gateway.StripeCard, by: User | None) -> SavedCard:
    """Keep a card Stripe saved to `customer` (set up here, or added in Stripe's customer portal), once."""
    saved, created = SavedCard.objects.get_or_create(
        stripe_payment_method=card.payment_method,
        defaults={
            "customer": customer,
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "is_default": not SavedCard.objects.filter(customer=customer, is_default=True).exists(),
        },
    )
    if saved.customer_id != customer.pk:
        raise SaleError("This card was not set up here: enter it again.")
    if created:
        activity_record(customer=customer, by=by, kind=PaymentEvent.CARD_SAVED, detail=str(saved))
    return saved


@transaction.atomic
def card_setup_start(*, customer: Customer) -> gateway.StripeSetupIntent:
    """Begin saving a card for `customer`: a SetupIntent in the organization's Stripe account that their
    browser confirms with Stripe.js, then hands to card_save or store_checkout_pay."""
    client = store_client()
    stripe_customer = stripe_call(stripe_customer_for, client=client, payer=customer)
    return stripe_call(
        gateway.setup_intent_create,
        client=client,
        customer=stripe_customer,
        metadata={"roster_organization": str(customer.organization_id), "roster_customer": str(customer.pk)},
        idempotency_key=f"roster-card-setup-{uuid.uuid4()}",
    )


@transaction.atomic
def card_save(*, customer: Customer, setup_intent: str, by: User | None) -> SavedCard:
    """Keep the card `customer` set up for next time; their first card becomes their default."""
    return card_keep(customer=customer, card=_set_up_card(store_client(), customer, setup_intent), by=by)


@transaction.atomic
def card_make_default(*, card: SavedCard) -> SavedCard:
    """The card the store offers first, and staff see first."""
    card = SavedCard.objects.select_for_update().get(pk=card.pk)
    SavedCard.objects.filter(customer_id=card.customer_id, is_default=True).exclude(pk=card.pk).update(
        is_default=False
    )
    if not card.is_default:
        card.is_default = True
        card.save(update_fields=["is_default"])
    return card


@transaction.atomic
def card_remove(*, card: SavedCard, by: User | None) -> None:
    """Forget a saved card, in Stripe first; the newest other card becomes the default."""
    card = SavedCard.objects.select_for_update().select_related("customer").get(pk=card.pk)
    client = store_client()
    stripe_call(gateway.payment_method_detach, client=client, payment_method=card.stripe_payment_method)
    card_saved_forget(card=card, by=by)


@transaction.atomic
def card_saved_forget(*, card: SavedCard, by: User | None) -> None:
    """Drop Roster's copy of a card Stripe no longer holds (removed here, or detached in Stripe)."""
    label, customer = str(card), card.customer
    card.delete()
    if card.is_default:
        newest = SavedCard.objects.filter(customer=customer).order_by("-created_at", "-id").first()
        if newest is not None:
            card_make_default(card=newest)
    activity_record(customer=customer, by=by, kind=PaymentEvent.CARD_REMOVED, detail=label)


@transaction.atomic
def store_checkout_pay(
    *,
    checkout: Checkout,
    attempt: uuid.UUID,
    card: SavedCard | None = None,
    setup_intent: str = "",
    keep_card: bool = False,
) -> Checkout:
    """Charge a checkout with one of the payer's saved cards, or with the card their browser just set up
    (kept for next time when they ticked it). Stripe takes the money (the purchase is recorded), asks the
    payer's bank for 3-D Secure (the checkout stays open, for Stripe.js to finish), or declines (SaleError).
    `attempt` names this try: the same form posted twice charges once, a new try after a decline is new."""
    checkout = (
        Checkout.objects.select_for_update()
        .select_related("customer", "payer", "package")
        .get(pk=checkout.pk)
    )
    if checkout.status != CheckoutStatus.OPEN:
        return checkout
    client = store_client()
    by = checkout.payer.user
    if card is not None:
        if card.customer_id != checkout.payer_id:
            raise SaleError("Choose one of your own cards.")
        if not may_pay_with_saved_cards(checkout.payer, checkout.customer):
            raise SaleError(
                f"Your saved cards cannot pay for {checkout.customer.first_name}: "
                "enter a card for this payment."
            )
        payment_method = card.stripe_payment_method
    else:
        set_up = _set_up_card(client, checkout.payer, setup_intent)
        payment_method = set_up.payment_method
        if keep_card or checkout.package.kind == PackageKind.MEMBERSHIP:  # a membership renews with it
            card = card_keep(customer=checkout.payer, card=set_up, by=by)
    if checkout.package.kind == PackageKind.MEMBERSHIP:
        return _membership_checkout_pay(checkout, card, attempt)
    intent = stripe_call(
        gateway.payment_intent_confirm,
        client=client,
        payment_intent=checkout.payment_intent,
        payment_method=payment_method,
        idempotency_key=f"roster-checkout-{checkout.reference}-confirm-{attempt}",
    )
    if intent.status == "succeeded":
        return store_checkout_complete(checkout=checkout)
    if intent.status in ("requires_action", "processing"):
        return checkout
    raise SaleError(intent.failure_message or "The card was declined.")


@transaction.atomic
def stripe_portal_start(*, customer: Customer, return_url: str) -> str:
    """Where `customer` manages their cards and memberships in Stripe's customer portal, in the organization's
    account; it sends them back to `return_url`."""
    known = StripeCustomer.objects.filter(customer=customer).first()
    if known is None:
        raise SaleError("You have no cards or memberships with us yet.")
    return stripe_call(
        subscription_gateway.billing_portal_session_create,
        client=store_client(),
        customer=known.stripe_customer,
        return_url=return_url,
    )
