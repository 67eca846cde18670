"""Writes of billing: packages (Settings → Packages), sales and refunds. Each sale and refund writes the
customers' activity events and the organization's audit event in its transaction."""

from collections.abc import Callable
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import User
from accounts.money import format_minor
from billing import gateway
from billing.account import is_live_key, key_problems
from billing.models import (
    Channel,
    ForWhom,
    Method,
    Package,
    PackageAudit,
    Payment,
    PaymentAccount,
    PaymentAccountAudit,
    PaymentAudit,
    PaymentEvent,
    Purchase,
    Refund,
    StripeEvent,
)
from billing.secrets import encrypt
from billing.selectors import may_buy_for
from customers.models import Customer
from customers.services import activities_record


class SaleError(Exception):
    """A sale that cannot be made; the message says why, for staff or the customer."""


AUDITED = [
    "name",
    "description",
    "kind",
    "price",
    "tax_rate",
    "capacity",
    "visits",
    "interval",
    "visibility",
    "for_whom",
    "min_age",
    "max_age",
    "sale_starts_at",
    "sale_ends_at",
]


@transaction.atomic
def package_save(*, package: Package, by: User | None) -> Package:
    """Add a package (priced in the organization's currency) or change one."""
    created = package.pk is None
    changes = changes_of(package, AUDITED)
    if "Price" in changes:
        changes["Price"] = [format_minor(amount, package.currency) for amount in changes["Price"]]
    package.save()
    if created or changes:
        audit_record(
            action=PackageAudit.CREATED if created else PackageAudit.CHANGED,
            by=by,
            target=package.name,
            detail=package.price_display if created else "",
            changes={} if created else changes,
        )
    return package


@transaction.atomic
def package_archive(*, package: Package, by: User) -> None:
    """Off sale and out of the store; kept for what was sold."""
    if package.archived_at is None:
        package.archived_at = timezone.now()
        package.save(update_fields=["archived_at"])
        audit_record(action=PackageAudit.ARCHIVED, by=by, target=package.name)


@transaction.atomic
def package_restore(*, package: Package, by: User) -> None:
    if package.archived_at is not None:
        package.archived_at = None
        package.save(update_fields=["archived_at"])
        audit_record(action=PackageAudit.RESTORED, by=by, target=package.name)


def _refuse_unless_sellable(package: Package, customer: Customer) -> None:
    if package.is_archived:
        raise SaleError(f"“{package.name}” is no longer sold.")
    if package.capacity is not None:
        sold = Purchase.objects.filter(package=package).aggregate(sold=Count("id"))["sold"]
        if sold >= package.capacity:
            raise SaleError(f"“{package.name}” is sold out.")
    age = customer.age
    if package.for_whom == ForWhom.CHILD and age is not None:
        low, high = package.min_age or 0, package.max_age if package.max_age is not None else 17
        if not low <= age <= high:
            raise SaleError(
                f"{customer.first_name} is {age}; “{package.name}” is for {package.audience.lower()}."
            )
    if package.for_whom == ForWhom.ADULT and age is not None and age < 18:
        raise SaleError(f"{customer.first_name} is {age}; “{package.name}” is for adults.")


@transaction.atomic
def sale_record(
    *, package: Package, customer: Customer, payer: Customer, method: str, reference: str = "", by: User
) -> Purchase:
    """Staff sell `package` for `customer`, paid by `payer` (the customer, or someone allowed to buy for them)
    in cash, by cheque or on an external terminal. The package row is locked while its capacity is counted, so
    two sales of the last spot cannot both succeed."""
    if method == Method.CARD:
        raise SaleError("Card payments are taken through Stripe.")
    package = Package.objects.select_for_update().get(pk=package.pk)
    if not may_buy_for(payer, customer):
        raise SaleError(f"{payer.full_name} may not buy for {customer.full_name}.")
    _refuse_unless_sellable(package, customer)
    tax = package.tax_amount
    purchase = Purchase.objects.create(
        package=package,
        customer=customer,
        customer_label=customer.full_name,
        payer=payer,
        payer_label=payer.full_name,
        price=package.price,
        tax=tax,
        currency=package.currency,
        channel=Channel.STAFF,
        sold_by=by,
    )
    payment = Payment.objects.create(
        purchase=purchase,
        amount=purchase.total,
        currency=purchase.currency,
        method=method,
        reference=reference.strip(),
        taken_by=by,
    )
    paid = f"{format_minor(payment.amount, payment.currency)} {payment.method_display.lower()}"
    for_whom = "" if payer.pk == customer.pk else f" for {customer.full_name}"
    paid_by = "" if payer.pk == customer.pk else f", paid by {payer.full_name}"
    activities_record(
        labels={customer.pk: customer.full_name, payer.pk: payer.full_name},
        by=by,
        kind=PaymentEvent.PURCHASE,
        detail=f"“{package.name}”{for_whom} · {paid}{paid_by}",
    )
    audit_record(
        action=PaymentAudit.SALE_RECORDED, by=by, target=package.name, detail=f"{customer.full_name} · {paid}"
    )
    return purchase


@transaction.atomic
def payment_refund(*, payment: Payment, amount: int, reason: str, by: User) -> Refund:
    """Give back `amount` (minor units) of a payment, never more than what remains of it."""
    payment = Payment.objects.select_for_update().select_related("purchase__package").get(pk=payment.pk)
    reason = " ".join(reason.split())
    if not reason:
        raise SaleError("Say why the money goes back.")
    if amount <= 0:
        raise SaleError("Refund more than nothing.")
    if amount > payment.refundable:
        raise SaleError(
            f"Only {format_minor(payment.refundable, payment.currency)} of this payment is left to refund."
        )
    refund = Refund.objects.create(payment=payment, amount=amount, reason=reason, by=by)
    payment.refunded += amount
    payment.save(update_fields=["refunded"])
    purchase = payment.purchase
    money = format_minor(amount, payment.currency)
    labels = {
        pk: label
        for pk, label in (
            (purchase.customer_id, purchase.customer_label),
            (purchase.payer_id, purchase.payer_label),
        )
        if pk
    }
    activities_record(
        labels=labels,
        by=by,
        kind=PaymentEvent.REFUND,
        detail=f"{money} of “{purchase.package.name}” · {reason}",
    )
    audit_record(
        action=PaymentAudit.REFUND_MADE,
        by=by,
        target=purchase.package.name,
        detail=f"{purchase.payer_label} · {money} · {reason}",
    )
    return refund


# The organization's Stripe account (Settings → Payments) and the events its webhook delivers


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
    """Kept as received: the online store will act on it."""


# What applies each type of event Roster acts on. A handler may run again for an event (a delivery that
# failed half-way is retried), and events come in any order: each must be idempotent and order-independent.
STRIPE_EVENT_HANDLERS: dict[str, Callable[[StripeEvent], None]] = {
    "payment_intent.succeeded": _event_noted,
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
