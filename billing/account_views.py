"""Settings → Payments: an owner connects the organization's own Stripe account with its keys, replaces them
or disconnects it, and sees the webhook events Stripe delivered. The secret key is never shown again."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from accounts.permissions import org_permission
from billing import account, account_services

SECRET = forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"})


class PaymentKeysForm(forms.Form):
    """The keys as an owner pastes them from the Stripe dashboard."""

    secret_key = forms.CharField(
        label="Secret key",
        max_length=255,
        widget=SECRET,
        help_text="A restricted key (rk_test_… or rk_live_…) allowed to write Customers, PaymentIntents and "
        "Refunds, made under Developers → API keys; a secret key (sk_…) works too.",
    )
    publishable_key = forms.CharField(
        label="Publishable key",
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="pk_test_… or pk_live_…, from the same page, in the same mode as the secret key.",
    )
    webhook_secret = forms.CharField(
        label="Webhook signing secret",
        max_length=255,
        widget=SECRET,
        help_text="whsec_…: under Developers → Webhooks, add an endpoint with the webhook URL above, then "
        "reveal its signing secret.",
    )

    def clean(self):
        data = super().clean()
        if account.SECRET_KEY.fullmatch(data.get("publishable_key", "")):
            # A secret key pasted in the wrong field is never rendered back into the page.
            self.data = self.data.copy()
            self.data["publishable_key"] = ""
        if all(data.get(name) for name in self.fields):
            for field, problem in account.key_problems(**data).items():
                self.add_error(field, problem)
        return data


def _connect(request, form: PaymentKeysForm, *, replacing: bool):
    """Connect (or replace) with the form's keys; True when done, else the refusal is on the form."""
    if not form.is_valid():
        return False
    try:
        account_services.payment_account_connect(**form.cleaned_data, by=request.user)
    except account_services.PaymentKeysRefused as refusal:
        form.add_error(refusal.field, refusal.message)
        return False
    messages.success(request, "Stripe keys replaced." if replacing else "Stripe account connected.")
    return True


def _page(request, context: dict):
    context = {"webhook_url": account.webhook_url(request.org), **context}
    return render(request, "billing/payment_account.html", context)


@org_permission("payments.connect")
def payment_account(request, org_slug):
    connected = account.payment_account()
    if connected is not None:
        return _page(request, {"account": connected, "events": account.recent_stripe_events()})
    form = PaymentKeysForm(request.POST or None)
    if request.method == "POST" and _connect(request, form, replacing=False):
        return redirect("payment_settings:account", org_slug=org_slug)
    return _page(request, {"form": form})


@org_permission("payments.connect")
def payment_account_replace(request, org_slug):
    connected = account.payment_account()
    if connected is None:
        return redirect("payment_settings:account", org_slug=org_slug)
    form = PaymentKeysForm(request.POST or None)
    if request.method == "POST" and _connect(request, form, replacing=True):
        return redirect("payment_settings:account", org_slug=org_slug)
    return _page(request, {"account": connected, "form": form, "replacing": True})


@org_permission("payments.connect")
def payment_account_disconnect(request, org_slug):
    connected = account.payment_account()
    if connected is None:
        return redirect("payment_settings:account", org_slug=org_slug)
    if request.method == "POST":
        account_services.payment_account_disconnect(by=request.user)
        messages.success(request, "Stripe account disconnected: Roster no longer keeps its keys.")
        return redirect("payment_settings:account", org_slug=org_slug)
    return render(request, "billing/payment_account_disconnect.html", {"account": connected})
