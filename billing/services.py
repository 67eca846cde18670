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
from billing.account import PaymentsNotConnected, is_live_key, key_problems, stripe_client_for_org
from billing.models import (
    Channel,
    Checkout,
    CheckoutStatus,
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
    StripeCustomer,
    StripeEvent,
)
from billing.secrets import encrypt
from billing.selectors import may_buy_for, store_refusal
from billing.tasks import checkout_receipt_send
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


def _refuse_unless_sellable(package: Package, customer: Customer, *, store: bool = False) -> None:
    """Why `package` cannot be sold for `customer` now, raised as SaleError; the caller holds the package's
    row lock, so the capacity counted stays true until it commits. The store also sells only what it lists,
    inside the sale window."""
    if package.is_archived:
        raise SaleError(f"“{package.name}” is no longer sold.")
    if store:
        refusal = store_refusal(package)
        if refusal:
            raise SaleError(f"“{package.name}”: {refusal.lower()}.")
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


def _locked_for_sale(
    package: Package, customer: Customer, payer: Customer, *, store: bool = False
) -> Package:
    """The package, its row locked, once `payer` may buy it for `customer`: the checks every sale shares."""
    package = Package.objects.select_for_update().get(pk=package.pk)
    if not may_buy_for(payer, customer):
        raise SaleError(f"{payer.full_name} may not buy for {customer.full_name}.")
    _refuse_unless_sellable(package, customer, store=store)
    return package


def _purchase_record(
    *,
    package: Package,
    customer: Customer,
    payer: Customer,
    channel: str,
    payment: Payment,
    by: User | None,
) -> Purchase:
    """The purchase of a package already checked and locked, its payment (unsaved, filled in by the caller),
    the customers' activity and the organization's audit event."""
    purchase = Purchase.objects.create(
        package=package,
        customer=customer,
        customer_label=customer.full_name,
        payer=payer,
        payer_label=payer.full_name,
        price=package.price,
        tax=package.tax_amount,
        currency=package.currency,
        channel=channel,
        sold_by=by if channel == Channel.STAFF else None,
    )
    payment.purchase = purchase
    payment.amount = purchase.total
    payment.currency = purchase.currency
    payment.save()
    paid = f"{format_minor(payment.amount, payment.currency)} {payment.method_display.lower()}"
    for_whom = "" if payer.pk == customer.pk else f" for {customer.full_name}"
    paid_by = "" if payer.pk == customer.pk else f", paid by {payer.full_name}"
    online = " · online store" if channel == Channel.STORE else ""
    activities_record(
        labels={customer.pk: customer.full_name, payer.pk: payer.full_name},
        by=by,
        kind=PaymentEvent.PURCHASE,
        detail=f"“{package.name}”{for_whom} · {paid}{paid_by}{online}",
    )
    audit_record(
        action=PaymentAudit.SALE_RECORDED,
        by=by,
        target=package.name,
        detail=f"{customer.full_name} · {paid}{online}",
    )
    return purchase


@transaction.atomic
def sale_record(
    *, package: Package, customer: Customer, payer: Customer, method: str, reference: str = "", by: User
) -> Purchase:
    """Staff sell `package` for `customer`, paid by `payer` (the customer, or someone allowed to buy for them)
    in cash, by cheque or on an external terminal. The package row is locked while its capacity is counted, so
    two sales of the last spot cannot both succeed."""
    if method == Method.CARD:
        raise SaleError("Card payments are taken through Stripe.")
    package = _locked_for_sale(package, customer, payer)
    payment = Payment(method=method, reference=reference.strip(), taken_by=by)
    return _purchase_record(
        package=package, customer=customer, payer=payer, channel=Channel.STAFF, payment=payment, by=by
    )


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


# The online store: a customer pays by card, the purchase is recorded once Stripe says the payment succeeded


def _stripe_customer_for(client: gateway.Client, payer: Customer) -> str:
    """The payer's Stripe customer in the organization's account, made the first time they pay online."""
    known = StripeCustomer.objects.filter(customer=payer).first()
    if known is not None:
        return known.stripe_customer
    stripe_customer = gateway.customer_create(
        client,
        email=payer.email or None,
        name=payer.full_name,
        metadata={"roster_organization": str(payer.organization_id), "roster_customer": str(payer.pk)},
        idempotency_key=f"roster-customer-{payer.organization_id}-{payer.pk}",
    )
    StripeCustomer.objects.create(customer=payer, stripe_customer=stripe_customer)
    return stripe_customer


def _stripe_call(call: Callable, **arguments):
    """A gateway call whose failure the payer reads as a SaleError."""
    try:
        return call(**arguments)
    except gateway.CardDeclined as declined:
        raise SaleError(declined.message) from None
    except gateway.StripeUnavailable:
        raise SaleError("Card payments are unavailable right now: try again in a few minutes.") from None
    except gateway.PaymentError:
        raise SaleError("Card payments are unavailable right now: the business has been told.") from None


def _store_client() -> gateway.Client:
    try:
        return stripe_client_for_org()
    except PaymentsNotConnected:
        raise SaleError("This store does not take card payments yet.") from None


@transaction.atomic
def store_checkout_start(*, package: Package, customer: Customer, payer: Customer) -> Checkout:
    """Begin buying `package` for `customer`, paid by `payer` by card in the online store: the same checks as
    a sale at the desk, then a PaymentIntent for price and tax in the organization's Stripe account, which the
    payer's browser confirms with Stripe.js (selectors.checkout_client_secret)."""
    client = _store_client()
    package = _locked_for_sale(package, customer, payer, store=True)
    checkout = Checkout.objects.create(
        package=package,
        customer=customer,
        payer=payer,
        amount=package.price + package.tax_amount,
        currency=package.currency,
    )
    stripe_customer = _stripe_call(_stripe_customer_for, client=client, payer=payer)
    intent = _stripe_call(
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
    client = _store_client()
    intent = _stripe_call(
        gateway.payment_intent_retrieve, client=client, payment_intent=checkout.payment_intent
    )
    if intent.status != "succeeded":
        return checkout
    if intent.amount != checkout.amount or intent.currency.upper() != checkout.currency:
        raise SaleError("The amount paid does not match this checkout.")
    checkout.completed_at = timezone.now()
    package = Package.objects.select_for_update().get(pk=checkout.package_id)
    if package.capacity is not None and Purchase.objects.filter(package=package).count() >= package.capacity:
        _stripe_call(
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
    checkout.completed_purchase = _purchase_record(
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
