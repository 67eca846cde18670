"""billing.gateway against the Stripe emulator the test settings start (localstripe,
config/stripe_emulator/), with the real SDK; billing.secrets, which keeps each organization's Stripe key.
Two organizations, Alpha and Beta, each with its own restricted key, as they would paste it in Settings →
Payments.

Test payment methods are Stripe's own test ids, so each story reads the same against Stripe's test mode:
`pm_card_visa` pays, `pm_card_chargeCustomerFail` (4000 0000 0000 0341) is declined when charged."""

import ast
import json
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from django.conf import settings

from billing import gateway
from billing.secrets import UnreadableSecret, decrypt, encrypt
from tests.conftest import BASE_DIR
from tests.test_code_rules import modules

ALPHA_KEY = "rk_test_alpha_51Hx0000000000000000000000"
BETA_KEY = "rk_test_beta_51Hx00000000000000000000000"
WEBHOOK_SECRET = "whsec_test_alpha_0000000000000000"


def key(purpose: str) -> str:
    """An idempotency key, unique to this test run (the emulator lives for the whole session)."""
    return f"{purpose}-{uuid.uuid4()}"


@pytest.fixture
def alpha():
    return gateway.stripe_client(ALPHA_KEY)


@pytest.fixture
def beta():
    return gateway.stripe_client(BETA_KEY)


@pytest.fixture
def alpha_customer(alpha):
    return gateway.customer_create(
        alpha,
        email="ana.lopez@example.com",
        name="Ana Lopez",
        metadata={"roster_customer": "17"},
        idempotency_key=key("customer-17"),
    )


def pay(client, customer: str, payment_method: str, amount: int = 2500) -> gateway.StripePaymentIntent:
    intent = gateway.payment_intent_create(
        client,
        amount=amount,
        currency="USD",
        customer=customer,
        payment_method=payment_method,
        metadata={"order": "42"},
        idempotency_key=key("order-42-payment"),
    )
    return gateway.payment_intent_confirm(
        client, payment_intent=intent.id, idempotency_key=key("order-42-confirm")
    )


def test_the_tests_talk_to_the_emulator_never_to_stripe():
    assert settings.STRIPE_API_BASE.startswith("http://127.0.0.1:")


def test_only_the_gateways_import_stripe():
    importers = []
    for path in modules("**/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "stripe" or name.startswith("stripe.") for name in names):
                importers.append(str(path.relative_to(BASE_DIR)))
    assert set(importers) == {"billing/gateway.py", "billing/subscription_gateway.py"}


def test_a_customer_pays_25_dollars_with_a_visa_card(alpha, alpha_customer):
    assert alpha_customer.startswith("cus_")
    intent = gateway.payment_intent_create(
        alpha,
        amount=2500,
        currency="USD",
        customer=alpha_customer,
        payment_method="pm_card_visa",
        metadata={"order": "42"},
        idempotency_key=key("order-42-payment"),
    )
    assert intent.status == "requires_confirmation"
    assert (intent.amount, intent.currency, intent.customer) == (2500, "usd", alpha_customer)
    assert intent.client_secret.startswith(intent.id)

    paid = gateway.payment_intent_confirm(
        alpha, payment_intent=intent.id, idempotency_key=key("order-42-confirm")
    )
    assert paid.status == "succeeded"
    assert paid.charge.startswith("ch_")
    assert paid.amount_refunded == 0 and paid.failure_message is None


def test_a_declined_card_gives_the_payer_stripes_message_and_charges_nothing(alpha, alpha_customer):
    intent = gateway.payment_intent_create(
        alpha,
        amount=2500,
        currency="usd",
        customer=alpha_customer,
        payment_method="pm_card_chargeCustomerFail",
        metadata={"order": "45"},
        idempotency_key=key("order-45-payment"),
    )
    with pytest.raises(gateway.CardDeclined) as declined:
        gateway.payment_intent_confirm(
            alpha, payment_intent=intent.id, idempotency_key=key("order-45-confirm")
        )
    assert declined.value.code == "card_declined"
    assert declined.value.message == "Your card was declined."

    after = gateway.payment_intent_retrieve(alpha, payment_intent=intent.id)
    assert after.status == "requires_payment_method"
    assert after.failure_message == "Your card was declined."


def test_half_of_a_payment_is_refunded(alpha, alpha_customer):
    paid = pay(alpha, alpha_customer, "pm_card_visa")

    refund = gateway.refund_create(
        alpha,
        payment_intent=paid.id,
        amount=1250,
        reason="requested_by_customer",
        idempotency_key=key("order-42-refund-1"),
    )
    assert (refund.amount, refund.status, refund.reason) == (1250, "succeeded", "requested_by_customer")
    assert refund.id.startswith("re_") and refund.payment_intent == paid.id
    after = gateway.payment_intent_retrieve(alpha, payment_intent=paid.id)
    assert (after.status, after.amount_refunded) == ("succeeded", 1250)


def test_a_retried_call_with_the_same_idempotency_key_makes_one_payment_intent(alpha, alpha_customer):
    create = {
        "amount": 2500,
        "currency": "usd",
        "customer": alpha_customer,
        "payment_method": "pm_card_visa",
        "metadata": {"order": "43"},
        "idempotency_key": key("order-43-payment"),
    }
    first = gateway.payment_intent_create(alpha, **create)
    retried = gateway.payment_intent_create(alpha, **create)
    assert retried.id == first.id
    other = gateway.payment_intent_create(alpha, **{**create, "idempotency_key": key("order-44-payment")})
    assert other.id != first.id

    # The same key for something else is a bug: Stripe refuses it rather than guess.
    with pytest.raises(gateway.PaymentError) as refused:
        gateway.payment_intent_create(alpha, **{**create, "amount": 2600})
    assert "same parameters" in refused.value.message

    confirm = key("order-43-confirm")
    paid = gateway.payment_intent_confirm(alpha, payment_intent=first.id, idempotency_key=confirm)
    paid_again = gateway.payment_intent_confirm(alpha, payment_intent=first.id, idempotency_key=confirm)
    assert paid_again.charge == paid.charge and paid_again.status == "succeeded"


def test_a_retried_refund_refunds_once(alpha, alpha_customer):
    paid = pay(alpha, alpha_customer, "pm_card_visa")
    refund = {
        "payment_intent": paid.id,
        "amount": 1000,
        "reason": "duplicate",
        "idempotency_key": key("refund"),
    }
    first = gateway.refund_create(alpha, **refund)
    assert gateway.refund_create(alpha, **refund).id == first.id
    assert gateway.payment_intent_retrieve(alpha, payment_intent=paid.id).amount_refunded == 1000


def test_each_organization_has_its_own_idempotency_keys(alpha, beta, alpha_customer):
    beta_customer = gateway.customer_create(
        beta, email=None, name="Ben Okafor", metadata={}, idempotency_key=key("beta-customer")
    )
    same_key = key("order-1-payment")
    payments = [
        gateway.payment_intent_create(
            client,
            amount=2500,
            currency="usd",
            customer=customer,
            payment_method=None,
            metadata={},
            idempotency_key=same_key,
        )
        for client, customer in ((alpha, alpha_customer), (beta, beta_customer))
    ]
    assert payments[0].id != payments[1].id
    assert [payment.customer for payment in payments] == [alpha_customer, beta_customer]
    assert payments[1].status == "requires_payment_method"


@pytest.mark.parametrize("amount", [25.0, 0, -100, True])
def test_an_amount_is_a_positive_whole_number_of_minor_units(alpha, alpha_customer, amount):
    with pytest.raises(ValueError, match="minor units"):
        gateway.payment_intent_create(
            alpha,
            amount=amount,
            currency="usd",
            customer=alpha_customer,
            payment_method="pm_card_visa",
            metadata={},
            idempotency_key=key("bad-amount"),
        )


def test_an_unknown_payment_intent_is_a_payment_error_not_a_crash(alpha):
    with pytest.raises(gateway.PaymentError) as refused:
        gateway.payment_intent_retrieve(alpha, payment_intent="pi_doesnotexist0")
    assert not isinstance(refused.value, gateway.CardDeclined | gateway.StripeUnavailable)


def test_stripe_out_of_reach_says_to_try_again_later(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard: nothing answers
    client = gateway.stripe_client(ALPHA_KEY)
    with pytest.raises(gateway.StripeUnavailable):
        gateway.customer_create(
            client, email=None, name="Ana", metadata={}, idempotency_key=key("unreachable")
        )


# The organization's key at rest


def test_a_stripe_key_is_stored_encrypted_and_read_back():
    token = encrypt(ALPHA_KEY)
    assert ALPHA_KEY not in token
    assert encrypt(ALPHA_KEY) != token  # a fresh IV each time: equal keys do not look equal at rest
    assert decrypt(token) == ALPHA_KEY


def test_an_altered_token_is_refused():
    token = encrypt(ALPHA_KEY)
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (altered, token[:-1], "", "not a token", "é"):
        with pytest.raises(UnreadableSecret):
            decrypt(bad)


def test_a_token_from_another_encryption_key_is_refused(settings):
    token = encrypt(ALPHA_KEY)
    settings.PAYMENTS_ENCRYPTION_KEY = "another-deployment-" + "x1y2z3" * 10
    with pytest.raises(UnreadableSecret):
        decrypt(token)
    assert decrypt(encrypt(ALPHA_KEY)) == ALPHA_KEY


# Webhooks


def signed(body: dict, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(body)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=at)


EVENT = {
    "id": "evt_1",
    "object": "event",
    "type": "payment_intent.succeeded",
    "created": 1_790_000_000,
    "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 2500, "status": "succeeded"}},
}


def test_a_webhook_signed_with_the_endpoint_secret_is_accepted():
    payload, signature = signed(EVENT)
    event = gateway.event_from_payload(payload, signature, WEBHOOK_SECRET)
    assert (event.id, event.type, event.created) == ("evt_1", "payment_intent.succeeded", 1_790_000_000)
    assert event.object == EVENT["data"]["object"]


def test_a_tampered_or_foreign_webhook_is_refused():
    payload, signature = signed(EVENT)
    tampered = payload.replace(b"2500", b"9500")
    _, foreign_signature = signed(EVENT, secret="whsec_someone_else")
    for body, header in (
        (tampered, signature),
        (payload, foreign_signature),
        (payload, ""),
        (b"", signature),
    ):
        with pytest.raises(gateway.WebhookRejected):
            gateway.event_from_payload(body, header, WEBHOOK_SECRET)


def test_an_old_webhook_is_refused_so_a_captured_one_cannot_be_replayed():
    payload, signature = signed(EVENT, at=int(time.time()) - gateway.WEBHOOK_TOLERANCE - 60)
    with pytest.raises(gateway.WebhookRejected, match=r"(?i)timestamp"):
        gateway.event_from_payload(payload, signature, WEBHOOK_SECRET)


def test_a_signed_body_that_is_not_an_event_is_refused():
    payload = b"not json"
    signature = stripe.WebhookSignature.generate_signature_header(payload.decode(), WEBHOOK_SECRET)
    with pytest.raises(gateway.WebhookRejected):
        gateway.event_from_payload(payload, signature, WEBHOOK_SECRET)


def test_the_emulator_signs_its_webhooks_as_stripe_does(alpha, alpha_customer):
    deliveries = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            deliveries.append((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    endpoint = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    try:
        # localstripe's own configuration endpoint: it has no webhook endpoints API.
        subscribe = {
            "url": f"http://127.0.0.1:{endpoint.server_port}/stripe/webhook",
            "secret": WEBHOOK_SECRET,
            "events": ["payment_intent.succeeded"],
        }
        request = urllib.request.Request(  # noqa: S310 - the emulator's local http address
            f"{settings.STRIPE_API_BASE}/_config/webhooks/roster-test",
            data=json.dumps(subscribe).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=5).close()  # noqa: S310
        paid = pay(alpha, alpha_customer, "pm_card_visa")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(paid.id.encode() in body for body, _ in deliveries):
            time.sleep(0.1)
    finally:
        endpoint.shutdown()
        endpoint.server_close()

    body, signature = next(delivery for delivery in deliveries if paid.id.encode() in delivery[0])
    event = gateway.event_from_payload(body, signature, WEBHOOK_SECRET)
    assert event.type == "payment_intent.succeeded"
    assert (event.object["id"], event.object["amount"]) == (paid.id, 2500)
