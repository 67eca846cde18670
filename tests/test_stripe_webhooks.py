"""Stripe's webhook endpoint, /stripe/webhooks/<org>/: a delivery signed with the organization's webhook
secret is kept once by its event id and answered 200 (again for a repeat, which changes nothing); a tampered,
foreign or stale one is answered 400 and nothing is kept; an unknown organization, or one without payments
connected, is 404. Signatures are made with the Stripe SDK's own helper, as Stripe makes them."""

import json
import time
import urllib.request
import uuid

import pytest
import stripe
from django.conf import settings

from accounts.tenancy import tenant
from billing import account, account_services, gateway
from billing.models import StripeEvent

ALPHA_SECRET = "whsec_alphaEndpointSecret0000000000"
BETA_SECRET = "whsec_betaEndpointSecret00000000000"
WEBHOOK = "/stripe/webhooks/{slug}/"


def event(event_id: str = "evt_1Alpha", type_: str = "payment_intent.succeeded", **data) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": type_,
        "created": 1_790_000_000,
        "livemode": False,
        "data": {"object": {"id": "pi_1Alpha", "object": "payment_intent", "amount": 2500, **data}},
    }


def signed(body: dict, *, secret: str = ALPHA_SECRET, at: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(body)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=at)


def deliver(client, slug: str, payload: bytes, signature: str):
    return client.post(
        WEBHOOK.format(slug=slug), payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def connect(organization, owner, secret: str, hint: str):
    with tenant(organization):
        account_services.payment_account_connect(
            secret_key=f"rk_test_51Hx{organization.slug}Restricted000{hint}",
            publishable_key=f"pk_test_51Hx{organization.slug}Publishable00000",
            webhook_secret=secret,
            by=owner,
        )


@pytest.fixture
def alpha_connected(org_a, alice):
    connect(org_a, alice, ALPHA_SECRET, "aaaa")


@pytest.fixture
def beta_connected(org_b, bob):
    connect(org_b, bob, BETA_SECRET, "bbbb")


def stored(organization) -> list[StripeEvent]:
    with tenant(organization):
        return list(StripeEvent.objects.order_by("id"))


def test_a_signed_event_is_kept_once_and_processed(client, org_a, alpha_connected):
    response = deliver(client, org_a.slug, *signed(event()))
    assert response.status_code == 200
    [kept] = stored(org_a)
    assert (kept.stripe_id, kept.type) == ("evt_1Alpha", "payment_intent.succeeded")
    assert kept.payload == event()["data"]["object"]
    assert kept.created.timestamp() == 1_790_000_000
    assert kept.processed_at is None  # the worker applies it (a test with the worker below)
    with tenant(org_a):
        assert account_services.stripe_event_apply(event=kept).processed_at is not None


def test_the_same_event_delivered_again_is_answered_200_and_not_processed_again(
    client, org_a, alpha_connected
):
    assert deliver(client, org_a.slug, *signed(event())).status_code == 200
    [first] = stored(org_a)
    with tenant(org_a):
        first = account_services.stripe_event_apply(event=first)
    # Stripe retries with a fresh signature; the event id is what makes it the same.
    repeat = deliver(client, org_a.slug, *signed(event(), at=int(time.time()) + 1))
    assert repeat.status_code == 200
    [again] = stored(org_a)
    assert (again.pk, again.processed_at) == (first.pk, first.processed_at)


def test_events_come_in_any_order_and_each_is_kept_once(client, org_a, alpha_connected):
    refunded = event("evt_3Alpha", "charge.refunded")
    succeeded = event("evt_2Alpha")
    for body in (refunded, succeeded, refunded, succeeded):
        assert deliver(client, org_a.slug, *signed(body)).status_code == 200
    kept = stored(org_a)
    assert [(each.stripe_id, each.type) for each in kept] == [
        ("evt_3Alpha", "charge.refunded"),
        ("evt_2Alpha", "payment_intent.succeeded"),
    ]
    with tenant(org_a):
        assert all(account_services.stripe_event_apply(event=each).processed_at for each in kept)


def test_an_event_roster_does_not_act_on_is_kept_but_not_processed(client, org_a, alpha_connected):
    assert deliver(client, org_a.slug, *signed(event("evt_9Alpha", "customer.created"))).status_code == 200
    [kept] = stored(org_a)
    assert kept.type == "customer.created" and kept.processed_at is None


def test_a_tampered_foreign_or_stale_delivery_is_refused_and_nothing_kept(client, org_a, alpha_connected):
    payload, signature = signed(event())
    _, wrong_secret = signed(event(), secret="whsec_someoneElse000000000000")
    stale = signed(event(), at=int(time.time()) - gateway.WEBHOOK_TOLERANCE - 60)
    for body, header in (
        (payload.replace(b"2500", b"9500"), signature),
        (payload, wrong_secret),
        stale,
        (payload, ""),
        (b"not json", signature),
    ):
        response = deliver(client, org_a.slug, body, header)
        assert response.status_code == 400, (body, header)
    assert stored(org_a) == []


def test_a_form_post_is_refused_as_no_event(client, org_a, alpha_connected):
    response = client.post(WEBHOOK.format(slug=org_a.slug), {"file": ("x.txt", b"x")})
    assert response.status_code == 400
    assert stored(org_a) == []


def test_another_organizations_secret_cannot_post_into_this_one(
    client, org_a, org_b, alpha_connected, beta_connected
):
    beta_signed = signed(event("evt_1Beta"), secret=BETA_SECRET)
    assert deliver(client, org_a.slug, *beta_signed).status_code == 400
    assert stored(org_a) == []
    assert deliver(client, org_b.slug, *beta_signed).status_code == 200
    assert [each.stripe_id for each in stored(org_b)] == ["evt_1Beta"]
    # The same event id in two organizations is two events, one each.
    assert deliver(client, org_a.slug, *signed(event("evt_1Beta"))).status_code == 200
    assert [each.stripe_id for each in stored(org_a)] == ["evt_1Beta"]
    assert len(stored(org_b)) == 1


def test_an_unknown_organization_or_one_without_payments_is_404(client, org_a, org_b, alpha_connected):
    assert deliver(client, "no-such-org", *signed(event())).status_code == 404
    assert deliver(client, org_b.slug, *signed(event(), secret=BETA_SECRET)).status_code == 404
    assert stored(org_b) == []


def test_the_endpoint_takes_only_posts(client, org_a, alpha_connected):
    assert client.get(WEBHOOK.format(slug=org_a.slug)).status_code == 405


def test_after_disconnecting_deliveries_are_404_and_the_log_stays(client, org_a, alice, alpha_connected):
    assert deliver(client, org_a.slug, *signed(event())).status_code == 200
    with tenant(org_a):
        account_services.payment_account_disconnect(by=alice)
    assert deliver(client, org_a.slug, *signed(event("evt_2Alpha"))).status_code == 404
    assert [each.stripe_id for each in stored(org_a)] == ["evt_1Alpha"]


def test_the_owner_sees_the_events_received(client, alice_client, org_a, alpha_connected):
    deliver(client, org_a.slug, *signed(event()))
    deliver(client, org_a.slug, *signed(event("evt_9Alpha", "customer.created")))
    page = alice_client.get(f"/app/{org_a.slug}/settings/payments/").text
    assert "evt_1Alpha" in page and "payment_intent.succeeded" in page
    assert "customer.created" in page and "Not acted on" in page


def subscribe_emulator(name: str, url: str, events: list[str]) -> None:
    """localstripe's own configuration endpoint: where it delivers events, signed with ALPHA_SECRET."""
    request = urllib.request.Request(  # noqa: S310 - the emulator's local http address
        f"{settings.STRIPE_API_BASE}/_config/webhooks/{name}",
        data=json.dumps({"url": url, "secret": ALPHA_SECRET, "events": events}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=5).close()  # noqa: S310


@pytest.mark.django_db(transaction=True)
def test_a_payment_in_the_emulator_arrives_as_a_kept_event_the_worker_applies(
    live_server, celery_worker, org_a, alice, alpha_connected
):
    """End to end: Alpha pays through its own key; the emulator signs and delivers payment_intent.succeeded
    to Alpha's endpoint on the running server, which keeps it once."""
    subscribe_emulator(
        "roster-alpha", f"{live_server.url}/stripe/webhooks/{org_a.slug}/", ["payment_intent.succeeded"]
    )
    try:
        with tenant(org_a):
            client = account.stripe_client_for_org()
        customer = gateway.customer_create(
            client, email=None, name="Ana Lopez", metadata={}, idempotency_key=f"c-{uuid.uuid4()}"
        )
        intent = gateway.payment_intent_create(
            client,
            amount=2500,
            currency="usd",
            customer=customer,
            payment_method="pm_card_visa",
            metadata={},
            idempotency_key=f"p-{uuid.uuid4()}",
        )
        gateway.payment_intent_confirm(client, payment_intent=intent.id, idempotency_key=f"c-{uuid.uuid4()}")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(
            each.payload.get("id") == intent.id and each.processed_at for each in stored(org_a)
        ):
            time.sleep(0.2)
    finally:
        subscribe_emulator("roster-alpha", live_server.url, [])  # delivers nothing from now on
    [kept] = [each for each in stored(org_a) if each.payload.get("id") == intent.id]
    assert kept.type == "payment_intent.succeeded" and kept.processed_at is not None
    assert kept.payload["amount"] == 2500
