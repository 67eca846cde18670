"""Where Roster talks to Stripe: a client per organization, the calls of one-off payments (customers, cards,
payment intents, refunds), the errors every call raises, and the check of a webhook's signature. Recurring
billing's calls (prices, subscriptions, invoices, the customer portal) are in billing.subscription_gateway,
built on these; nothing else imports `stripe`.

Each organization connects its own Stripe account: an owner pastes a restricted secret key (`rk_…`, allowed
customers, payment intents and refunds) in Settings → Payments, and Roster keeps it encrypted
(billing.secrets). pretix offers both Stripe Connect and an organizer's own keys; we take own keys because
- each organization's money and customer data stay in its own Stripe account, under its own terms, and
  Roster never becomes a Connect platform (no platform onboarding or review, no liability for connected
  accounts' disputes and negative balances);
- a restricted key lets Roster do only what the store needs, and the organization revokes it in its own
  dashboard whenever it likes;
- localstripe, the emulator that `make run` and the tests start (settings.STRIPE_API_BASE), speaks plain
  keys and not Connect, so development and tests run the code production runs.

Every call that changes something carries an idempotency key the caller derives from what it is doing
(say `order-42-payment`), so a retried task or a double click never charges or refunds twice; the SDK
retries network failures itself with the same key. Amounts are integers in the currency's minor units
(2500 is 25.00 USD, or 2500 JPY). Stripe's errors come out as three kinds: CardDeclined (its message is
written for the payer), StripeUnavailable (try again later with the same key) and PaymentError (anything
else: a revoked key, a bad request — for the log, not the payer).
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import stripe
from django.conf import settings
from stripe.params import CustomerCreateParams, PaymentIntentConfirmParams, PaymentIntentCreateParams

MAX_NETWORK_RETRIES = 2
WEBHOOK_TOLERANCE = 300  # seconds; an older signed delivery is refused, so a captured one cannot be replayed
RefundReason = Literal["duplicate", "fraudulent", "requested_by_customer"]


class PaymentError(Exception):
    """Stripe refused a call. `code` is Stripe's error code, when it gave one."""

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code


class CardDeclined(PaymentError):
    """The card was declined; the message is Stripe's, written to be shown to the payer."""

    def __init__(self, message: str, *, code: str | None = None, decline_code: str | None = None):
        super().__init__(message, code=code)
        self.decline_code = decline_code


class StripeUnavailable(PaymentError):
    """Stripe could not be reached or failed on its side: the same call, same key, may succeed later."""


class WebhookRejected(Exception):
    """A webhook whose signature does not match, is too old, or whose body is not an event."""


@dataclass(frozen=True)
class StripePaymentIntent:
    id: str
    status: str  # requires_payment_method, requires_confirmation, requires_action, processing, succeeded, …
    amount: int
    currency: str
    customer: str | None
    client_secret: str
    charge: str | None  # the latest charge, once confirmed
    amount_refunded: int
    failure_message: str | None  # why the last attempt failed, for the payer
    card_brand: str = ""  # "visa", once a card is attached
    card_last4: str = ""
    payment_method: str | None = None  # pm_…, once a card is attached
    metadata: dict[str, str] | None = None  # what Roster wrote on it (roster_checkout, roster_sale, …)


@dataclass(frozen=True)
class StripeCard:
    payment_method: str  # pm_…
    customer: str | None  # the Stripe customer it is saved to
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class StripeSetupIntent:
    id: str
    status: str  # requires_payment_method, requires_action, succeeded, canceled
    customer: str | None
    client_secret: str
    card: StripeCard | None  # once the browser confirmed it with a card


@dataclass(frozen=True)
class StripeRefund:
    id: str
    payment_intent: str
    amount: int
    status: str  # pending, succeeded, failed, canceled
    reason: str | None


@dataclass(frozen=True)
class StripeEvent:
    id: str
    type: str
    created: int
    object: dict  # the event's data.object, as Stripe sent it


# What callers outside this module name a client by, without importing stripe.
Client = stripe.StripeClient


def stripe_client(secret_key: str) -> stripe.StripeClient:
    """A client calling Stripe with an organization's key, or the emulator named by STRIPE_API_BASE."""
    base = settings.STRIPE_API_BASE
    # With an emulator, every kind of address points at it: nothing reaches the real Stripe by accident.
    addresses = {"api": base, "connect": base, "files": base, "meter_events": base} if base else {}
    return stripe.StripeClient(
        secret_key,
        base_addresses=addresses,  # type: ignore[arg-type]  # stripe's TypedDict, not exported
        max_network_retries=MAX_NETWORK_RETRIES,
    )


@contextmanager
def stripe_errors() -> Iterator[None]:
    """Stripe's errors as the three kinds this module's callers handle."""
    try:
        yield
    except stripe.CardError as error:
        raise CardDeclined(
            error.user_message or "The card was declined.",
            code=error.code,
            decline_code=getattr(error.error, "decline_code", None),
        ) from error
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        raise StripeUnavailable(error.user_message or "Stripe is unavailable.", code=error.code) from error
    except stripe.StripeError as error:
        raise PaymentError(error.user_message or "Stripe refused the request.", code=error.code) from error


def minor_units(amount: int) -> int:
    if type(amount) is not int or amount <= 0:
        raise ValueError(f"An amount is a positive integer in minor units, not {amount!r}.")
    return amount


def _card(intent: stripe.PaymentIntent) -> tuple[str, str]:
    """The card's brand and last four digits: from the charge, as Stripe reports them, or else from the
    payment method (expanded beside the charge; the emulator's charges carry no card details)."""
    charge = intent.latest_charge
    details = charge and getattr(charge, "payment_method_details", None)
    card = details and getattr(details, "card", None)
    if not card:
        method = intent.payment_method
        card = getattr(method, "card", None) if method and not isinstance(method, str) else None
    return (card.brand or "", card.last4 or "") if card else ("", "")


def _payment_intent(intent: stripe.PaymentIntent) -> StripePaymentIntent:
    charge = intent.latest_charge  # expanded by every call below
    error = intent.last_payment_error
    brand, last4 = _card(intent)
    return StripePaymentIntent(
        id=intent.id,
        status=intent.status,
        amount=intent.amount,
        currency=intent.currency,
        customer=intent.customer,  # an id: never expanded
        client_secret=intent.client_secret,
        charge=charge.id if charge else None,
        amount_refunded=charge.amount_refunded if charge else 0,
        failure_message=error.message if error else None,
        card_brand=brand,
        card_last4=last4,
        payment_method=getattr(intent.payment_method, "id", intent.payment_method),
        metadata=intent.metadata.to_dict() if intent.metadata else {},
    )


def _stripe_card(method) -> StripeCard | None:
    if method is None or isinstance(method, str) or getattr(method, "card", None) is None:
        return None
    card = method.card
    return StripeCard(
        payment_method=method.id,
        customer=method.customer,
        brand=card.brand or "",
        last4=card.last4 or "",
        exp_month=card.exp_month,
        exp_year=card.exp_year,
    )


def card_from(data: dict) -> StripeCard:
    """A card PaymentMethod as a webhook carries it."""
    card = data.get("card") or {}
    return StripeCard(
        payment_method=data["id"],
        customer=data.get("customer"),
        brand=card.get("brand") or "",
        last4=card.get("last4") or "",
        exp_month=card.get("exp_month") or 1,
        exp_year=card.get("exp_year") or 2000,
    )


def _setup_intent(intent: stripe.SetupIntent) -> StripeSetupIntent:
    return StripeSetupIntent(
        id=intent.id,
        status=intent.status,
        customer=intent.customer,
        client_secret=intent.client_secret,
        card=_stripe_card(intent.payment_method),
    )


def account_check(client: stripe.StripeClient) -> None:
    """Prove the key opens the organization's account with a harmless read (one customer, at most); a
    refused key raises PaymentError, Stripe out of reach StripeUnavailable."""
    with stripe_errors():
        client.v1.customers.list(params={"limit": 1})


def customer_create(
    client: stripe.StripeClient,
    *,
    email: str | None,
    name: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> str:
    """A Stripe customer in the organization's account; returns its id (`cus_…`)."""
    params: CustomerCreateParams = {"name": name, "metadata": metadata}
    if email:
        params["email"] = email
    with stripe_errors():
        customer = client.v1.customers.create(params=params, options={"idempotency_key": idempotency_key})
    return customer.id


def payment_intent_create(
    client: stripe.StripeClient,
    *,
    amount: int,
    currency: str,
    customer: str,
    payment_method: str | None,
    metadata: dict[str, str],
    idempotency_key: str,
) -> StripePaymentIntent:
    """A PaymentIntent for `amount` minor units, to confirm later (here, or in the browser with its
    client_secret). Cards only: a card confirmed from the server needs no page to return to."""
    params: PaymentIntentCreateParams = {
        "amount": minor_units(amount),
        "currency": currency.lower(),
        "customer": customer,
        "metadata": metadata,
        "payment_method_types": ["card"],
        "expand": ["latest_charge", "payment_method"],
    }
    if payment_method:
        params["payment_method"] = payment_method
    with stripe_errors():
        intent = client.v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
    return _payment_intent(intent)


def payment_intent_confirm(
    client: stripe.StripeClient,
    *,
    payment_intent: str,
    payment_method: str | None = None,
    idempotency_key: str,
) -> StripePaymentIntent:
    """Charge `payment_method` (a card saved to the PaymentIntent's customer; by default the one the intent
    has) with the payer present: a card that asks for 3-D Secure leaves the intent `requires_action`, for
    Stripe.js to finish in the browser with its client_secret; a declined card raises CardDeclined."""
    params: PaymentIntentConfirmParams = {"expand": ["latest_charge", "payment_method"]}
    if payment_method:
        params["payment_method"] = payment_method
    with stripe_errors():
        intent = client.v1.payment_intents.confirm(
            payment_intent, params=params, options={"idempotency_key": idempotency_key}
        )
    return _payment_intent(intent)


def payment_intent_charge_saved_card(
    client: stripe.StripeClient,
    *,
    amount: int,
    currency: str,
    customer: str,
    payment_method: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> StripePaymentIntent:
    """Charge a saved card with the cardholder away from the screen (a sale at the desk); a card that insists
    on authenticating is refused by Stripe rather than waiting for a browser."""
    with stripe_errors():
        intent = client.v1.payment_intents.create(
            params={
                "amount": minor_units(amount),
                "currency": currency.lower(),
                "customer": customer,
                "payment_method": payment_method,
                "metadata": metadata,
                "payment_method_types": ["card"],
                "confirm": True,
                "off_session": True,
                "expand": ["latest_charge", "payment_method"],
            },
            options={"idempotency_key": idempotency_key},
        )
    return _payment_intent(intent)


def setup_intent_create(
    client: stripe.StripeClient, *, customer: str, metadata: dict[str, str], idempotency_key: str
) -> StripeSetupIntent:
    """A SetupIntent that saves a card to `customer` once the browser confirms it with Stripe.js."""
    with stripe_errors():
        intent = client.v1.setup_intents.create(
            params={"customer": customer, "payment_method_types": ["card"], "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
    return _setup_intent(intent)


def setup_intent_retrieve(client: stripe.StripeClient, *, setup_intent: str) -> StripeSetupIntent:
    with stripe_errors():
        intent = client.v1.setup_intents.retrieve(setup_intent, params={"expand": ["payment_method"]})
    return _setup_intent(intent)


def payment_method_detach(client: stripe.StripeClient, *, payment_method: str) -> None:
    """Forget a saved card in Stripe; it can no longer be charged."""
    with stripe_errors():
        client.v1.payment_methods.detach(payment_method)


def refunds_of(client: stripe.StripeClient, *, payment_intent: str) -> list[StripeRefund]:
    """Every refund of a PaymentIntent, made by Roster or in the Stripe dashboard (at most 100: more refunds
    than that of one payment is not a business we serve)."""
    with stripe_errors():
        page = client.v1.refunds.list(params={"payment_intent": payment_intent, "limit": 100})
    return [
        StripeRefund(
            id=refund.id,
            payment_intent=payment_intent,
            amount=refund.amount,
            status=refund.status,
            reason=refund.reason,
        )
        for refund in page.data
    ]


def payment_intent_retrieve(client: stripe.StripeClient, *, payment_intent: str) -> StripePaymentIntent:
    with stripe_errors():
        intent = client.v1.payment_intents.retrieve(
            payment_intent, params={"expand": ["latest_charge", "payment_method"]}
        )
    return _payment_intent(intent)


def refund_create(
    client: stripe.StripeClient,
    *,
    payment_intent: str,
    amount: int,
    reason: RefundReason,
    idempotency_key: str,
) -> StripeRefund:
    """Give back `amount` minor units of a succeeded PaymentIntent."""
    with stripe_errors():
        refund = client.v1.refunds.create(
            params={"payment_intent": payment_intent, "amount": minor_units(amount), "reason": reason},
            options={"idempotency_key": idempotency_key},
        )
    return StripeRefund(
        id=refund.id,
        payment_intent=payment_intent,
        amount=refund.amount,
        status=refund.status,
        reason=refund.reason,
    )


def event_from_payload(payload: bytes, signature: str, secret: str) -> StripeEvent:
    """The event of a webhook delivery, once its `Stripe-Signature` proves it came from the organization's
    Stripe account (signed with the endpoint's secret, `whsec_…`) within WEBHOOK_TOLERANCE."""
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE)
    except stripe.SignatureVerificationError as error:
        raise WebhookRejected(f"Bad signature: {error.user_message}") from None
    except (ValueError, KeyError) as error:  # not JSON, or not an event
        raise WebhookRejected(f"Not a Stripe event: {error}") from None
    body = json.loads(payload)  # as sent: the SDK's objects turn Stripe's decimal strings into Decimals
    return StripeEvent(
        id=body["id"], type=body["type"], created=body["created"], object=body["data"]["object"]
    )
