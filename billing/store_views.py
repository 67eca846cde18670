"""The online store (/<org>/store/, namespace store): what the business sells online, and buying it by card.
Anyone may look; buying needs the customer's own login. The card form is the only page that loads Stripe.js,
and the only one whose Content-Security-Policy lets Stripe in."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing import account, card_services
from billing.charging import SaleError
from billing.forms import StoreBuyForm, StorePayForm
from billing.models import Checkout, CheckoutStatus
from billing.selectors import (
    CheckoutUnavailable,
    buyable_for,
    checkout_for_payer,
    checkout_intent,
    may_pay_with_saved_cards,
    saved_cards_of,
    store_availability,
    store_packages,
)
from customers.models import Customer
from portal.views import own_customer


def csp_allowing(origins: Callable[[], list[str]], *directives: str):
    """Decorator: the page's Content-Security-Policy also lets `origins()` into each of `directives`."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            policy = {name: list(values) for name, values in settings.SECURE_CSP.items()}
            for directive in directives:
                policy[directive] = [*policy.get(directive, ["'self'"]), *origins()]
            response._csp_config = policy
            return response

        return wrapped

    return decorate


# Stripe.js (or the emulator's stand-in) runs on the page: its script, its calls, its card frames.
with_stripe_js = csp_allowing(account.stripe_origins, "script-src", "connect-src", "frame-src")


def _package_or_404(pk):
    return get_object_or_404(store_packages(), pk=pk)


def store(request, org_slug):
    packages = list(store_packages())
    rows = [(package, store_availability(package)) for package in packages]
    return render(request, "billing/store/list.html", {"rows": rows})


def package(request, org_slug, pk):
    item = _package_or_404(pk)
    return render(
        request, "billing/store/package.html", {"package": item, "refusal": store_availability(item)}
    )


def buy(request, org_slug, pk):
    """Anonymous: log in or create an account, then come back. Signed in: choose for whom, then pay."""
    item = _package_or_404(pk)
    here = request.get_full_path()
    if not request.user.is_authenticated:
        context = {
            "package": item,
            "login_url": f"{reverse('accounts:login')}?{urlencode({'next': here})}",
            "signup_url": reverse("portal:signup", kwargs={"org_slug": org_slug, "channel_slug": "store"})
            + f"?{urlencode({'next': here})}",
        }
        return render(request, "billing/store/sign_in.html", context)
    payer = Customer.objects.filter(user=request.user).first()
    if payer is None:  # a login from another business: join this one first
        signup = reverse("portal:signup", kwargs={"org_slug": org_slug, "channel_slug": "store"})
        return redirect(f"{signup}?{urlencode({'next': here})}")
    form = StoreBuyForm(request.POST or None, people=buyable_for(payer))
    refusal = store_availability(item)
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            checkout = card_services.store_checkout_start(
                package=item, customer=form.cleaned_data["for_whom"], payer=payer
            )
        except SaleError as error:
            form.add_error(None, str(error))
        else:
            return redirect("store:pay", org_slug=org_slug, pk=checkout.pk)
    status = 422 if request.method == "POST" else 200
    context = {"package": item, "form": form, "refusal": refusal}
    return render(request, "billing/store/buy.html", context, status=status)


def _own_checkout(request, pk) -> Checkout:
    """A checkout the signed-in customer pays for; 404 for anyone else's, or another organization's."""
    checkout = checkout_for_payer(own_customer(request), pk)
    if checkout is None:
        raise Http404("No such checkout.")
    return checkout


def _paying(request, checkout: Checkout, form: StorePayForm, *, error: str = "", status: int = 200):
    """The card page: the payer's choice of card, or (when their bank asked for 3-D Secure) Stripe.js
    finishing the payment with the bank before the page posts to `complete`."""
    try:
        intent, publishable_key = checkout_intent(checkout)
    except CheckoutUnavailable as error:
        return render(request, "billing/store/unavailable.html", {"checkout": checkout, "error": str(error)})
    context = {
        "checkout": checkout,
        "form": form,
        "error": error,
        "publishable_key": publishable_key,
        "action_secret": intent.client_secret if intent and intent.status == "requires_action" else "",
        "stripe_js": account.stripe_js_url(),
    }
    return render(request, "billing/store/pay.html", context, status=status)


@login_required
@with_stripe_js
def pay(request, org_slug, pk):
    """Pay an open checkout with a saved card, or a new one Stripe.js has just set up in the browser."""
    checkout = _own_checkout(request, pk)
    if checkout.status != CheckoutStatus.OPEN:
        return redirect("store:receipt", org_slug=org_slug, pk=pk)
    payer = checkout.payer
    cards = list(saved_cards_of(payer)) if may_pay_with_saved_cards(payer, checkout.customer) else []
    form = StorePayForm(request.POST or None, cards=cards)
    if request.method != "POST":
        return _paying(request, checkout, form)
    if form.is_valid():
        try:
            checkout = card_services.store_checkout_pay(
                checkout=checkout,
                attempt=form.cleaned_data["attempt"],
                card=form.saved_card,
                setup_intent=form.cleaned_data["setup_intent"],
                keep_card=form.cleaned_data["keep_card"],
            )
        except SaleError as refusal:  # a new form, a new attempt: the next try is not the declined one again
            return _paying(request, checkout, StorePayForm(cards=cards), error=str(refusal), status=422)
        if checkout.status != CheckoutStatus.OPEN:
            return redirect("store:receipt", org_slug=org_slug, pk=pk)
        return _paying(request, checkout, StorePayForm(cards=cards))  # the bank asks for 3-D Secure
    return _paying(request, checkout, form, status=422)


@require_POST
@login_required
def card_setup(request, org_slug):
    """A SetupIntent for the signed-in customer's new card: Stripe.js confirms it with the card they typed.
    Answers JSON, for the card forms' script."""
    try:
        intent = card_services.card_setup_start(customer=own_customer(request))
    except SaleError as refusal:
        return JsonResponse({"error": str(refusal)}, status=409)
    return JsonResponse({"client_secret": intent.client_secret})


@require_POST
@login_required
def complete(request, org_slug, pk):
    """The browser says the bank confirmed the payment (3-D Secure): ask Stripe, and record the purchase if
    it did."""
    checkout = _own_checkout(request, pk)
    try:
        checkout = card_services.store_checkout_complete(checkout=checkout)
    except SaleError as error:
        messages.error(request, str(error))
        return redirect("store:pay", org_slug=org_slug, pk=pk)
    if checkout.status == CheckoutStatus.OPEN:
        messages.error(request, "The card has not been charged: try again, or use another card.")
        return redirect("store:pay", org_slug=org_slug, pk=pk)
    return redirect("store:receipt", org_slug=org_slug, pk=pk)


@login_required
def receipt(request, org_slug, pk):
    checkout = _own_checkout(request, pk)
    if checkout.status == CheckoutStatus.OPEN:
        return redirect("store:pay", org_slug=org_slug, pk=pk)
    if checkout.return_path:  # set by the app that started it (a booking's page), never by the payer
        return redirect(checkout.return_path)
    payment = checkout.completed_purchase.payments.first() if checkout.completed_purchase else None
    return render(request, "billing/store/receipt.html", {"checkout": checkout, "payment": payment})
