"""Memberships on the profile: the side box (billing/extensions.py) lists them with their state; each one's
page shows its invoices and payments, and staff pause, resume, cancel it or change its card there."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from billing import subscription_services
from billing.charging import SaleError
from billing.forms import SubscriptionCancelForm, SubscriptionCardForm, SubscriptionPauseForm
from billing.models import Subscription, SubscriptionStatus
from billing.selectors import subscription_with_invoices, subscriptions_of
from customers.extend import read_once
from customers.models import Customer
from customers.selectors import get_customer_for_org


def _held(customer: Customer) -> list[Subscription]:
    return list(subscriptions_of(customer))


def subscriptions_box(request, customer: Customer) -> dict:
    """The profile's Memberships box: what the customer holds or pays for."""
    return {"customer": customer, "subscriptions": read_once(_held, customer)[:10]}


def past_due_alert(request, customer: Customer) -> list[Subscription]:
    """Above the tabs: the memberships of the customer whose renewal was declined."""
    return [each for each in read_once(_held, customer) if each.status == SubscriptionStatus.PAST_DUE]


def _subscription_of(customer: Customer, subscription_pk: int) -> Subscription:
    subscription = subscription_with_invoices(customer, subscription_pk)
    if subscription is None:
        raise Http404("No such membership.")
    return subscription


def _page(request, customer, subscription, *, pause_form=None, cancel_form=None, card_form=None, status=200):
    may_change = has_permission(request.membership, "payments.take") and subscription.is_live
    may_cancel = has_permission(request.membership, "payments.refund") and subscription.is_live
    context = {
        "customer": customer,
        "subscription": subscription,
        "card": _current_card(subscription) if subscription.payer else None,
        "may_change": may_change,
        "may_cancel": may_cancel,
        "pause_form": pause_form or SubscriptionPauseForm(),
        "cancel_form": cancel_form or SubscriptionCancelForm(),
        "card_form": card_form
        or (
            SubscriptionCardForm(payer=subscription.payer, initial={"card": _current_card(subscription)})
            if may_change and subscription.payer
            else None
        ),
    }
    return render(request, "billing/subscription.html", context, status=status)


def _current_card(subscription: Subscription):
    return subscription.payer.saved_cards.filter(stripe_payment_method=subscription.payment_method).first()


def _back(customer, subscription):
    return redirect(
        "profile_payments:subscription",
        org_slug=customer.organization.slug,
        pk=customer.pk,
        subscription_pk=subscription.pk,
    )


@org_permission("customers.view")
def detail(request, org_slug, pk, subscription_pk):
    customer = get_customer_for_org(pk)
    return _page(request, customer, _subscription_of(customer, subscription_pk))


def _done(request, customer, subscription, change, success: str):
    try:
        change()
    except SaleError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, success)
    return _back(customer, subscription)


@require_POST
@org_permission("payments.take")
def pause(request, org_slug, pk, subscription_pk):
    customer = get_customer_for_org(pk)
    subscription = _subscription_of(customer, subscription_pk)
    form = SubscriptionPauseForm(request.POST)
    if not form.is_valid():
        return _page(request, customer, subscription, pause_form=form, status=422)
    until = form.cleaned_data["until"]
    return _done(
        request,
        customer,
        subscription,
        lambda: subscription_services.subscription_pause(
            subscription=subscription, until=until, by=request.user
        ),
        f"Paused until {until:%b %-d, %Y}: nothing is charged." if until else "Paused until resumed.",
    )


@require_POST
@org_permission("payments.take")
def resume(request, org_slug, pk, subscription_pk):
    customer = get_customer_for_org(pk)
    subscription = _subscription_of(customer, subscription_pk)
    return _done(
        request,
        customer,
        subscription,
        lambda: subscription_services.subscription_resume(subscription=subscription, by=request.user),
        "Resumed: the next period is charged.",
    )


@require_POST
@org_permission("payments.refund")
def cancel(request, org_slug, pk, subscription_pk):
    customer = get_customer_for_org(pk)
    subscription = _subscription_of(customer, subscription_pk)
    form = SubscriptionCancelForm(request.POST)
    if not form.is_valid():
        return _page(request, customer, subscription, cancel_form=form, status=422)
    now = form.cleaned_data["when"] == "now"
    return _done(
        request,
        customer,
        subscription,
        lambda: subscription_services.subscription_cancel(
            subscription=subscription, now=now, by=request.user
        ),
        "Cancelled: nothing more is charged." if now else "Set to end: nothing is charged after that.",
    )


@require_POST
@org_permission("payments.take")
def card(request, org_slug, pk, subscription_pk):
    customer = get_customer_for_org(pk)
    subscription = _subscription_of(customer, subscription_pk)
    if subscription.payer is None:
        raise Http404("Its payer was deleted.")
    form = SubscriptionCardForm(request.POST, payer=subscription.payer)
    if not form.is_valid():
        return _page(request, customer, subscription, card_form=form, status=422)
    chosen = form.cleaned_data["card"]
    return _done(
        request,
        customer,
        subscription,
        lambda: subscription_services.subscription_card_change(
            subscription=subscription, card=chosen, by=request.user
        ),
        f"From the next renewal, {chosen} is charged.",
    )
