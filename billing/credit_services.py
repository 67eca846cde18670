"""Writes of the credit ledger: staff issue credit and correct a line, and the daily expiry. Each writes the
customer's activity event and the organization's audit event in its transaction; spending credit is a sale
(services.sale_record) and refunding it a refund (services.payment_refund)."""

import datetime
import zoneinfo

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.tenancy import current_organization
from billing.credit import CreditError, credit_left, ledger_append, ledger_lock
from billing.models import (
    ISSUED_KINDS,
    MAX_PRICE,
    CreditAudit,
    CreditEntry,
    CreditEvent,
    CreditKind,
)
from customers.models import Customer
from customers.services import activity_record


def _record(line: CreditEntry, customer: Customer, event: str, action: str, by: User | None) -> None:
    kind = line.get_kind_display().lower()
    expiry = f" · expires {line.expires_on:%b %-d, %Y}" if line.expires_on else ""
    detail = f"{line.amount_display} {kind} · {line.reason}{expiry}"
    activity_record(customer=customer, by=by, kind=event, detail=detail)
    audit_record(action=action, by=by, target=customer.full_name, detail=detail)


def _organization_today() -> datetime.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(current_organization().time_zone)).date()


@transaction.atomic
def credit_issue(
    *,
    customer: Customer,
    amount: int,
    kind: str,
    reason: str,
    expires_on: datetime.date | None = None,
    by: User,
) -> CreditEntry:
    """Give a customer `amount` (minor units) of credit: a gift, goodwill or a refund to credit, usable until
    `expires_on` (the day included) when given."""
    reason = " ".join(reason.split())
    if kind not in ISSUED_KINDS:
        raise CreditError("Choose what kind of credit this is.")
    if not 0 < amount <= MAX_PRICE:
        raise CreditError("Issue between 0.01 and 1,000,000.")
    if not reason:
        raise CreditError("Say why the credit is given.")
    if expires_on is not None and expires_on <= _organization_today():
        raise CreditError("Credit has to expire after today.")
    line = ledger_append(
        customer=customer, amount=amount, kind=kind, reason=reason, expires_on=expires_on, by=by
    )
    _record(line, customer, CreditEvent.ISSUED, CreditAudit.ISSUED, by)
    return line


@transaction.atomic
def credit_correct(*, entry: CreditEntry, reason: str, by: User) -> CreditEntry:
    """Reverse a line of credit issued or expired with a line of the opposite amount, once; refused when the
    credit is spent already (the balance would go below zero). A spend is undone by refunding its payment."""
    reason = " ".join(reason.split())
    if not reason:
        raise CreditError("Say why the line is corrected.")
    if entry.kind in (CreditKind.SPENT, CreditKind.CORRECTION) or entry.customer_id is None:
        raise CreditError("Only credit issued or expired is corrected: refund a payment to undo a spend.")
    customer = ledger_lock(entry.customer)
    if CreditEntry.objects.filter(reverses=entry).exists():
        raise CreditError("This line is corrected already.")
    line = ledger_append(
        customer=customer,
        amount=-entry.amount,
        kind=CreditKind.CORRECTION,
        reason=reason,
        reverses=entry,
        by=by,
    )
    _record(line, customer, CreditEvent.CORRECTED, CreditAudit.CORRECTED, by)
    return line


@transaction.atomic
def credit_expire_due(*, by: User | None = None) -> int:
    """Expire what is left of each line of credit whose date has passed in the organization's time zone, once
    per line (a unique key backs it); returns how many lines expired."""
    today = _organization_today()
    expired = CreditEntry.objects.exclude(expiry_of=None).values("expiry_of_id")
    due = list(
        CreditEntry.objects.filter(expires_on__lt=today)
        .exclude(pk__in=expired)
        .exclude(customer=None)
        .select_related("customer")
        .order_by("customer_id", "expires_on", "id")
    )
    written, left = 0, {}
    for line in due:
        if line.customer_id not in left:
            ledger_lock(line.customer)
            left[line.customer_id] = credit_left(line.customer)
        remaining = left[line.customer_id].get(line.pk, 0)
        if remaining <= 0:
            continue
        expiry = ledger_append(
            customer=line.customer,
            amount=-remaining,
            kind=CreditKind.EXPIRED,
            reason=f"What was left of “{line.reason}”, valid until {line.expires_on:%b %-d, %Y}",
            expiry_of=line,
            by=by,
        )
        _record(expiry, line.customer, CreditEvent.EXPIRED, CreditAudit.EXPIRED, by)
        written += 1
    return written
