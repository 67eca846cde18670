"""What the local Stripe emulator (settings.STRIPE_API_BASE, config/stripe_emulator/) stands in for, for
the demo and the tests: a payer's browser setting a card up with Stripe.js, time passing to the end of a
subscription's period, and Stripe's webhooks delivering the events it made. Never used against Stripe."""

import json
import urllib.error
import urllib.request

from django.conf import settings

from billing import gateway
from billing.account import stripe_client_for_org


def _post(address: str, body: bytes = b"") -> bytes:
    request = urllib.request.Request(address, data=body, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the emulator
        return answer.read()


def card_set_up(client_secret: str, number: str, publishable_key: str) -> str:
    """What Stripe.js does with a card typed into its fields: confirm the SetupIntent with the publishable
    key and the client secret (the card goes to Stripe, never to Roster). Returns the SetupIntent's id."""
    setup_intent = client_secret.split("_secret_")[0]
    body = {
        "key": publishable_key,
        "use_stripe_sdk": True,
        "client_secret": client_secret,
        "payment_method_data": {
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            "billing_details": {"address": {"postal_code": "10001"}},
        },
    }
    try:
        _post(
            f"{settings.STRIPE_API_BASE}/v1/setup_intents/{setup_intent}/confirm", json.dumps(body).encode()
        )
    except urllib.error.HTTPError as refused:  # a declined card: the SetupIntent says so
        if refused.code != 402:
            raise
    return setup_intent


def period_ends(stripe_subscription: str) -> None:
    """The subscription's period ends: Stripe bills the next one (or ends it, or voids it while paused)."""
    _post(f"{settings.STRIPE_API_BASE}/_config/subscriptions/{stripe_subscription}/renew")


def _about(event: dict, ids: set[str]) -> bool:
    thing = event["data"]["object"]
    parent = (thing.get("parent") or {}).get("subscription_details") or {}
    return bool(ids & {thing.get("id"), thing.get("customer"), parent.get("subscription")})


def events_about(ids: set[str], seen: set[str]) -> list[gateway.StripeEvent]:
    """The events Stripe made about these objects (subscriptions, customers: with their invoices and cards)
    that are not in `seen` (then added to it), oldest first."""
    answer = stripe_client_for_org().v1.events.list(params={"limit": 100}).to_dict()
    listed = json.loads(json.dumps(answer, default=str))["data"]  # decimals back to the strings Stripe sends
    events = [
        gateway.StripeEvent(
            id=each["id"], type=each["type"], created=each["created"], object=each["data"]["object"]
        )
        for each in reversed(listed)
        if _about(each, ids) and each["id"] not in seen
    ]
    seen.update(event.id for event in events)
    return events
