"""Billing's part of a person's export and erasure. Payments, purchases, memberships, credit and punch cards
are the business's accounting records, which the law requires it to keep: an erasure keeps them, with the
person's name replaced. Holds on places and saved cards go."""

from django.db.models import Q

from billing.models import (
    Checkout,
    CreditEntry,
    ExternalSubscription,
    Payment,
    PunchCard,
    Purchase,
    Refund,
    SavedCard,
    SpotHold,
    StripeCustomer,
    StripeEvent,
    Subscription,
)
from customers.extend import ErasureLine
from customers.privacy import ERASED_LABEL, identifiers, rows_of, scrub_rows

ACCOUNTING = "Accounting records the law requires the business to keep; the person's name is replaced."


def _purchases(customer):
    return Purchase.objects.filter(Q(customer=customer) | Q(payer=customer))


def purchase_rows(customer, *, include_notes: bool) -> list[dict]:
    return rows_of(
        _purchases(customer).order_by("created_at"),
        [
            "id",
            "package__name",
            "customer_label",
            "payer_label",
            "price",
            "tax",
            "currency",
            "channel",
            "created_at",
        ],
    )


def payment_rows(customer, *, include_notes: bool) -> list[dict]:
    payments = Payment.objects.filter(Q(payer=customer) | Q(purchase__in=_purchases(customer))).distinct()
    return rows_of(
        payments.order_by("created_at"),
        [
            "id",
            "purchase_id",
            "amount",
            "refunded",
            "currency",
            "method",
            "reference",
            "card_brand",
            "card_last4",
            "created_at",
        ],
    )


def credit_rows(customer, *, include_notes: bool) -> list[dict]:
    entries = CreditEntry.objects.filter(customer=customer).order_by("created_at")
    return rows_of(entries, ["amount", "currency", "kind", "reason", "expires_on", "created_at"])


def punch_card_rows(customer, *, include_notes: bool) -> list[dict]:
    cards = PunchCard.objects.filter(holder=customer).order_by("created_at")
    return rows_of(cards, ["purchase__package__name", "visits", "used", "valid_until", "created_at"])


def subscription_rows(customer, *, include_notes: bool) -> list[dict]:
    ours = Subscription.objects.filter(Q(member=customer) | Q(payer=customer)).order_by("created_at")
    rows = rows_of(
        ours,
        [
            "package__name",
            "member_label",
            "payer_label",
            "price",
            "currency",
            "interval",
            "status",
            "created_at",
            "cancelled_at",
        ],
    )
    elsewhere = ExternalSubscription.objects.filter(customer=customer).order_by("created_at")
    return rows + rows_of(
        elsewhere,
        ["provider", "name", "amount", "currency", "interval", "status", "starts_on", "ends_on", "note"],
    )


def card_rows(customer, *, include_notes: bool) -> list[dict]:
    return rows_of(SavedCard.objects.filter(customer=customer), ["brand", "last4", "exp_month", "exp_year"])


def billing_erase(customer) -> list[ErasureLine]:
    needles = identifiers(customer)
    purchases = _purchases(customer).count()
    Purchase.objects.filter(customer=customer).update(customer_label=ERASED_LABEL)
    Purchase.objects.filter(payer=customer).update(payer_label=ERASED_LABEL)
    subscriptions = Subscription.objects.filter(Q(member=customer) | Q(payer=customer)).count()
    Subscription.objects.filter(member=customer).update(member_label=ERASED_LABEL)
    Subscription.objects.filter(payer=customer).update(payer_label=ERASED_LABEL)
    payments = Payment.objects.filter(Q(payer=customer) | Q(purchase__customer=customer)).distinct()
    payment_count = payments.count()
    scrub_rows(Payment.objects.filter(pk__in=payments.values("pk")), ["reference"], needles)
    scrub_rows(Refund.objects.filter(payment__in=payments.values("pk")), ["reason"], needles)
    credit = CreditEntry.objects.filter(customer=customer)
    scrub_rows(credit, ["reason"], needles)
    external = ExternalSubscription.objects.filter(customer=customer)
    scrub_rows(external, ["reference", "note"], needles)
    holds, _ = SpotHold.objects.filter(customer=customer, purchase=None).delete()
    cards, _ = SavedCard.objects.filter(customer=customer).delete()
    events = scrub_rows(StripeEvent.objects.all(), ["payload"], needles)
    return [
        ErasureLine("Purchases", "kept", purchases, ACCOUNTING),
        ErasureLine("Payments and refunds", "kept", payment_count, ACCOUNTING),
        ErasureLine("Memberships", "kept", subscriptions, ACCOUNTING),
        ErasureLine("Memberships paid elsewhere", "kept", external.count(), ACCOUNTING),
        ErasureLine("Account credit lines", "kept", credit.count(), ACCOUNTING),
        ErasureLine("Punch cards", "kept", PunchCard.objects.filter(holder=customer).count(), ACCOUNTING),
        ErasureLine(
            "Store checkouts and the link to their Stripe customer",
            "kept",
            Checkout.objects.filter(Q(customer=customer) | Q(payer=customer)).count()
            + StripeCustomer.objects.filter(customer=customer).count(),
            "Payment records (refunds go through them); Stripe keeps its own records under its own duty.",
        ),
        ErasureLine("Places held for them", "erased", holds),
        ErasureLine("Saved cards", "erased", cards),
        ErasureLine("Mentions in Stripe events received", "anonymized", events),
    ]
