"""Writes of billing: packages (Settings → Packages), sales at the desk and refunds. Each sale and refund
writes the customers' activity events and the organization's audit event in its transaction."""

import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import User
from accounts.money import format_minor
from accounts.tenancy import current_organization
from billing import gateway
from billing.charging import (
    SaleError,
    locked_for_sale,
    purchase_record,
    refund_record,
    store_client,
    stripe_call,
    stripe_customer_for,
)
from billing.credit import ledger_append, ledger_lock
from billing.models import (
    Channel,
    CreditKind,
    Method,
    Package,
    PackageAudit,
    PackageKind,
    Payment,
    Purchase,
    Refund,
    SavedCard,
    SpotHold,
)
from billing.selectors import may_pay_with_saved_cards
from billing.spots import spot_freed, spots_taken
from billing.subscription_services import subscription_start
from customers.models import Customer

AUDITED = [
    "name",
    "description",
    "kind",
    "price",
    "tax_rate",
    "capacity",
    "visits",
    "valid_days",
    "interval",
    "interval_count",
    "signup_fee",
    "minimum_periods",
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
    if "Capacity" in changes:
        before, after = changes["Capacity"]
        if before is not None and (after is None or after > before):  # more spots: someone may be waiting
            spot_freed.send(sender=Package, package=package)
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


@transaction.atomic
def sale_record(
    *,
    package: Package,
    customer: Customer,
    payer: Customer,
    method: str,
    reference: str = "",
    card: SavedCard | None = None,
    attempt: uuid.UUID | None = None,
    by: User,
) -> Purchase:
    """Staff sell `package` for `customer`, paid by `payer` (the customer, or someone allowed to buy for them)
    in cash, by cheque, on an external terminal, from the payer's credit balance, or with one of the payer's
    saved cards charged through Stripe (the payer away from the screen; `attempt` names the try, so a form
    posted twice charges once). The package row is locked while its capacity is counted, so two sales of the
    last spot cannot both succeed."""
    if method == Method.CARD:
        if card is None or attempt is None:
            raise SaleError("Choose one of the payer's saved cards.")
        if card.customer_id != payer.pk:
            raise SaleError(f"That card is not {payer.first_name}'s.")
        if not may_pay_with_saved_cards(payer, customer):
            raise SaleError(f"{payer.first_name} may not pay for {customer.first_name} with saved cards.")
    package = locked_for_sale(package, customer, payer)
    if package.kind == PackageKind.MEMBERSHIP:
        if method != Method.CARD:
            raise SaleError(f"A membership renews by card: charge one of {payer.first_name}'s saved cards.")
        return subscription_start(
            package=package,
            member=customer,
            payer=payer,
            card=card,
            channel=Channel.STAFF,
            attempt=attempt,
            by=by,
        )
    if method == Method.CREDIT:  # now: the purchase key-share-locks the payer; two spenders would deadlock
        ledger_lock(payer)
    payment = Payment(method=method, reference=reference.strip(), taken_by=by)
    if method == Method.CARD:
        intent = _saved_card_charge(package=package, customer=customer, card=card, attempt=attempt, by=by)
        if intent.status != "succeeded":
            raise SaleError(
                "The card's bank wants the cardholder to confirm this payment: "
                "ask them to pay in the online store."
            )
        same = Payment.objects.filter(stripe_payment_intent=intent.id).select_related("purchase").first()
        if same is not None:  # the same form, posted again: Stripe answered as the first time
            return same.purchase
        payment.card_brand, payment.card_last4 = card.brand, card.last4
        payment.stripe_payment_intent = intent.id
    purchase = purchase_record(
        package=package, customer=customer, payer=payer, channel=Channel.STAFF, payment=payment, by=by
    )
    if method == Method.CREDIT:
        total = format_minor(payment.amount, payment.currency)
        ledger_append(
            customer=payer,
            amount=-payment.amount,
            kind=CreditKind.SPENT,
            reason=f"{total} for “{package.name}”",
            payment=payment,
            by=by,
        )
    return purchase


def _saved_card_charge(
    *, package: Package, customer: Customer, card: SavedCard, attempt: uuid.UUID, by: User
) -> gateway.StripePaymentIntent:
    client = store_client()
    return stripe_call(
        gateway.payment_intent_charge_saved_card,
        client=client,
        amount=package.price + package.tax_amount,
        currency=package.currency,
        customer=stripe_call(stripe_customer_for, client=client, payer=card.customer),
        payment_method=card.stripe_payment_method,
        metadata={
            "roster_organization": str(package.organization_id),
            "roster_sale": str(attempt),
            "roster_package": str(package.pk),
            "roster_customer": str(customer.pk),
            "roster_payer": str(card.customer_id),
            "roster_staff": str(by.pk),
        },
        idempotency_key=f"roster-sale-{attempt}",
    )


@transaction.atomic
def desk_card_sale_recover(*, payment_intent: str) -> Purchase | None:
    """Record a desk sale whose saved card Stripe charged but whose record was lost (the process died before
    it committed), from what the sale wrote on the PaymentIntent; once, whoever asks. Stripe is asked, not
    the webhook's copy; an intent of another organization or not Roster's desk sale is left alone."""
    client = store_client()
    intent = stripe_call(gateway.payment_intent_retrieve, client=client, payment_intent=payment_intent)
    about = intent.metadata or {}
    if intent.status != "succeeded" or "roster_sale" not in about:
        return None
    if about.get("roster_organization") != str(current_organization().pk):
        return None
    known = Payment.objects.filter(stripe_payment_intent=intent.id).select_related("purchase").first()
    if known is not None:
        return known.purchase
    package = Package.objects.select_for_update().get(pk=about["roster_package"])
    customer = Customer.objects.get(pk=about["roster_customer"])
    payer = Customer.objects.get(pk=about["roster_payer"])
    staff = User.objects.filter(pk=about.get("roster_staff"), memberships__isnull=False).first()
    card = SavedCard.objects.filter(stripe_payment_method=intent.payment_method).first()
    payment = Payment(
        method=Method.CARD,
        card_brand=card.brand if card else intent.card_brand,
        card_last4=card.last4 if card else intent.card_last4,
        stripe_payment_intent=intent.id,
        reference="Recorded from Stripe",
        taken_by=staff,
    )
    return purchase_record(
        package=package, customer=customer, payer=payer, channel=Channel.STAFF, payment=payment, by=staff
    )


@transaction.atomic
def payment_refund(*, payment: Payment, amount: int, reason: str, by: User | None) -> Refund:
    """Give back `amount` (minor units) of a payment, never more than what remains of it; a card payment's
    money goes back to the card through Stripe first, a payment from credit to the payer's credit."""
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
    stripe_refund = ""
    if payment.stripe_payment_intent:
        refunded = stripe_call(
            gateway.refund_create,
            client=store_client(),
            payment_intent=payment.stripe_payment_intent,
            amount=amount,
            reason="requested_by_customer",
            # What was refunded before names this refund: a retry repeats it, the next refund is new.
            idempotency_key=f"roster-payment-{payment.pk}-refund-after-{payment.refunded}-{amount}",
        )
        stripe_refund = refunded.id
    refund = refund_record(payment=payment, amount=amount, reason=reason, by=by, stripe_refund=stripe_refund)
    if payment.method == Method.CREDIT and payment.purchase.payer is not None:
        ledger_append(
            customer=payment.purchase.payer,
            amount=amount,
            kind=CreditKind.REFUND,
            reason=reason,
            payment=payment,
            refund=refund,
            by=by,
        )
    return refund


@transaction.atomic
def spot_hold(*, package: Package, customer: Customer, until: datetime) -> SpotHold:
    """Keep a spot of `package` for `customer` until `until` (a waitlist offer). The caller holds the
    package's row lock and has counted a free spot (spots.spots_free); refused when there is none."""
    if package.capacity is not None and spots_taken(package) >= package.capacity:
        raise SaleError(f"“{package.name}” has no free spot to hold.")
    return SpotHold.objects.create(package=package, customer=customer, expires_at=until)


@transaction.atomic
def spot_let_go(*, hold: SpotHold) -> None:
    """Give a held spot back before its time (declined, cancelled): the next person may have it."""
    if hold.is_live:
        hold.released_at = timezone.now()
        hold.save(update_fields=["released_at"])
        spot_freed.send(sender=Package, package=hold.package)
