"""The Stripe emulator's prices, subscriptions, renewals and billing-portal stand-in
(config/stripe_emulator/), driven with the real SDK as billing drives Stripe, and its portal page with
plain HTTP as a browser would.

The emulator lives for the whole test session, so every story makes its own customer."""

import io
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import stripe
from dateutil.relativedelta import relativedelta
from django.conf import settings

MONTHLY = {"interval": "month", "interval_count": 1}


def months_later(moment, months):
    return int((datetime.fromtimestamp(moment, UTC) + relativedelta(months=months)).timestamp())


@pytest.fixture
def client():
    return stripe.StripeClient("sk_test_emulator", base_addresses={"api": settings.STRIPE_API_BASE})


@pytest.fixture
def price(client):
    product = client.v1.products.create(params={"name": "Gold membership", "metadata": {"package": "7"}})
    return client.v1.prices.create(
        params={"product": product.id, "unit_amount": 3000, "currency": "usd", "recurring": MONTHLY}
    )


def customer_with_card(client, card="pm_card_visa", name="Ana Lopez"):
    customer = client.v1.customers.create(params={"email": f"{uuid.uuid4().hex}@example.com", "name": name})
    method = client.v1.payment_methods.attach(card, params={"customer": customer.id})
    return customer, method


def subscribe(client, customer, method, price, **extra):
    return client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "default_payment_method": method.id,
            "payment_behavior": "error_if_incomplete",
            **extra,
        },
        options={"idempotency_key": str(uuid.uuid4())},
    )


def renew(subscription_id):
    address = f"{settings.STRIPE_API_BASE}/_config/subscriptions/{subscription_id}/renew"
    with urllib.request.urlopen(urllib.request.Request(address, method="POST"), timeout=10) as answer:  # noqa: S310
        return json.load(answer)


def events(client, type, object_id):
    listed = client.v1.events.list(params={"type": type, "limit": 100})
    return [event for event in listed.data if event.data.object["id"] == object_id]


def test_a_month_is_counted_from_the_anchor_and_clamped_to_short_months():
    with warnings.catch_warnings():  # localstripe's server module, loaded here, routes to plain functions
        warnings.simplefilter("ignore", DeprecationWarning)
        from config.stripe_emulator.prices import period_end

    january_31 = int(datetime(2027, 1, 31, 9, tzinfo=UTC).timestamp())
    ends = [datetime.fromtimestamp(period_end(january_31, MONTHLY, n), UTC).date() for n in (1, 2, 3)]
    assert [str(day) for day in ends] == ["2027-02-28", "2027-03-31", "2027-04-30"]
    leap_day = int(datetime(2028, 2, 29, tzinfo=UTC).timestamp())
    yearly = {"interval": "year", "interval_count": 1}
    assert str(datetime.fromtimestamp(period_end(leap_day, yearly, 1), UTC).date()) == "2029-02-28"
    every_2_weeks = {"interval": "week", "interval_count": 2}
    assert period_end(leap_day, every_2_weeks, 3) - leap_day == 6 * 7 * 24 * 60 * 60


def test_a_data_file_saved_by_the_single_script_emulator_still_loads():
    """Before it was a package the emulator ran as a script, so a kept .run/stripe file names its classes
    `__main__.Price` and `__main__.PortalSession`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from config.stripe_emulator.portal import PortalSession
        from config.stripe_emulator.prices import Price
        from config.stripe_emulator.store import _SavedObjects

    saved = _SavedObjects(io.BytesIO())
    assert saved.find_class("__main__", "Price") is Price
    assert saved.find_class("__main__", "PortalSession") is PortalSession
    assert saved.find_class("localstripe.resources", "Customer").__name__ == "Customer"


def test_a_price_has_stripes_shape(client, price):
    product = client.v1.products.retrieve(price.product)
    assert (product.name, product.metadata.to_dict()) == ("Gold membership", {"package": "7"})

    kept = client.v1.prices.retrieve(price.id).to_dict()
    assert kept["id"].startswith("price_") and kept["object"] == "price"
    assert {
        key: kept[key] for key in ("active", "currency", "product", "unit_amount", "type", "livemode")
    } == {
        "active": True,
        "currency": "usd",
        "product": product.id,
        "unit_amount": 3000,
        "type": "recurring",
        "livemode": False,
    }
    assert kept["recurring"]["interval"] == "month" and kept["recurring"]["interval_count"] == 1
    assert kept["recurring"]["usage_type"] == "licensed" and kept["metadata"] == {}
    assert isinstance(kept["created"], int)

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.prices.create(
            params={
                "product": product.id,
                "unit_amount": 100,
                "currency": "usd",
                "recurring": {"interval": "hour"},
            }
        )
    with pytest.raises(stripe.InvalidRequestError, match="No such product"):
        client.v1.prices.create(params={"product": "prod_nothing", "unit_amount": 100, "currency": "usd"})


def test_a_subscription_charges_its_first_invoice_with_the_sign_up_fee_and_is_active(client, price):
    customer, card = customer_with_card(client)
    fee = {"price_data": {"currency": "usd", "product": price.product, "unit_amount": 1500}}
    subscription = subscribe(
        client, customer, card, price, add_invoice_items=[fee], metadata={"roster": "12"}
    )

    assert subscription.id.startswith("sub_") and subscription.status == "active"
    assert (subscription.customer, subscription.default_payment_method) == (customer.id, card.id)
    assert subscription.pause_collection is None and subscription.cancel_at_period_end is False
    assert subscription.metadata.to_dict() == {"roster": "12"}
    (item,) = subscription["items"].data
    assert item.id.startswith("si_") and item.price.id == price.id and item.quantity == 1
    assert item.current_period_start == subscription.start_date
    assert item.current_period_end == months_later(subscription.start_date, 1)
    assert subscription.current_period_end == item.current_period_end

    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.billing_reason, invoice.attempt_count) == (
        "paid",
        "subscription_create",
        1,
    )
    assert (invoice.amount_due, invoice.amount_paid, invoice.currency) == (4500, 4500, "usd")
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert [line.amount for line in invoice.lines.data] == [3000, 1500]
    assert invoice.lines.data[0].description == "1 × Gold membership (at $30.00 / month)"
    assert invoice.lines.data[0].period.end == item.current_period_end
    (payment,) = invoice.payments.data
    assert (payment.object, payment.status, payment.amount_paid) == ("invoice_payment", "paid", 4500)
    assert payment.payment.type == "payment_intent"
    assert client.v1.payment_intents.retrieve(payment.payment.payment_intent).status == "succeeded"

    listed = client.v1.invoices.list(params={"subscription": subscription.id})
    assert [each.id for each in listed.data] == [invoice.id]
    for kind in ("invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"):
        assert events(client, kind, invoice.id), kind
    assert events(client, "customer.subscription.created", subscription.id)


def test_a_declined_first_card_answers_402_and_leaves_nothing_live(client, price):
    customer, card = customer_with_card(client, "pm_card_chargeCustomerFail")  # 4000000000000341 attaches
    assert card.customer == customer.id and card.card.last4 == "0341"
    with pytest.raises(stripe.CardError) as declined:
        subscribe(client, customer, card, price)
    assert declined.value.http_status == 402
    assert (declined.value.code, declined.value.error.decline_code) == ("card_declined", "generic_decline")
    assert (
        declined.value.error.type == "card_error" and declined.value.user_message == "Your card was declined."
    )

    other, secure_card = customer_with_card(client, "pm_card_authenticationRequired")
    with pytest.raises(stripe.CardError) as needs_3ds:
        subscribe(client, other, secure_card, price)
    assert needs_3ds.value.code == "authentication_required"

    for someone in (customer, other):
        kept = client.v1.subscriptions.list(params={"customer": someone.id, "status": "all"})
        assert kept.data == []


def test_a_card_not_attached_to_the_customer_is_refused(client, price):
    customer, _ = customer_with_card(client)
    _, strangers_card = customer_with_card(client)
    with pytest.raises(stripe.InvalidRequestError, match="does not have a payment method"):
        subscribe(client, customer, strangers_card, price)


def test_a_renewal_charges_again_for_the_next_period(client, price):
    customer, card = customer_with_card(client)
    first = subscribe(client, customer, card, price)
    renewed = renew(first.id)

    assert renewed["status"] == "active" and renewed["latest_invoice"] != first.latest_invoice
    (item,) = renewed["items"]["data"]
    assert item["current_period_start"] == first.current_period_end
    assert item["current_period_end"] == months_later(first.start_date, 2)
    invoice = client.v1.invoices.retrieve(renewed["latest_invoice"])
    assert (invoice.status, invoice.billing_reason, invoice.amount_paid) == (
        "paid",
        "subscription_cycle",
        3000,
    )
    (line,) = invoice.lines.data
    assert (line.period.start, line.period.end) == (item["current_period_start"], item["current_period_end"])
    assert (invoice.period_start, invoice.period_end) == (
        first.current_period_start,
        first.current_period_end,
    )
    assert [each.status for each in invoice.payments.data] == ["paid"]
    listed = client.v1.invoices.list(params={"subscription": first.id})
    assert [each.id for each in listed.data] == [invoice.id, first.latest_invoice]

    (updated,) = events(client, "customer.subscription.updated", first.id)
    assert updated.data.previous_attributes["current_period_end"] == first.current_period_end
    assert updated.data.previous_attributes["latest_invoice"] == first.latest_invoice
    assert events(client, "invoice.paid", invoice.id)


def test_a_renewal_on_a_card_that_declines_leaves_it_past_due(client, price):
    customer, card = customer_with_card(client)
    subscription = subscribe(client, customer, card, price)
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer.id})
    client.v1.subscriptions.update(subscription.id, params={"default_payment_method": failing.id})

    renewed = renew(subscription.id)
    assert renewed["status"] == "past_due"
    invoice = client.v1.invoices.retrieve(renewed["latest_invoice"])
    assert (invoice.status, invoice.attempt_count, invoice.amount_paid) == ("open", 1, 0)
    assert invoice.next_payment_attempt > invoice.created
    (payment,) = invoice.payments.data
    assert (payment.status, payment.amount_paid) == ("open", None)
    assert events(client, "invoice.payment_failed", invoice.id)
    (past_due,) = [
        event
        for event in events(client, "customer.subscription.updated", subscription.id)
        if event.data.object["status"] == "past_due"
    ]
    assert past_due.data.previous_attributes["status"] == "active"


def test_the_customers_default_card_pays_when_the_subscription_has_none(client, price):
    customer, card = customer_with_card(client)
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": card.id}})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": price.id}],
            "payment_behavior": "error_if_incomplete",
        }
    )
    assert subscription.status == "active" and subscription.default_payment_method is None
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", params={"customer": customer.id})
    client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": failing.id}}
    )
    assert renew(subscription.id)["status"] == "past_due"


def test_a_paused_subscription_voids_its_renewal_and_charges_again_once_resumed(client, price):
    customer, card = customer_with_card(client)
    subscription = subscribe(client, customer, card, price)

    paused = client.v1.subscriptions.update(
        subscription.id, params={"pause_collection": {"behavior": "void"}}
    )
    assert paused.pause_collection.to_dict() == {"behavior": "void", "resumes_at": None}
    (update,) = events(client, "customer.subscription.updated", subscription.id)
    assert update.data.previous_attributes.to_dict() == {"pause_collection": None}

    voided = renew(subscription.id)
    assert voided["status"] == "active" and voided["pause_collection"]["behavior"] == "void"
    invoice = client.v1.invoices.retrieve(voided["latest_invoice"])
    assert (invoice.status, invoice.amount_paid, invoice.payments.data) == ("void", 0, [])
    assert events(client, "invoice.voided", invoice.id)

    resumed = client.v1.subscriptions.update(subscription.id, params={"pause_collection": ""})
    assert resumed.pause_collection is None
    charged = renew(subscription.id)
    assert client.v1.invoices.retrieve(charged["latest_invoice"]).status == "paid"

    # Paused until a date the next renewal reaches: collection resumes first.
    until = charged["items"]["data"][0]["current_period_end"]
    client.v1.subscriptions.update(
        subscription.id, params={"pause_collection": {"behavior": "void", "resumes_at": until}}
    )
    again = renew(subscription.id)
    assert again["pause_collection"] is None
    assert client.v1.invoices.retrieve(again["latest_invoice"]).status == "paid"

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(subscription.id, params={"pause_collection": {"behavior": "other"}})


def test_cancel_at_period_end_ends_it_at_the_renewal_without_an_invoice(client, price):
    customer, card = customer_with_card(client)
    subscription = subscribe(client, customer, card, price)

    cancelling = client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": True})
    assert cancelling.cancel_at_period_end is True and cancelling.status == "active"
    assert cancelling.cancel_at == subscription.current_period_end and cancelling.canceled_at is not None
    (update,) = events(client, "customer.subscription.updated", subscription.id)
    assert update.data.previous_attributes["cancel_at_period_end"] is False

    ended = renew(subscription.id)
    assert (ended["status"], ended["ended_at"]) == ("canceled", subscription.current_period_end)
    assert ended["latest_invoice"] == subscription.latest_invoice
    assert events(client, "customer.subscription.deleted", subscription.id)
    with pytest.raises(urllib.error.HTTPError) as refused:
        renew(subscription.id)
    assert refused.value.code == 400


def test_cancelling_now_ends_it_at_once(client, price):
    customer, card = customer_with_card(client)
    subscription = subscribe(client, customer, card, price)
    canceled = client.v1.subscriptions.cancel(subscription.id)
    assert canceled.status == "canceled" and canceled.canceled_at == canceled.ended_at is not None
    assert events(client, "customer.subscription.deleted", subscription.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": True})


# The billing portal


class Forms(HTMLParser):
    """Each form of a page: its fields (name → value) and its button's accessible name."""

    def __init__(self, page):
        super().__init__()
        self.forms, self._button = [], None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"fields": {}, "button": None})
        elif tag == "input" and self.forms:
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag == "button" and self.forms:
            self._button = attrs.get("aria-label", "")
            self.forms[-1]["button"] = self._button

    def handle_data(self, data):
        if self._button == "":
            self.forms[-1]["button"] = self._button = data.strip()

    def handle_endtag(self, tag):
        if tag == "button":
            self._button = None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, form=None):
    """(status, location, page) of a GET, or of a POST of a form, without following a redirect."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with urllib.request.build_opener(NoRedirect).open(url, data=data, timeout=10) as answer:
            return answer.status, None, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location"), error.read().decode()


def submit(url, button, **fields):
    (form,) = [form for form in Forms(fetch(url)[2]).forms if form["button"] == button]
    return fetch(url, {**form["fields"], **fields})


def portal_session(client, customer):
    return client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "https://roster.example/portal/payments/"}
    )


def test_a_portal_session_has_stripes_shape(client):
    customer, _ = customer_with_card(client)
    session = portal_session(client, customer).to_dict()
    assert session["id"].startswith("bps_") and session["configuration"].startswith("bpc_")
    assert session["object"] == "billing_portal.session" and isinstance(session["created"], int)
    assert (session["customer"], session["return_url"]) == (
        customer.id,
        "https://roster.example/portal/payments/",
    )
    assert (session["livemode"], session["locale"], session["on_behalf_of"], session["flow"]) == (
        False,
        None,
        None,
        None,
    )
    assert session["url"] == f"{settings.STRIPE_API_BASE}/p/session/{session['id']}"
    with pytest.raises(stripe.InvalidRequestError, match="No such customer"):
        client.v1.billing_portal.sessions.create(params={"customer": "cus_nobody"})
    status, _, page = fetch(f"{settings.STRIPE_API_BASE}/p/session/bps_unknown")
    assert status == 404 and "expired" in page


def test_the_portal_adds_a_card_that_becomes_the_default_of_the_customer_and_subscription(client, price):
    customer, card = customer_with_card(client)
    subscription = subscribe(client, customer, card, price)
    url = portal_session(client, customer).url

    status, _, page = fetch(url)
    assert status == 200 and "Ana Lopez" in page and customer.email in page
    assert "Visa •••• 4242" in page and "Gold membership" in page and "$30.00 / month" in page
    assert 'href="https://roster.example/portal/payments/">Return to roster.example</a>' in page

    status, location, _ = submit(
        url, "Add card", number="5555 5555 5555 4444", exp_month="8", exp_year="39", cvc="123"
    )
    assert (status, location) == (303, urllib.parse.urlsplit(url).path)
    added = client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method
    assert added != card.id and client.v1.payment_methods.retrieve(added).card.last4 == "4444"
    assert client.v1.subscriptions.retrieve(subscription.id).default_payment_method == added
    (update,) = events(client, "customer.subscription.updated", subscription.id)
    assert update.data.previous_attributes.default_payment_method == card.id
    assert events(client, "payment_method.attached", added)
    forms = Forms(fetch(url)[2]).forms
    assert [form["button"] for form in forms if form["fields"].get("action") == "default"] == [
        "Make default: Visa •••• 4242"
    ]

    assert submit(url, "Make default: Visa •••• 4242")[0] == 303
    assert client.v1.subscriptions.retrieve(subscription.id).default_payment_method == card.id
    assert renew(subscription.id)["status"] == "active"

    status, _, page = submit(
        url, "Add card", number="4000000000000002", exp_month="8", exp_year="39", cvc="123"
    )
    assert status == 400 and "Your card was declined." in page
    status, _, page = submit(url, "Add card", number="4242", exp_month="8", exp_year="39", cvc="123")
    assert status == 400 and "Your card number is incomplete." in page


def test_the_portal_cancels_at_the_period_end_and_takes_it_back(client, price):
    customer, card = customer_with_card(client)
    subscription = subscribe(client, customer, card, price)
    url = portal_session(client, customer).url

    assert submit(url, "Cancel: Gold membership")[0] == 303
    cancelling = client.v1.subscriptions.retrieve(subscription.id)
    assert cancelling.cancel_at_period_end is True and cancelling.status == "active"
    page = fetch(url)[2]
    assert "Cancels on" in page and "Don&#x27;t cancel: Gold membership" in page

    assert submit(url, "Don't cancel: Gold membership")[0] == 303
    assert client.v1.subscriptions.retrieve(subscription.id).cancel_at_period_end is False
    updates = events(client, "customer.subscription.updated", subscription.id)
    assert [event.data.object["cancel_at_period_end"] for event in updates] == [False, True]


def test_the_portal_escapes_what_it_shows(client):
    customer, _ = customer_with_card(client, name="<b>x</b>")
    page = fetch(portal_session(client, customer).url)[2]
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
