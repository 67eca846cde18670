"""Memberships' test world: Alpha's shop with a monthly club for children, Pat's saved cards, and what Stripe
does on its own — renewing a subscription when its period ends (billing.emulator) and delivering the events
it made, as its webhooks would."""

import urllib.parse
import urllib.request
from contextlib import contextmanager

from django.conf import settings

from billing import card_services, services
from billing.emulator import events_about
from billing.models import ForWhom, Package, PackageKind, SavedCard, Subscription
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


def recorded_subscription(package, member, payer, *, stripe_id: str, status: str) -> Subscription:
    """A membership as a staff sale records it, for worlds with no Stripe account to start one (the fuzz
    world, the escaping probe)."""
    return Subscription.objects.create(
        package=package,
        member=member,
        member_label=member.full_name,
        payer=payer,
        payer_label=payer.full_name,
        price=package.price,
        currency=package.currency,
        interval=package.interval,
        channel="staff",
        stripe_subscription=stripe_id,
        status=status,
    )


def saved_card(person, number: str = "4242424242424242") -> SavedCard:
    setup = browser_sets_up_card(card_services.card_setup_start(customer=person).client_secret, number)
    return card_services.card_save(customer=person, setup_intent=setup, by=None)


def stripe_delivers(*ids: str, seen: set[str], reverse: bool = False) -> list[str]:
    """Deliver what Stripe said about these objects since last time (in the reverse order, when asked);
    returns the events' types."""
    events = events_about(set(ids), seen)
    for event in reversed(events) if reverse else events:
        webhook_arrives(event)
    return [event.type for event in events]


@contextmanager
def webhooks_delivered_to(url: str, secret: str):
    """The emulator posts every event it makes to `url`, signed with `secret`, as Stripe's webhooks do,
    until the block ends (then it sends them nowhere: its registry has no removal)."""

    def register(fields: dict) -> None:
        body = urllib.parse.urlencode({"url": url, "secret": secret} | fields).encode()
        address = f"{settings.STRIPE_API_BASE}/_config/webhooks/roster-tests"
        urllib.request.urlopen(urllib.request.Request(address, data=body), timeout=10).close()  # noqa: S310

    register({})
    try:
        yield
    finally:
        register({"events[0]": "roster.none"})
