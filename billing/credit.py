"""The credit ledger's reads, and the one way a line is appended: under the customer's row lock, refused
when it would take the balance (the sum of the lines) below zero. The database refuses it too (migration
0008); the lock is what makes its check race-free.

What is left of each line of credit follows one rule, first in, first out by expiry: a spend or a negative
correction takes the credit that expires first (credit without a date last, then oldest first); an expired
line, or the correction of a line of credit, takes from that line first."""

from datetime import date

from django.db.models import QuerySet, Sum

from accounts.models import User
from accounts.money import format_minor
from accounts.tenancy import current_organization
from billing.charging import SaleError
from billing.models import CreditEntry
from customers.models import Customer


class CreditError(SaleError):
    """A credit line that cannot be written; the message says why, for staff."""


def balance_of(customer: Customer) -> int:
    """The customer's credit, in minor units of the organization's currency."""
    return CreditEntry.objects.filter(customer=customer).aggregate(total=Sum("amount"))["total"] or 0


def balances_of(customer_ids: list[int]) -> dict[int, int]:
    """{customer_id: balance} for those of `customer_ids` with any line."""
    rows = (
        CreditEntry.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(balance=Sum("amount"))
    )
    return {row["customer_id"]: row["balance"] for row in rows}


def credit_history(customer: Customer) -> QuerySet:
    """The customer's lines, newest first."""
    return CreditEntry.objects.filter(customer=customer).select_related("by").order_by("-created_at", "-id")


def corrected_among(lines) -> set[int]:
    """Which of these lines a correction has reversed already."""
    ids = [line.pk for line in lines]
    return set(CreditEntry.objects.filter(reverses_id__in=ids).values_list("reverses_id", flat=True))


def credit_left(customer: Customer) -> dict[int, int]:
    """{line id: what is left of it} for each line that added credit, by the rule in this module's doc."""
    lots: dict[int, list] = {}  # id → [expires_on, left]
    for line in CreditEntry.objects.filter(customer=customer).order_by("created_at", "id"):
        if line.amount > 0:
            lots[line.pk] = [line.expires_on, line.amount]
            continue
        own = line.expiry_of_id or line.reverses_id
        take = -line.amount
        for pk in sorted(lots, key=lambda pk: (pk != own, lots[pk][0] or date.max, pk)):
            used = min(take, lots[pk][1])
            lots[pk][1] -= used
            take -= used
            if not take:
                break
    return {pk: left for pk, (_, left) in lots.items()}


def ledger_lock(customer: Customer) -> Customer:
    """The customer, their row locked until the transaction ends: every writer of their ledger takes it first,
    so the balance read next stays true until the new line is in."""
    return Customer.objects.select_for_update().get(pk=customer.pk)


def ledger_append(*, customer: Customer, amount: int, kind: str, reason: str, by: User | None, **links):
    """Append a line to the customer's ledger (the caller is inside a transaction); CreditError if it would
    take the balance below zero. `links`: payment, refund, reverses, expiry_of, expires_on."""
    ledger_lock(customer)
    balance = balance_of(customer)
    currency = current_organization().currency
    if balance + amount < 0:
        raise CreditError(
            f"{customer.first_name} has {format_minor(balance, currency)} of credit: "
            f"{format_minor(-amount, currency)} is more than that."
        )
    return CreditEntry.objects.create(
        customer=customer, amount=amount, currency=currency, kind=kind, reason=reason, by=by, **links
    )
