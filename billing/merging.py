"""How a merge treats billing: purchases, payments, checkouts, held spots, credit lines, punch cards and
memberships follow the customer (as buyer, payer or member), so balances and visits add up on the survivor.
Saved cards belong to a Stripe customer: when both have one, the merged customer's cards cannot be charged
through the survivor's and are left behind (restored by an undo); the preview says so."""

from django.db.models import Q

from billing.models import CreditEntry, Purchase, SavedCard, StripeCustomer
from customers.merge import UndoRecord


def payments_count(customer) -> int:
    return Purchase.objects.filter(Q(customer=customer) | Q(payer=customer)).count()


def credit_count(customer) -> int:
    return CreditEntry.objects.filter(customer=customer).count()


def cards_count(customer) -> int:
    return SavedCard.objects.filter(customer=customer).count()


def cards_move(*, merged, survivor, record) -> UndoRecord:
    undo = UndoRecord()
    if StripeCustomer.objects.filter(customer=survivor).exists():
        undo.delete(SavedCard.objects.filter(customer=merged))
        undo.delete(StripeCustomer.objects.filter(customer=merged))
        return undo
    if SavedCard.objects.filter(customer=survivor, is_default=True).exists():
        undo.keep(SavedCard.objects.filter(customer=merged, is_default=True))
        SavedCard.objects.filter(customer=merged, is_default=True).update(is_default=False)
    undo.move("billing.StripeCustomer", "customer", merged=merged, survivor=survivor)
    undo.move("billing.SavedCard", "customer", merged=merged, survivor=survivor)
    return undo


def cards_warnings(*, merged, survivor) -> list[str]:
    cards = SavedCard.objects.filter(customer=merged).count()
    if cards and StripeCustomer.objects.filter(customer=survivor).exists():
        return [
            f"{merged.full_name}'s {cards} saved card{'s' if cards != 1 else ''} stay behind: they belong to "
            "another Stripe customer than the one kept. The customer can save them again."
        ]
    return []
