"""What every way of selling shares, called inside the selling service's transaction: the checks before a
sale, the record of a purchase with its payment and events, and calls to the organization's Stripe account
whose failure the payer reads as a SaleError."""

from collections.abc import Callable

from django.db.models import F

from accounts.audit import audit_record
from accounts.models import User
from accounts.money import format_minor
from billing import gateway
from billing.account import PaymentsNotConnected, stripe_client_for_org
from billing.models import (
    Channel,
    ForWhom,
    Package,
    PackageKind,
    Payment,
    PaymentAudit,
    PaymentEvent,
    Purchase,
    Refund,
    SpotHold,
    StripeCustomer,
)
from billing.punch_services import punch_card_issue
from billing.selectors import may_buy_for, store_refusal
from billing.spots import spot_given_back, spots_taken
from billing.tasks import refund_notice_send
from customers.models import Customer
from customers.services import activities_record


class SaleError(Exception):
    """A sale that cannot be made; the message says why, for staff or the customer."""


def refuse_unless_sellable(
    package: Package,
    customer: Customer,
    *,
    store: bool = False,
    invited: bool = False,
    hold: SpotHold | None = None,
) -> None:
    """Why `package` cannot be sold for `customer` now, raised as SaleError; the caller holds the package's
    row lock, so the capacity counted stays true until it commits. The store also sells only what it lists
    (or what the buyer was `invited` to buy), inside the sale window. A spot held for the customer (`hold`)
    is theirs to take."""
    if package.is_archived:
        raise SaleError(f"“{package.name}” is no longer sold.")
    if store:
        refusal = store_refusal(package, invited=invited)
        if refusal:
            raise SaleError(f"“{package.name}”: {refusal.lower()}.")
    if hold is not None and (not hold.is_live or hold.customer_id != customer.pk):
        raise SaleError(f"The spot kept for {customer.first_name} is no longer held.")
    if package.capacity is not None and spots_taken(package, but=hold) >= package.capacity:
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


def locked_for_sale(
    package: Package,
    customer: Customer,
    payer: Customer,
    *,
    store: bool = False,
    invited: bool = False,
    hold: SpotHold | None = None,
) -> Package:
    """The package, its row locked, once `payer` may buy it for `customer`: the checks every sale shares."""
    package = Package.objects.select_for_update().get(pk=package.pk)
    if not may_buy_for(payer, customer):
        raise SaleError(f"{payer.full_name} may not buy for {customer.full_name}.")
    refuse_unless_sellable(package, customer, store=store, invited=invited, hold=hold)
    return package


def purchase_record(
    *,
    package: Package,
    customer: Customer,
    payer: Customer,
    channel: str,
    payment: Payment,
    by: User | None,
    amounts: tuple[int, int] | None = None,
) -> Purchase:
    """The purchase of a package already checked and locked, its punch card for a class pass, its payment
    (unsaved, filled in by the caller), the customers' activity and the organization's audit event. Its price
    and tax are the package's, or `amounts` (a membership's period as Stripe billed it)."""
    price, tax = amounts or (package.price, package.tax_amount)
    purchase = Purchase.objects.create(
        package=package,
        customer=customer,
        customer_label=customer.full_name,
        payer=payer,
        payer_label=payer.full_name,
        price=price,
        tax=tax,
        currency=package.currency,
        channel=channel,
        sold_by=by if channel == Channel.STAFF else None,
    )
    punch_card_issue(purchase=purchase)
    payment.purchase = purchase
    payment.amount = purchase.total
    payment.currency = purchase.currency
    payment.save()
    paid = f"{format_minor(payment.amount, payment.currency)} {payment.method_display.lower()}"
    for_whom = "" if payer.pk == customer.pk else f" for {customer.full_name}"
    paid_by = "" if payer.pk == customer.pk else f", paid by {payer.full_name}"
    where = {Channel.STORE: " · online store", Channel.RENEWAL: " · renewal"}.get(channel, "")
    activities_record(
        labels={customer.pk: customer.full_name, payer.pk: payer.full_name},
        by=by,
        kind=PaymentEvent.PURCHASE,
        detail=f"“{package.name}”{for_whom} · {paid}{paid_by}{where}",
    )
    audit_record(
        action=PaymentAudit.SALE_RECORDED,
        by=by,
        target=package.name,
        detail=f"{customer.full_name} · {paid}{where}",
    )
    return purchase


def refund_record(
    *, payment: Payment, amount: int, reason: str, by: User | None, stripe_refund: str = ""
) -> Refund:
    """A refund of a payment whose row the caller has locked and checked: its record, the customers' activity,
    the audit event, and the payer's email once it commits."""
    refund = Refund.objects.create(
        payment=payment, amount=amount, reason=reason, by=by, stripe_refund=stripe_refund
    )
    payment.refunded += amount
    payment.save(update_fields=["refunded"])
    purchase = payment.purchase
    unpaid = purchase.payments.filter(refunded__lt=F("amount")).exists()
    if not unpaid and purchase.package.kind != PackageKind.MEMBERSHIP:  # a membership's spot ends with it
        spot_given_back(purchase)
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
    refund_notice_send.delay_on_commit(org_id=refund.organization_id, refund_id=refund.pk)
    return refund


def stripe_customer_for(client: gateway.Client, payer: Customer) -> str:
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


def stripe_call(call: Callable, **arguments):
    """A gateway call whose failure the payer reads as a SaleError."""
    try:
        return call(**arguments)
    except gateway.CardDeclined as declined:
        raise SaleError(declined.message) from None
    except gateway.StripeUnavailable:
        raise SaleError("Card payments are unavailable right now: try again in a few minutes.") from None
    except gateway.PaymentError:
        raise SaleError("Card payments are unavailable right now: the business has been told.") from None


def store_client() -> gateway.Client:
    try:
        return stripe_client_for_org()
    except PaymentsNotConnected:
        raise SaleError("This store does not take card payments yet.") from None
