"""The roster's purchase filters (the seed's purchase-history segmentation, kept in saved segments): who
bought a package, who spent between two amounts, whose last purchase falls between two dates, who has a
saved card, whose credit balance is between two amounts, who has visits left on a punch card, whose
membership is active, past due, paused or cancelled."""

import django_filters
from django import forms
from django.db.models import F, Max, Q, Sum

from accounts.money import to_minor
from billing.models import (
    CreditEntry,
    Payment,
    PunchCard,
    Purchase,
    SavedCard,
    Subscription,
    SubscriptionStatus,
)
from billing.selectors import organization_today, package_choices
from customers.filters import DATE_RANGE, NUMBER_RANGE, SELECT, YES_NO

LIVE = "live"
MEMBERSHIP_CHOICES = [
    (LIVE, "Any current membership"),
    (SubscriptionStatus.ACTIVE, "Active"),
    (SubscriptionStatus.PAST_DUE, "Past due"),
    (SubscriptionStatus.PAUSED, "Paused"),
    (SubscriptionStatus.CANCELLED, "Cancelled"),
]


def _bought(queryset, name, value):
    ids = [int(pk) for pk in value]
    bought = Purchase.objects.filter(package_id__in=ids)
    return queryset.filter(Q(pk__in=bought.values("customer_id")) | Q(pk__in=bought.values("payer_id")))


def _by_payer():
    return Payment.objects.values("purchase__payer_id")


def _spent(queryset, name, value):
    if not value or (value.start is None and value.stop is None):
        return queryset
    totals = _by_payer().annotate(net=Sum(F("amount") - F("refunded")))
    if value.start is not None:
        totals = totals.filter(net__gte=to_minor(value.start))
    if value.stop is not None:
        totals = totals.filter(net__lte=to_minor(value.stop))
    return queryset.filter(pk__in=totals.values("purchase__payer_id"))


def _last_purchase(queryset, name, value):
    if not value or (value.start is None and value.stop is None):
        return queryset
    latest = _by_payer().annotate(last=Max("created_at__date"))
    if value.start is not None:
        latest = latest.filter(last__gte=value.start)
    if value.stop is not None:
        latest = latest.filter(last__lte=value.stop)
    return queryset.filter(pk__in=latest.values("purchase__payer_id"))


def _has_card(queryset, name, value):
    if value is None:
        return queryset
    with_card = Q(pk__in=SavedCard.objects.values("customer_id"))
    return queryset.filter(with_card if value else ~with_card)


def _credit_balance(queryset, name, value):
    if not value or (value.start is None and value.stop is None):
        return queryset
    low = to_minor(value.start) if value.start is not None else None
    high = to_minor(value.stop) if value.stop is not None else None
    balances = CreditEntry.objects.values("customer_id").annotate(balance=Sum("amount"))
    if low is not None:
        balances = balances.filter(balance__gte=low)
    if high is not None:
        balances = balances.filter(balance__lte=high)
    matching = Q(pk__in=balances.values("customer_id"))
    if (low is None or low <= 0) and (high is None or high >= 0):  # who never had credit has a balance of 0
        matching |= ~Q(pk__in=CreditEntry.objects.exclude(customer=None).values("customer_id"))
    return queryset.filter(matching)


def _visits_left(queryset, name, value):
    if value is None:
        return queryset
    usable = PunchCard.objects.filter(
        Q(valid_until=None) | Q(valid_until__gte=organization_today()),
        used__lt=F("visits"),
        holder__isnull=False,  # NOT IN over a NULL would leave no one
    )
    holding = Q(pk__in=usable.values("holder_id"))
    return queryset.filter(holding if value else ~holding)


def _membership(queryset, name, value):
    if not value:
        return queryset
    if value == LIVE:
        held = Subscription.objects.exclude(
            status__in=[SubscriptionStatus.CANCELLED, SubscriptionStatus.INCOMPLETE]
        )
    else:
        held = Subscription.objects.filter(status=value)
    return queryset.filter(pk__in=held.exclude(member=None).values("member_id"))


def purchase_filters(audience: str) -> dict:
    filters = {
        "membership": django_filters.ChoiceFilter(
            label="Membership",
            choices=MEMBERSHIP_CHOICES,
            empty_label="Any",
            method=_membership,
            widget=SELECT,
        ),
        "has_card": django_filters.BooleanFilter(label="Has a saved card", method=_has_card, widget=YES_NO),
        "visits_left": django_filters.BooleanFilter(
            label="Has visits left", method=_visits_left, widget=YES_NO
        ),
        "spent": django_filters.NumericRangeFilter(label="Spent between", method=_spent, widget=NUMBER_RANGE),
        "credit": django_filters.NumericRangeFilter(
            label="Credit balance between", method=_credit_balance, widget=NUMBER_RANGE
        ),
        "last_purchase": django_filters.DateFromToRangeFilter(
            label="Last purchase between", method=_last_purchase, widget=DATE_RANGE
        ),
    }
    choices = package_choices()
    if choices:
        filters["bought"] = django_filters.MultipleChoiceFilter(
            label="Bought (any of)",
            choices=choices,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input filter-input"}),
            method=_bought,
        )
    return filters
