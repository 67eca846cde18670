"""The organization's Stripe account (Settings → Payments) and the events its webhook delivers."""

from collections.abc import Callable
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from billing import gateway, subscription_gateway
from billing.account import is_live_key, key_problems
from billing.card_services import card_keep, card_saved_forget, store_checkout_complete
from billing.charging import refund_record, store_client, stripe_call
from billing.models import (
    Checkout,
    Payment,
    PaymentAccount,
    PaymentAccountAudit,
    SavedCard,
    StripeCustomer,
    StripeEvent,
    Subscription,
)
from billing.secrets import encrypt
from billing.services import desk_card_sale_recover
from billing.subscription_services import invoice_apply, state_apply, subscription_recover
from billing.tasks import stripe_event_apply as stripe_event_apply_task


class PaymentKeysRefused(Exception):
    """Keys that cannot be connected; the message says why, beside `field` (None: the form as a whole)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _verified(secret_key: str) -> None:
    """Stripe accepts the key: one harmless read through it."""
    try:
        gateway.account_check(gateway.stripe_client(secret_key))
    except gateway.StripeUnavailable:
        raise PaymentKeysRefused("Stripe could not be reached, try again.") from None
    except gateway.PaymentError as refusal:
        raise PaymentKeysRefused(f"Stripe refused this key: {refusal.message}", field="secret_key") from None


def _mode_and_hint(account: PaymentAccount) -> str:
    return f"{account.mode_label} mode · key …{account.key_hint}"


@transaction.atomic
def payment_account_connect(
    *, secret_key: str, publishable_key: str, webhook_secret: str, by: User
) -> PaymentAccount:
    """Connect the organization's Stripe account, or replace its keys: each key checked for its kind and mode,
    the secret key proven with Stripe, then the secrets stored encrypted."""
    problems = key_problems(
        secret_key=secret_key, publishable_key=publishable_key, webhook_secret=webhook_secret
    )
    if problems:
        field, message = next(iter(problems.items()))
        raise PaymentKeysRefused(message, field=field)
    _verified(secret_key)
    account = PaymentAccount.objects.select_for_update().first()
    before = None if account is None else _mode_and_hint(account)
    account = account or PaymentAccount()
    account.secret_key_encrypted = encrypt(secret_key)
    account.publishable_key = publishable_key
    account.webhook_secret_encrypted = encrypt(webhook_secret)
    account.key_hint = secret_key[-4:]
    account.livemode = is_live_key(secret_key)
    account.connected_by = by
    account.connected_at = timezone.now()
    account.save()
    after = _mode_and_hint(account)
    if before is None:
        audit_record(action=PaymentAccountAudit.CONNECTED, by=by, target="Stripe", detail=after)
    else:
        audit_record(
            action=PaymentAccountAudit.KEYS_REPLACED,
            by=by,
            target="Stripe",
            detail=after,
            changes={"Keys": [before, after]},
        )
    return account


@transaction.atomic
def payment_account_disconnect(*, by: User) -> None:
    """Forget the organization's Stripe keys; the events already received stay in the log."""
    account = PaymentAccount.objects.select_for_update().first()
    if account is not None:
        detail = _mode_and_hint(account)
        account.delete()
        audit_record(action=PaymentAccountAudit.DISCONNECTED, by=by, target="Stripe", detail=detail)


def _payment_intent_succeeded(event: StripeEvent) -> None:
    """A payment succeeded: record the store checkout's purchase, unless the payer's browser already did, or a
    desk sale's whose record was lost. The event's copy of the intent is not trusted; both ask Stripe."""
    intent = event.payload.get("id", "")
    checkout = Checkout.objects.filter(payment_intent=intent).first() if intent else None
    if checkout is not None:
        store_checkout_complete(checkout=checkout)
    elif "roster_sale" in (event.payload.get("metadata") or {}):
        desk_card_sale_recover(payment_intent=intent)


def _charge_refunded(event: StripeEvent) -> None:
    """Money went back from a card payment: record the refunds Roster did not make (say, in the Stripe
    dashboard), as Stripe lists them; those Roster made are known by their id and left alone."""
    intent = event.payload.get("payment_intent") or ""
    payment = (
        Payment.objects.select_for_update()
        .select_related("purchase__package")
        .filter(stripe_payment_intent=intent)
        .first()
    )
    if not intent or payment is None:
        return
    known = set(payment.refunds.values_list("stripe_refund", flat=True))
    for refund in stripe_call(gateway.refunds_of, client=store_client(), payment_intent=intent):
        if refund.id not in known and refund.status in ("pending", "succeeded"):
            amount = min(refund.amount, payment.refundable)
            if amount:
                refund_record(
                    payment=payment,
                    amount=amount,
                    reason="Refunded in Stripe",
                    by=None,
                    stripe_refund=refund.id,
                )


def _payment_method_detached(event: StripeEvent) -> None:
    """A saved card was removed in Stripe: Roster stops offering it."""
    card = SavedCard.objects.select_related("customer").filter(
        stripe_payment_method=event.payload.get("id", "")
    )
    for each in card:
        card_saved_forget(card=each, by=None)


def _subscription_changed(event: StripeEvent) -> None:
    """A membership's subscription changed in Stripe (renewed, past due, paused, cancelled — by Roster, or
    in Stripe's customer portal): take its state as Stripe has it now, as two changes within one second
    cannot be ordered by their events."""
    stripe_subscription = event.payload.get("id") or ""
    subscription = (
        Subscription.objects.select_for_update()
        .select_related("package")
        .filter(stripe_subscription=stripe_subscription)
        .first()
    )
    if subscription is None and stripe_subscription:
        subscription_recover(stripe_subscription=stripe_subscription)
    elif subscription is not None:
        state = stripe_call(
            subscription_gateway.subscription_retrieve,
            client=store_client(),
            subscription=subscription.stripe_subscription,
        )
        state_apply(subscription=subscription, state=state, at=timezone.now())


def _invoice_changed(event: StripeEvent) -> None:
    """An invoice of a membership was paid (a renewal: recorded as a purchase), declined (past due, the payer
    emailed) or voided (a paused period)."""
    invoice = subscription_gateway.invoice_from(event.payload)
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("package", "member", "payer")
        .filter(stripe_subscription=invoice.subscription or "")
        .first()
    )
    if subscription is None and invoice.subscription:  # a sale lost after Stripe started it
        subscription = subscription_recover(stripe_subscription=invoice.subscription)
    if subscription is None:
        return
    if invoice.status == "paid" and not subscription_gateway.has_payments(event.payload):
        invoice = stripe_call(
            subscription_gateway.invoice_retrieve, client=store_client(), invoice=invoice.id
        )
    failed = event.type == "invoice.payment_failed"
    invoice_apply(subscription=subscription, invoice=invoice, at=event.created, failed=failed)


def _payment_method_attached(event: StripeEvent) -> None:
    """A card was added in Stripe (in its customer portal): Roster offers it too."""
    card = gateway.card_from(event.payload)
    known = StripeCustomer.objects.select_related("customer").filter(stripe_customer=card.customer or "")
    for each in known[:1]:
        card_keep(customer=each.customer, card=card, by=None)


# What applies each type of event Roster acts on. A handler may run again for an event (a delivery that
# failed half-way is retried), and events come in any order: each must be idempotent and order-independent.
STRIPE_EVENT_HANDLERS: dict[str, Callable[[StripeEvent], None]] = {
    "payment_intent.succeeded": _payment_intent_succeeded,
    "charge.refunded": _charge_refunded,
    "payment_method.detached": _payment_method_detached,
    "payment_method.attached": _payment_method_attached,
    "customer.subscription.updated": _subscription_changed,
    "customer.subscription.deleted": _subscription_changed,
    "invoice.paid": _invoice_changed,
    "invoice.payment_failed": _invoice_changed,
    "invoice.voided": _invoice_changed,
}


@transaction.atomic
def stripe_event_receive(*, event: gateway.StripeEvent) -> tuple[StripeEvent, bool]:
    """Keep a verified webhook event once by its Stripe id; the worker applies it once this commits, so Stripe
    has its answer at once. Returns the stored event and whether this delivery was its first."""
    stored, created = StripeEvent.objects.get_or_create(
        stripe_id=event.id,
        defaults={
            "type": event.type,
            "created": datetime.fromtimestamp(event.created, tz=UTC),
            "payload": event.object,
        },
    )
    if stored.type in STRIPE_EVENT_HANDLERS and stored.processed_at is None:
        stripe_event_apply_task.delay_on_commit(org_id=stored.organization_id, event_id=stored.pk)
    return stored, created


@transaction.atomic
def stripe_event_apply(*, event: StripeEvent) -> StripeEvent:
    """Apply a stored event, unless it was applied already. Its row is locked, so two workers given one event
    apply it once; should applying fail, or its worker die, nothing of it stays and it is applied again
    (billing.tasks.stripe_events_apply_pending)."""
    event = StripeEvent.objects.select_for_update().get(pk=event.pk)
    handler = STRIPE_EVENT_HANDLERS.get(event.type)
    if handler is not None and event.processed_at is None:
        handler(event)
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at"])
    return event
