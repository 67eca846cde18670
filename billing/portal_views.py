"""The customer portal's Payments page (their credit balance, memberships, what they paid, what was paid for
the people they look after, with their punch cards and the memberships they pay for elsewhere), the way on to
Stripe's customer portal, and their saved cards: add one, choose the default, remove one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing import account, card_services
from billing.charging import SaleError
from billing.credit import balance_of
from billing.external_selectors import external_subscriptions_seen_by
from billing.models import StripeCustomer
from billing.selectors import (
    payments_seen_by,
    punch_cards_seen_by,
    punch_cards_today,
    saved_cards_of,
    subscriptions_seen_by,
)
from billing.store_views import csp_allowing, with_stripe_js
from portal.views import own_customer, render_portal

# The page's form leads on to Stripe's customer portal: to CSP, its redirect there is a form action.
to_stripe_portal = csp_allowing(account.stripe_portal_origins, "form-action")


@login_required
@to_stripe_portal
def payments(request, org_slug):
    customer = own_customer(request)
    context = {
        "payments": Paginator(payments_seen_by(customer), 25).get_page(request.GET.get("page")),
        "credit_balance": balance_of(customer),
        "punch_cards": punch_cards_today(punch_cards_seen_by(customer)),
        "subscriptions": subscriptions_seen_by(customer),
        "in_stripe": StripeCustomer.objects.filter(customer=customer).exists(),
        "external_subscriptions": list(external_subscriptions_seen_by(customer)),
    }
    return render_portal(request, customer, "payments", "billing/portal_payments.html", context)


@require_POST
@login_required
@to_stripe_portal
def stripe_portal(request, org_slug):
    """On to Stripe's customer portal, where the customer changes their cards and ends memberships; Stripe
    sends them back to Payments, and tells Roster what changed by webhook."""
    back = request.build_absolute_uri(reverse("portal_payments:payments", kwargs={"org_slug": org_slug}))
    try:
        address = card_services.stripe_portal_start(customer=own_customer(request), return_url=back)
    except SaleError as refusal:
        messages.error(request, str(refusal))
        return redirect("portal_payments:payments", org_slug=org_slug)
    return redirect(address)


@login_required
@with_stripe_js
def cards(request, org_slug):
    customer = own_customer(request)
    context = {"cards": saved_cards_of(customer), "takes_cards": account.payment_account() is not None}
    if context["takes_cards"]:
        context |= {"publishable_key": account.publishable_key(), "stripe_js": account.stripe_js_url()}
    return render_portal(request, customer, "cards", "billing/portal_cards.html", context)


@require_POST
@login_required
def card_add(request, org_slug):
    """Stripe.js has set the card up in the browser; keep it."""
    customer = own_customer(request)
    try:
        card = card_services.card_save(
            customer=customer, setup_intent=request.POST.get("setup_intent", ""), by=request.user
        )
    except SaleError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"{card} saved.")
    return redirect("portal_payments:cards", org_slug=org_slug)


def _own_card(request, pk):
    return get_object_or_404(saved_cards_of(own_customer(request)), pk=pk)


@require_POST
@login_required
def card_default(request, org_slug, pk):
    card = card_services.card_make_default(card=_own_card(request, pk))
    messages.success(request, f"{card} is your default card.")
    return redirect("portal_payments:cards", org_slug=org_slug)


@require_POST
@login_required
def card_remove(request, org_slug, pk):
    card = _own_card(request, pk)
    try:
        card_services.card_remove(card=card, by=request.user)
    except SaleError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"{card} removed.")
    return redirect("portal_payments:cards", org_slug=org_slug)
