"""The organization's own Stripe account: what its keys say about themselves, and the client every call to
Stripe on its behalf goes through. Reads only; connecting, replacing and disconnecting are services."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from accounts.models import Organization
from billing import gateway
from billing.models import PaymentAccount, StripeEvent
from billing.secrets import decrypt

SECRET_KEY = re.compile(r"(?P<kind>rk|sk)_(?P<mode>test|live)_[A-Za-z0-9_]{8,}")
PUBLISHABLE_KEY = re.compile(r"pk_(?P<mode>test|live)_[A-Za-z0-9_]{8,}")
WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9_+/=]{8,}")
RECENT_EVENTS = 20


class PaymentsNotConnected(Exception):
    """The organization has not connected a Stripe account (Settings → Payments)."""


def key_problems(*, secret_key: str, publishable_key: str, webhook_secret: str) -> dict[str, str]:
    """What is wrong with keys as pasted, by field: a wrong kind of key, or test and live keys mixed."""
    problems = {}
    secret = SECRET_KEY.fullmatch(secret_key)
    publishable = PUBLISHABLE_KEY.fullmatch(publishable_key)
    if not secret:
        problems["secret_key"] = (
            "This is the publishable key: paste it below, and the secret key here."
            if PUBLISHABLE_KEY.fullmatch(secret_key)
            else "Paste a restricted key (rk_test_… or rk_live_…) or a secret key (sk_test_… or sk_live_…)."
        )
    if not publishable:
        problems["publishable_key"] = (
            "This is a secret key: keep it out of this field, which browsers will see."
            if SECRET_KEY.fullmatch(publishable_key)
            else "Paste the publishable key: it starts with pk_test_ or pk_live_."
        )
    elif secret and secret["mode"] != publishable["mode"]:
        problems["publishable_key"] = (
            f"This is a {publishable['mode']} key and the secret key is a {secret['mode']} key: "
            "paste both from the same mode of your Stripe dashboard."
        )
    if not WEBHOOK_SECRET.fullmatch(webhook_secret):
        problems["webhook_secret"] = "Paste the endpoint's signing secret: it starts with whsec_."  # noqa: S105
    return problems


def is_live_key(secret_key: str) -> bool:
    return secret_key.startswith(("rk_live_", "sk_live_"))


def payment_account() -> PaymentAccount | None:
    """The current organization's Stripe account, if it connected one."""
    return PaymentAccount.objects.select_related("connected_by").first()


def _connected() -> PaymentAccount:
    account = PaymentAccount.objects.first()
    if account is None:
        raise PaymentsNotConnected("Connect a Stripe account in Settings → Payments first.")
    return account


def stripe_client_for_org() -> gateway.Client:
    """A client calling Stripe with the current organization's own key."""
    return gateway.stripe_client(decrypt(_connected().secret_key_encrypted))


def webhook_secret_for_org() -> str:
    """The signing secret of the current organization's webhook endpoint."""
    return decrypt(_connected().webhook_secret_encrypted)


def webhook_url(organization: Organization) -> str:
    """Where the organization's Stripe account sends its events: the address to paste in Stripe."""
    return settings.SITE_URL + reverse("stripe_webhook", kwargs={"org_slug": organization.slug})


def recent_stripe_events() -> list[StripeEvent]:
    """The latest webhook events received, newest first: the log under Settings → Payments."""
    return list(StripeEvent.objects.order_by("-received_at", "-id")[:RECENT_EVENTS])


STRIPE_JS = "https://js.stripe.com/v3/"
STRIPE_ORIGINS = ("https://js.stripe.com", "https://api.stripe.com", "https://hooks.stripe.com")


def stripe_js_url() -> str:
    """Where a card form loads Stripe.js: Stripe's own, or the emulator's stand-in (localstripe)."""
    base = settings.STRIPE_API_BASE
    return f"{base.rstrip('/')}/js.stripe.com/v3/" if base else STRIPE_JS


def stripe_origins() -> list[str]:
    """The origins a page with Stripe.js must let in (scripts, its calls, its card frames)."""
    base = settings.STRIPE_API_BASE
    if base:
        parts = urlsplit(base)
        return [f"{parts.scheme}://{parts.netloc}"]
    return list(STRIPE_ORIGINS)


def stripe_portal_origins() -> list[str]:
    """Where Stripe's customer portal lives: a form posting to Roster is sent on there."""
    return stripe_origins()[:1] if settings.STRIPE_API_BASE else ["https://billing.stripe.com"]


def publishable_key() -> str:
    """The current organization's publishable key, which its card forms give Stripe.js."""
    return _connected().publishable_key
