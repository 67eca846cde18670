"""Writes of billing: packages (Settings → Packages), sales at the desk and refunds. Each sale and refund
writes the customers' activity events and the organization's audit event in its transaction."""

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import User
from accounts.money import format_minor
from billing.charging import SaleError, locked_for_sale, purchase_record
from billing.models import (
    Channel,
    Method,
    Package,
    PackageAudit,
    Payment,
    PaymentAudit,
    PaymentEvent,
    Purchase,
    Refund,
)
from customers.models import Customer
from customers.services import activities_record

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


@transaction.atomic
def sale_record(
    *, package: Package, customer: Customer, payer: Customer, method: str, reference: str = "", by: User
) -> Purchase:
    """Staff sell `package` for `customer`, paid by `payer` (the customer, or someone allowed to buy for them)
    in cash, by cheque or on an external terminal. The package row is locked while its capacity is counted, so
    two sales of the last spot cannot both succeed."""
    if method == Method.CARD:
        raise SaleError("Card payments are taken through Stripe.")
    package = locked_for_sale(package, customer, payer)
    payment = Payment(method=method, reference=reference.strip(), taken_by=by)
    return purchase_record(
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
