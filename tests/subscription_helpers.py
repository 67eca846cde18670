"""Memberships' test world: Alpha's shop with a monthly club for children, Pat's saved cards, and what Stripe
does on its own — renewing a subscription when its period ends (the emulator's /_config/ control; Stripe's
test clocks do this in test mode) and delivering the events it made, as its webhooks would."""

import json
import urllib.request

from django.conf import settings

from billing import card_services, gateway, services
from billing.account import stripe_client_for_org
from billing.models import ForWhom, Package, PackageKind, SavedCard
from tests.store_helpers import browser_sets_up_card, webhook_arrives

DECLINED_ON_CHARGE = "4000000000000341"  # saves fine, declined when charged


def club(by, **fields) -> Package:
    fields = {
        "name": "Little climbers club",
        "kind": PackageKind.MEMBERSHIP,
        "price": 4000,
        "tax_rate": "10",
        "currency": "USD",
        "interval": "month",
        "signup_fee": 1500,
        "for_whom": ForWhom.CHILD,
    } | fields
    return services.package_save(package=Package(**fields), by=by)


def saved_card(person, number: str = "4242424242424242") -> SavedCard:
    setup = browser_sets_up_card(card_services.card_setup_start(customer=person).client_secret, number)
    return card_services.card_save(customer=person, setup_intent=setup, by=None)


def stripe_renews(stripe_subscription: str) -> dict:
    """The period ends: Stripe bills the next one (or ends, or voids it while paused)."""
    address = f"{settings.STRIPE_API_BASE}/_config/subscriptions/{stripe_subscription}/renew"
    request = urllib.request.Request(address, data=b"", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the emulator
        return json.load(answer)


def _about(event: dict, stripe_subscription: str) -> bool:
    thing = event["data"]["object"]
    parent = (thing.get("parent") or {}).get("subscription_details") or {}
    return thing.get("id") == stripe_subscription or parent.get("subscription") == stripe_subscription


def stripe_events(stripe_subscription: str, seen: set[str] | None = None) -> list[gateway.StripeEvent]:
    """The events Stripe made about a subscription and its invoices, oldest first, leaving out `seen` ids."""
    listed = stripe_client_for_org().v1.events.list(params={"limit": 100}).to_dict()["data"]
    events = [
        gateway.StripeEvent(
            id=each["id"], type=each["type"], created=each["created"], object=each["data"]["object"]
        )
        for each in reversed(listed)
        if _about(each, stripe_subscription) and each["id"] not in (seen or set())
    ]
    if seen is not None:
        seen.update(event.id for event in events)
    return events


def stripe_delivers(stripe_subscription: str, seen: set[str], *, reverse: bool = False) -> list[str]:
    """Deliver what Stripe said since last time (in the reverse order, when asked); returns the types."""
    events = stripe_events(stripe_subscription, seen)
    for event in reversed(events) if reverse else events:
        webhook_arrives(event)
    return [event.type for event in events]
