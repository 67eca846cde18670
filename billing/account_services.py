"""The organization's Stripe account (Settings → Payments) and the events its webhook delivers."""

from collections.abc import Callable
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from billing import gateway
from billing.account import is_live_key, key_problems
from billing.card_services import store_checkout_complete
from billing.models import (
    Checkout,
    PaymentAccount,
    PaymentAccountAudit,
    StripeEvent,
)
from billing.secrets import encrypt


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


def _event_noted(event: StripeEvent) -> None:
    """Kept as received: nothing acts on it yet."""


def _payment_intent_succeeded(event: StripeEvent) -> None:
    """A store checkout's payment succeeded: record it, unless the payer's browser already did. The event's
    copy of the intent is not trusted; store_checkout_complete asks Stripe."""
    checkout = Checkout.objects.filter(payment_intent=event.payload.get("id", "")).first()
    if checkout is not None and checkout.payment_intent:
        store_checkout_complete(checkout=checkout)


# What applies each type of event Roster acts on. A handler may run again for an event (a delivery that
# failed half-way is retried), and events come in any order: each must be idempotent and order-independent.
STRIPE_EVENT_HANDLERS: dict[str, Callable[[StripeEvent], None]] = {
    "payment_intent.succeeded": _payment_intent_succeeded,
    "charge.refunded": _event_noted,
}


@transaction.atomic
def stripe_event_receive(*, event: gateway.StripeEvent) -> tuple[StripeEvent, bool]:
    """Keep a verified webhook event once by its Stripe id and apply it, unless it was applied already.
    Returns the stored event and whether this delivery was its first."""
    stored, created = StripeEvent.objects.get_or_create(
        stripe_id=event.id,
        defaults={
            "type": event.type,
            "created": datetime.fromtimestamp(event.created, tz=UTC),
            "payload": event.object,
        },
    )
    handler = STRIPE_EVENT_HANDLERS.get(stored.type)
    if handler is not None and stored.processed_at is None:
        # Locked, so two deliveries of one event at once apply it once.
        stored = StripeEvent.objects.select_for_update().get(pk=stored.pk)
        if stored.processed_at is None:
            handler(stored)
            stored.processed_at = timezone.now()
            stored.save(update_fields=["processed_at"])
    return stored, created
