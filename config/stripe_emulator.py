"""localstripe, the stateful Stripe emulator, as `make run` and the tests start it (and compose's
`localstripe` service): `python config/stripe_emulator.py --port N --data FILE`.

localstripe 1.15 runs unchanged on Python 3.13; what it lacks of the real API that billing relies on is
added here, around it:
- idempotency keys: a POST repeated with the same `Idempotency-Key` replays the first answer, and the
  same key with other parameters is refused (`idempotency_error`), as Stripe does (remembered while it
  runs, not across restarts);
- refund reasons: `reason` (duplicate, fraudulent, requested_by_customer) is accepted and kept;
- restricted keys (`rk_…`, what organizations paste) are accepted like secret keys (it knows only `sk_…`;
  what a restricted key may do is not emulated);
- saved cards: a confirmed SetupIntent attaches its card to the SetupIntent's customer, and a PaymentIntent
  is confirmed with `payment_method` (a saved card, or one just set up), as Stripe does;
- prices (`/v1/prices`, one-off or recurring), each with a localstripe plan behind it under the same id;
- subscriptions on prices, in API 2026's shape (the period on each item, and on the subscription):
  the first invoice, with `add_invoice_items` (a sign-up fee) on it only, is charged at once to the
  subscription's card or else the customer's default one (`error_if_incomplete`: a decline answers 402
  card_error and leaves no subscription; 3-D Secure answers code authentication_required); updates of
  pause_collection (void only), cancel_at_period_end, cancel_at, default_payment_method and metadata; cancel
  now; each change sent as customer.subscription.* with previous_attributes;
- invoices carry `payments` (an includable field in Stripe, always included here), `next_payment_attempt` of
  a declined renewal, and list by `status`; events list newest first, as in Stripe;
- renewals, the one control Stripe does with test clocks: `POST /_config/subscriptions/{id}/renew` (no key)
  moves a subscription to its next period (months from the anchor day, clamped) and bills it as
  subscription_cycle: ended when cancelling, a voided invoice while paused, else charged (declined: the
  invoice stays open and the subscription past_due);
- billing-portal sessions, and at their `url` a plain page standing in for Stripe's portal for 5 minutes:
  the customer's cards (add one, make one the default of the customer and every live subscription) and
  subscriptions (cancel at period end, or not), each change sent as Stripe's portal sends it;
- the test card that needs 3-D Secure (`pm_card_authenticationRequired`) and `pm_card_mastercard`;
- its objects live in `--data` (it would share /tmp/localstripe.pickle with every other run) and it
  listens on `--host` only (it binds every IPv6 and IPv4 address).
Self-contained on purpose: it runs as a script, without the app's packages, in its own container.
"""

import argparse
import hashlib
import html
import os
import pickle
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from dateutil.relativedelta import relativedelta
from localstripe import resources, server
from localstripe.errors import UserError, json_response
from localstripe.webhooks import schedule_webhook

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
IDEMPOTENCY_WINDOW = 24 * 60 * 60  # Stripe keeps a key's answer for at least 24 hours
# Answers of calls that ran (succeeded, or a card declined); a refused request is not remembered.
REPLAYED_STATUSES = (200, 402)


def keep_objects_in(data_file: Path) -> None:
    def load(store):
        try:
            with data_file.open("rb") as file:
                saved = pickle.load(file)  # noqa: S301 - our own file, written below
        except FileNotFoundError:
            return
        store.clear()
        store.update(saved)

    def save(store):
        partial = data_file.with_name(data_file.name + ".partial")
        with partial.open("wb") as file:
            pickle.dump(dict(store), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, data_file)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = save


def accept_refund_reasons() -> None:
    refund_init = resources.Refund.__init__

    def init(self, *args, reason=None, **kwargs):
        if reason is not None and reason not in REFUND_REASONS:
            raise UserError(400, f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}")
        refund_init(self, *args, **kwargs)
        self.reason = reason

    resources.Refund.__init__ = init


def accept_restricted_keys() -> None:
    secret_key_of = server.get_api_key

    def api_key(request):
        kind, _, token = request.headers.get("Authorization", "").partition(" ")
        if kind == "Bearer" and token.startswith("rk_") and len(token) > 5:
            return token
        return secret_key_of(request)

    server.get_api_key = api_key


def attach_set_up_cards() -> None:
    attach = resources.SetupIntent._attach_pm

    def attach_to_customer(self, pm):
        attach(self, pm)  # raises for a declined card
        if self.customer and self.status == "succeeded":
            pm.customer = self.customer

    resources.SetupIntent._attach_pm = attach_to_customer


def _confirm_with_payment_method(id, payment_method=None, **kwargs):
    if payment_method is not None:
        intent = resources.PaymentIntent._api_retrieve(id)
        method = resources.PaymentMethod._api_retrieve(payment_method)  # 404 for an unknown card
        if intent.status not in ("requires_payment_method", "requires_confirmation"):
            raise UserError(400, f"This PaymentIntent's status is {intent.status}.")
        if method.customer and method.customer != intent.customer:
            raise UserError(400, f"The payment method {payment_method} does not belong to the customer.")
        intent.payment_method = payment_method
        intent.latest_charge = None  # a declined attempt's charge; the new one replaces it
    return resources.PaymentIntent._api_confirm(id, **kwargs)


def confirm_with_payment_method():
    """localstripe routed /confirm to its own function when it loaded; this answers that address first."""
    address = "/v1/payment_intents/{id}/confirm"
    confirm = server.api_extra(_confirm_with_payment_method, address)

    @web.middleware
    async def confirm_payment_intent(request, handler):
        resource = request.match_info.route.resource
        if request.method == "POST" and resource is not None and resource.canonical == address:
            return await confirm(request)
        return await handler(request)

    return confirm_payment_intent


def idempotency_middleware():
    answers: dict[tuple[str, str], tuple[float, str, int, bytes]] = {}

    @web.middleware
    async def replay_by_idempotency_key(request, handler):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        body = await request.read()  # aiohttp keeps it for the handler
        account = hashlib.sha256(request.headers.get("Authorization", "").encode()).hexdigest()
        fingerprint = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
        now = time.time()
        answered = answers.get((account, key))
        if answered and now - answered[0] < IDEMPOTENCY_WINDOW:
            _, first_fingerprint, status, content = answered
            if first_fingerprint != fingerprint:
                return json_response(
                    {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with the same "
                            f"parameters they were first used with. Try using a key other than '{key}' "
                            "if you meant to execute a different request.",
                        }
                    },
                    status=400,
                )
            return web.Response(
                body=content,
                status=status,
                content_type="application/json",
                headers={"Idempotency-Key": key, "Idempotent-Replayed": "true"},
            )
        response = await handler(request)
        if response.status in REPLAYED_STATUSES:
            answers[(account, key)] = (now, fingerprint, response.status, response.body)
        response.headers["Idempotency-Key"] = key
        return response

    return replay_by_idempotency_key


# --- Prices, subscriptions and their invoices -------------------------------------------------------------

PRICE_INTERVALS = ("day", "week", "month", "year")
STEPS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
LIVE_STATUSES = ("active", "past_due", "trialing", "unpaid")
RETRY_DELAY = 3 * 24 * 60 * 60  # when Stripe's smart retries would try a declined renewal again
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}
SUBSCRIPTION_CREATE_PARAMS = {
    "customer",
    "items",
    "default_payment_method",
    "payment_behavior",
    "add_invoice_items",
    "metadata",
    "cancel_at",
    "cancel_at_period_end",
    "off_session",
    "proration_behavior",
}
SUBSCRIPTION_UPDATE_PARAMS = {
    "pause_collection",
    "cancel_at_period_end",
    "cancel_at",
    "default_payment_method",
    "metadata",
    "proration_behavior",
}


class CardError(UserError):
    """A declined charge as Stripe answers it: HTTP 402, type card_error, with a code and a decline code."""

    def __init__(self, message, code, decline_code, **details):
        super().__init__(402, message, {"code": code, "decline_code": decline_code, **details})
        self.body["error"]["type"] = "card_error"


def _invalid(message, param=None, code=None):
    contents = {key: value for key, value in (("param", param), ("code", code)) if value}
    return UserError(400, message, contents or None)


def _refuse_unknown(params, known, prefix=""):
    for name in params:
        if name not in known and name != "expand":
            raise _invalid(f"Received unknown parameter: {prefix}{name}", f"{prefix}{name}")


def _referenced(cls, id, param):
    """The object a parameter names; Stripe answers 400 resource_missing for an id that names nothing."""
    if not isinstance(id, str) or not id:
        raise _invalid(f"Missing required param: {param}.", param, "parameter_missing")
    try:
        return cls._api_retrieve(id)
    except UserError:
        raise _invalid(f"No such {cls.object}: '{id}'", param, "resource_missing") from None


def _integer(value, param, minimum=0):
    number = resources.try_convert_to_int(value)
    if not isinstance(number, int) or number < minimum:
        raise _invalid(f"Invalid integer: {value}", param)
    return number


def _boolean(value, param):
    flag = resources.try_convert_to_bool(value)
    if not isinstance(flag, bool):
        raise _invalid(f"Invalid boolean: {value}", param)
    return flag


def _merged_metadata(current, given):
    """Stripe merges metadata: an empty value deletes its key, an empty string deletes them all."""
    if given == "":
        return {}
    if not isinstance(given, dict):
        raise _invalid("Invalid object", "metadata")
    merged = dict(current or {})
    for key, value in given.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def _emit(type, obj, previous=None, send=True):
    event = resources.Event(type, obj)
    if previous is not None:
        event.data["previous_attributes"] = previous
    if send:
        schedule_webhook(event)
    return event


def _forget(*objects):
    for obj in objects:
        resources.store.pop(f"{obj.object}:{obj.id}", None)
    resources.store.dump_to_disk()


def _money(amount, currency):
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount / 100:,.2f}" if symbol else f"{amount / 100:,.2f} {currency.upper()}"


def _every(recurring):
    count = recurring["interval_count"]
    return recurring["interval"] if count == 1 else f"every {count} {recurring['interval']}s"


def _period_end(anchor, recurring, periods):
    """Stripe counts periods from the billing anchor: a month is the anchor's day, clamped to short months."""
    step = relativedelta(**{STEPS[recurring["interval"]]: recurring["interval_count"] * periods})
    return int((datetime.fromtimestamp(anchor, UTC) + step).timestamp())


class Price(resources.StripeObject):
    object = "price"
    _id_prefix = "price_"

    def __init__(
        self,
        product=None,
        unit_amount=None,
        currency=None,
        recurring=None,
        metadata=None,
        active=True,
        nickname=None,
        lookup_key=None,
        **kwargs,
    ):
        _refuse_unknown(kwargs, ())
        product = _referenced(resources.Product, product, "product").id
        unit_amount = _integer(unit_amount, "unit_amount")
        if not isinstance(currency, str) or len(currency) != 3:
            raise _invalid("Invalid currency", "currency")
        if recurring is not None:
            if not isinstance(recurring, dict):
                raise _invalid("Invalid object", "recurring")
            _refuse_unknown(recurring, {"interval", "interval_count", "usage_type"}, "recurring[")
            if recurring.get("interval") not in PRICE_INTERVALS:
                raise _invalid("Invalid recurring[interval]", "recurring[interval]")
            if recurring.get("usage_type", "licensed") != "licensed":
                raise _invalid("Only licensed prices are emulated", "recurring[usage_type]")
            recurring = {
                "interval": recurring["interval"],
                "interval_count": _integer(
                    recurring.get("interval_count", 1), "recurring[interval_count]", 1
                ),
                "usage_type": "licensed",
                "meter": None,
                "trial_period_days": None,
            }
        metadata = _merged_metadata({}, metadata or {})
        super().__init__()
        self.active = _boolean(active, "active")
        self.billing_scheme = "per_unit"
        self.currency = currency.lower()
        self.lookup_key = lookup_key
        self.metadata = metadata
        self.nickname = nickname
        self.product = product
        self.recurring = recurring
        self.tax_behavior = "unspecified"
        self.type = "one_time" if recurring is None else "recurring"
        self.unit_amount = unit_amount
        self.unit_amount_decimal = str(unit_amount)
        if recurring is not None:
            # localstripe's subscriptions are built on plans: one stands behind the price, under its id.
            resources.Plan(
                id=self.id,
                amount=unit_amount,
                currency=self.currency,
                interval=recurring["interval"],
                interval_count=recurring["interval_count"],
                product=product,
                metadata=dict(metadata),
            )
        _emit("price.created", self)

    @classmethod
    def _api_update(cls, id, **data):
        _refuse_unknown(data, {"active", "metadata", "nickname", "lookup_key"})
        price = cls._api_retrieve(id)
        if "active" in data:
            price.active = _boolean(data["active"], "active")
        if "metadata" in data:
            price.metadata = _merged_metadata(price.metadata, data["metadata"])
        for name in ("nickname", "lookup_key"):
            if name in data:
                setattr(price, name, data[name] or None)
        _emit("price.updated", price)
        return price

    @classmethod
    def _api_delete(cls, id):
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_list_all(cls, url, product=None, active=None, type=None, limit=None, starting_after=None):
        listed = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        active = resources.try_convert_to_bool(active)
        listed._list = [
            price
            for price in listed._list
            if (product is None or price.product == product)
            and (active is None or price.active == active)
            and (type is None or price.type == type)
        ]
        return listed


def serve_prices() -> None:
    """Stripe's Prices (what a product costs, once or every interval): create, retrieve, update, list."""
    for method, url, route in (
        ("POST", "/v1/prices", server.api_create),
        ("GET", "/v1/prices/{id}", server.api_retrieve),
        ("POST", "/v1/prices/{id}", server.api_update),
        ("GET", "/v1/prices", server.api_list_all),
    ):
        server.app.router.add_route(method, url, route(Price, url))


def _item_price(item):
    price = resources.store.get("price:" + item.plan.id)
    return price._export() if price else None


def _item_period(current_period):
    def period(item):
        if getattr(item, "current_period_end", None) is None:
            return current_period(item)
        return {"start": item.current_period_start, "end": item.current_period_end}

    return period


def _invoice_payments(invoice):
    intents = getattr(invoice, "_payment_intents", [])
    payments = []
    for number, id in enumerate(intents):
        intent = resources.PaymentIntent._api_retrieve(id)
        status = {"succeeded": "paid", "canceled": "canceled"}.get(intent.status, "open")
        payments.append(
            {
                "id": "inpay_" + id.removeprefix("pi_"),
                "object": "invoice_payment",
                "amount_paid": intent.amount if status == "paid" else None,
                "amount_requested": intent.amount,
                "created": intent.created,
                "currency": intent.currency,
                "invoice": invoice.id,
                "is_default": number == len(intents) - 1,
                "livemode": False,
                "payment": {"type": "payment_intent", "payment_intent": id},
                "status": status,
                "status_transitions": {
                    "canceled_at": None,
                    "paid_at": invoice.status_transitions.get("paid_at") if status == "paid" else None,
                },
            }
        )
    return {
        "object": "list",
        "data": payments,
        "has_more": False,
        "url": f"/v1/invoice_payments?invoice={invoice.id}",
    }


def _next_payment_attempt(invoice):
    return getattr(invoice, "_next_payment_attempt", None) if invoice.status == "open" else None


def _invoices_by_status(list_invoices):
    def list_all(url, status=None, **filters):
        listed = list_invoices(url, **filters)
        if status is not None:
            listed._list = [invoice for invoice in listed._list if invoice.status == status]
        return listed

    return list_all


def _events_newest_first(list_events):
    def list_all(url, **filters):
        listed = list_events(url, **filters)
        listed._list.reverse()  # the store keeps them oldest first
        return listed

    return list_all


def _new_invoice(subscription, billing_reason, extra_items, moment, period):
    """A draft invoice of the subscription's items (and one-off items) for its current period."""
    invoice = resources.Invoice(
        customer=subscription.customer,
        subscription=subscription.id,
        items=[*subscription.items._list, *extra_items],
        date=moment,
        upcoming=True,  # its events are sent here, once the outcome is known
    )
    for item in subscription.items._list:
        vars(item).pop("invoice", None)  # localstripe marks the item with the invoice that billed it
    for line in invoice.lines._list:
        if line.type == "subscription":
            price = Price._api_retrieve(line.plan.id)
            name = resources.Product._api_retrieve(price.product).name
            line.description = (
                f"{line.quantity} × {name} (at {_money(price.unit_amount, price.currency)} / "
                f"{_every(price.recurring)})"
            )
    invoice.created = moment
    invoice.billing_reason = billing_reason
    invoice.attempt_count = 0
    invoice.attempted = False
    # Stripe's quirk: a subscription invoice's period looks back; the period billed is on its lines.
    invoice.period_start, invoice.period_end = period
    return invoice


def _charge(invoice, payment_method, moment):
    """Pays an invoice with a card, off session; None when paid, else the decline code."""
    invoice.attempt_count += 1
    invoice.attempted = True
    if invoice.total <= 0:
        invoice.status_transitions["paid_at"] = moment
        return None
    if payment_method is None:
        return "no_payment_method"
    intent = resources.PaymentIntent(
        amount=invoice.total,
        currency=invoice.currency,
        customer=invoice.customer,
        payment_method=payment_method,
    )
    invoice.payment_intent = intent.id
    invoice._payment_intents = [*getattr(invoice, "_payment_intents", []), intent.id]
    intent._confirm(on_failure_now=lambda: None)
    if intent.status == "succeeded":
        invoice.status_transitions["paid_at"] = moment
        return None
    if intent.status != "requires_action":
        _emit("payment_intent.payment_failed", intent)
    return "authentication_required" if intent.status == "requires_action" else "card_declined"


def _invoice_outcome_events(invoice, declined):
    if declined is None:
        return [_emit(name, invoice, send=False) for name in ("invoice.paid", "invoice.payment_succeeded")]
    events = [_emit("invoice.payment_failed", invoice, send=False)]
    if declined == "authentication_required":
        events.append(_emit("invoice.payment_action_required", invoice, send=False))
    return events


def _send(events):
    for event in events:
        schedule_webhook(event)


def _payment_method_of(customer, id, param):
    """A card the customer has: Stripe refuses to bill a payment method not attached to the customer."""
    if id in (None, ""):
        return None
    method = _referenced(resources.PaymentMethod, id, param)
    if method.customer != customer.id:
        raise _invalid(
            f"The customer does not have a payment method with the ID {id}. The payment method must be "
            "attached to the customer.",
            param,
            "resource_missing",
        )
    return method.id


def _billed_card(subscription):
    customer = resources.Customer._api_retrieve(subscription.customer)
    return subscription.default_payment_method or customer.invoice_settings.get("default_payment_method")


def _subscription_prices(items):
    if not isinstance(items, list) or not items:
        raise _invalid("Missing required param: items.", "items", "parameter_missing")
    chosen = []
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            raise _invalid("Invalid object", f"items[{number}]")
        _refuse_unknown(item, {"price", "quantity", "metadata"}, f"items[{number}][")
        price = _referenced(Price, item.get("price"), f"items[{number}][price]")
        if price.type != "recurring":
            raise _invalid(
                "The price specified is set to `type=one_time` but this field only accepts prices with "
                "`type=recurring`.",
                f"items[{number}][price]",
            )
        quantity = _integer(item.get("quantity", 1), f"items[{number}][quantity]", 1)
        chosen.append((price, quantity, _merged_metadata({}, item.get("metadata") or {})))
    if len({(price.recurring["interval"], price.recurring["interval_count"]) for price, _, _ in chosen}) > 1:
        raise _invalid(
            "Currency and interval fields must match across all plans on this subscription.", "items"
        )
    return chosen


def _one_off_items(customer, add_invoice_items):
    """add_invoice_items: each (product, amount, currency, quantity), billed on the first invoice only."""
    if add_invoice_items in (None, ""):
        return []
    if not isinstance(add_invoice_items, list):
        raise _invalid("Invalid array", "add_invoice_items")
    found = []
    for number, item in enumerate(add_invoice_items):
        prefix = f"add_invoice_items[{number}]"
        if not isinstance(item, dict):
            raise _invalid("Invalid object", prefix)
        _refuse_unknown(item, {"price", "price_data", "quantity"}, prefix + "[")
        quantity = _integer(item.get("quantity", 1), prefix + "[quantity]", 1)
        if "price" in item:
            price = _referenced(Price, item["price"], prefix + "[price]")
            found.append((price.product, price.unit_amount, price.currency, quantity))
            continue
        data = item.get("price_data")
        if not isinstance(data, dict):
            raise _invalid(
                f"Missing required param: {prefix}[price].", prefix + "[price]", "parameter_missing"
            )
        _refuse_unknown(data, {"currency", "product", "unit_amount"}, prefix + "[price_data][")
        product = _referenced(resources.Product, data.get("product"), prefix + "[price_data][product]")
        amount = _integer(data.get("unit_amount"), prefix + "[price_data][unit_amount]")
        currency = data.get("currency")
        if not isinstance(currency, str) or len(currency) != 3:
            raise _invalid("Invalid currency", prefix + "[price_data][currency]")
        found.append((product.id, amount, currency.lower(), quantity))
    return found


def _cancel_at(value, now):
    if value in (None, ""):
        return None
    moment = _integer(value, "cancel_at")
    if moment <= now:
        raise _invalid("cancel_at must be in the future.", "cancel_at")
    return moment


def _subscription_create(**params):
    _refuse_unknown(params, SUBSCRIPTION_CREATE_PARAMS)
    now = int(time.time())
    customer = _referenced(resources.Customer, params.get("customer"), "customer")
    prices = _subscription_prices(params.get("items"))
    one_offs = _one_off_items(customer, params.get("add_invoice_items"))
    behavior = params.get("payment_behavior", "allow_incomplete")
    if behavior not in ("allow_incomplete", "error_if_incomplete"):
        raise _invalid(f"payment_behavior={behavior} is not emulated.", "payment_behavior")
    card = _payment_method_of(customer, params.get("default_payment_method"), "default_payment_method")
    if (card or customer.invoice_settings.get("default_payment_method")) is None:
        raise _invalid(
            "This customer has no attached payment source or default payment method. Please consider adding "
            "a default payment method.",
            code="resource_missing",
        )
    cancel_at = _cancel_at(params.get("cancel_at"), now)
    cancel_at_period_end = _boolean(params.get("cancel_at_period_end", False), "cancel_at_period_end")
    metadata = _merged_metadata({}, params.get("metadata") or {})

    subscription = resources.Subscription.__new__(resources.Subscription)
    resources.StripeObject.__init__(subscription)
    subscription.customer = customer.id
    subscription.metadata = metadata
    subscription.status = "incomplete"
    subscription.currency = prices[0][0].currency
    subscription.collection_method = "charge_automatically"
    subscription.default_payment_method = card
    subscription.pause_collection = None
    subscription.start_date = subscription.billing_cycle_anchor = now
    subscription.cancel_at_period_end = cancel_at_period_end
    subscription.cancel_at = cancel_at
    subscription.canceled_at = now if cancel_at or cancel_at_period_end else None
    subscription.cancellation_details = {"comment": None, "feedback": None, "reason": None}
    subscription.ended_at = None
    subscription.latest_invoice = None
    subscription.description = None
    # What localstripe's invoices and previews read of a subscription.
    subscription.tax_percent = subscription.default_tax_rates = subscription.discount = None
    subscription.trial_start = subscription.trial_end = None
    subscription._renewals = 0
    subscription.items = resources.List("/v1/subscription_items?subscription=" + subscription.id)
    for price, quantity, item_metadata in prices:
        item = resources.SubscriptionItem(
            subscription=subscription.id, plan=price.id, quantity=quantity, metadata=item_metadata
        )
        item.current_period_start = now
        item.current_period_end = _period_end(now, price.recurring, 1)
        subscription.items._list.append(item)
    if cancel_at_period_end:
        subscription.cancel_at = subscription.current_period_end
    fees = [
        resources.InvoiceItem(
            amount=amount * quantity,
            currency=currency,
            customer=customer.id,
            subscription=subscription.id,
            description=resources.Product._api_retrieve(product).name,
        )
        for product, amount, currency, quantity in one_offs
    ]
    invoice = _new_invoice(subscription, "subscription_create", fees, now, (now, now))
    subscription.latest_invoice = invoice.id
    events = [_emit("invoice.created", invoice, send=False)]
    invoice._finalize()
    events.append(_emit("invoice.finalized", invoice, send=False))
    declined = _charge(invoice, card or customer.invoice_settings.get("default_payment_method"), now)
    if declined is not None and behavior == "error_if_incomplete":
        _forget(*events, subscription, *subscription.items._list, invoice, *invoice.lines._list, *fees)
        if declined == "authentication_required":
            raise CardError(
                "Your card was declined. This transaction requires authentication.",
                "authentication_required",
                "authentication_required",
                payment_intent=invoice.payment_intent,
            )
        raise CardError(
            "Your card was declined.",
            "card_declined",
            "generic_decline",
            payment_intent=invoice.payment_intent,
        )
    subscription.status = "active" if declined is None else "incomplete"
    events += _invoice_outcome_events(invoice, declined)
    _send([_emit("customer.subscription.created", subscription, send=False), *events])
    return subscription


def _pause_collection(value):
    if value in ("", None):
        return None
    if not isinstance(value, dict):
        raise _invalid("Invalid object", "pause_collection")
    _refuse_unknown(value, {"behavior", "resumes_at"}, "pause_collection[")
    if value.get("behavior") != "void":
        raise _invalid("Only pause_collection[behavior]=void is emulated.", "pause_collection[behavior]")
    resumes_at = value.get("resumes_at")
    resumes_at = None if resumes_at in (None, "") else _integer(resumes_at, "pause_collection[resumes_at]")
    return {"behavior": "void", "resumes_at": resumes_at}


def _changes(before, after):
    return {key: value for key, value in before.items() if after.get(key) != value}


def _subscription_update(subscription, params):
    """Applies an update and sends customer.subscription.updated with what it changed."""
    _refuse_unknown(params, SUBSCRIPTION_UPDATE_PARAMS)
    if subscription.status in ("canceled", "incomplete_expired") and set(params) - {"metadata"}:
        raise _invalid("A canceled subscription can only update its cancellation_details and metadata.")
    now = int(time.time())
    before = subscription._export()
    customer = resources.Customer._api_retrieve(subscription.customer)
    if "cancel_at" in params and "cancel_at_period_end" in params and params["cancel_at"] not in ("", None):
        raise _invalid("You may only specify one of these parameters: cancel_at, cancel_at_period_end.")
    if "pause_collection" in params:
        subscription.pause_collection = _pause_collection(params["pause_collection"])
    if "default_payment_method" in params:
        subscription.default_payment_method = _payment_method_of(
            customer, params["default_payment_method"], "default_payment_method"
        )
    if "metadata" in params:
        subscription.metadata = _merged_metadata(subscription.metadata, params["metadata"])
    if "cancel_at_period_end" in params:
        at_period_end = _boolean(params["cancel_at_period_end"], "cancel_at_period_end")
        subscription.cancel_at_period_end = at_period_end
        # Stripe schedules the end at the period's end and dates the cancellation request now.
        subscription.cancel_at = subscription.current_period_end if at_period_end else None
        subscription.canceled_at = now if at_period_end else None
    if "cancel_at" in params:
        subscription.cancel_at = _cancel_at(params["cancel_at"], now)
        subscription.cancel_at_period_end = False
        subscription.canceled_at = now if subscription.cancel_at else None
    changed = _changes(before, subscription._export())
    if changed:
        _emit("customer.subscription.updated", subscription, changed)
    return subscription


def _subscription_cancel(id):
    subscription = resources.Subscription._api_retrieve(id)
    if subscription.status in ("canceled", "incomplete_expired"):
        raise _invalid(f"This subscription is already {subscription.status}.")
    now = int(time.time())
    subscription.status = "canceled"
    subscription.canceled_at = subscription.ended_at = now
    subscription.cancellation_details = {
        **subscription.cancellation_details,
        "reason": "cancellation_requested",
    }
    _emit("customer.subscription.deleted", subscription)
    return subscription


def subscription_renew(subscription):
    """Moves a subscription to its next period and bills it, as Stripe's subscription_cycle does."""
    if subscription.status not in LIVE_STATUSES:
        raise _invalid(f"A subscription that is {subscription.status} does not renew.")
    before = subscription._export()
    moment = subscription.current_period_end  # what a test clock would read at the renewal
    if subscription.cancel_at_period_end or (subscription.cancel_at and subscription.cancel_at <= moment):
        subscription.status = "canceled"
        subscription.ended_at = min(moment, subscription.cancel_at or moment)
        subscription.canceled_at = subscription.canceled_at or subscription.ended_at
        subscription.cancellation_details = {
            **subscription.cancellation_details,
            "reason": "cancellation_requested",
        }
        _emit("customer.subscription.deleted", subscription)
        return subscription
    pause = subscription.pause_collection
    if pause and pause["resumes_at"] is not None and pause["resumes_at"] <= max(moment, time.time()):
        subscription.pause_collection = None
    billed_period = (subscription.current_period_start, moment)
    subscription._renewals += 1
    for item in subscription.items._list:
        price = Price._api_retrieve(item.plan.id)
        item.current_period_start = moment
        item.current_period_end = _period_end(
            subscription.billing_cycle_anchor, price.recurring, subscription._renewals + 1
        )
    invoice = _new_invoice(subscription, "subscription_cycle", [], moment, billed_period)
    subscription.latest_invoice = invoice.id
    events = [_emit("invoice.created", invoice, send=False)]
    invoice._finalize()
    invoice.status_transitions["finalized_at"] = moment
    events.append(_emit("invoice.finalized", invoice, send=False))
    if subscription.pause_collection:
        invoice._voided = True
        invoice.status_transitions["voided_at"] = moment
        events.append(_emit("invoice.voided", invoice, send=False))
    else:
        declined = _charge(invoice, _billed_card(subscription), moment)
        if declined is None:
            subscription.status = "active"
        else:
            subscription.status = "past_due"
            invoice._next_payment_attempt = moment + RETRY_DELAY
        events += _invoice_outcome_events(invoice, declined)
    changed = _changes(before, subscription._export())
    _send([*events, _emit("customer.subscription.updated", subscription, changed, send=False)])
    return subscription


async def _renew(request):
    subscription = resources.Subscription._api_retrieve(request.match_info["id"])
    return json_response(subscription_renew(subscription)._export())


def bill_subscriptions() -> None:
    """Stripe's subscriptions on prices: the first invoice charged at once (with one-off sign-up items),
    pause_collection, cancel at period end or at a time, cancel now, each change as an event."""
    resources.Subscription._api_create = staticmethod(_subscription_create)
    resources.Subscription._api_update = staticmethod(
        lambda id, **params: _subscription_update(resources.Subscription._api_retrieve(id), params)
    )
    resources.Subscription._api_delete = staticmethod(_subscription_cancel)
    resources.SubscriptionItem._current_period = _item_period(resources.SubscriptionItem._current_period)
    resources.SubscriptionItem.price = property(_item_price)
    resources.SubscriptionItem.subscription = property(lambda item: item._subscription)
    server.app.router.add_post("/_config/subscriptions/{id}/renew", _renew)


def describe_invoices() -> None:
    """Stripe's invoice fields of API 2026: `payments` (includable in Stripe, always included here), the next
    retry of a declined renewal, and invoices listed by status."""
    resources.Invoice.payments = property(_invoice_payments)
    resources.Invoice.next_payment_attempt = property(_next_payment_attempt)
    resources.Invoice._api_list_all = staticmethod(_invoices_by_status(resources.Invoice._api_list_all))


def list_events_newest_first() -> None:
    """Stripe lists events newest first."""
    resources.Event._api_list_all = staticmethod(_events_newest_first(resources.Event._api_list_all))


def know_more_test_cards() -> None:
    """Stripe's test ids localstripe lacks: a card that needs 3-D Secure, a Mastercard (a "visa" here too)."""
    known = resources.PaymentMethod._try_get_canonical_test_article.__func__
    numbers = {"pm_card_authenticationRequired": "4000002500003155", "pm_card_mastercard": "5555555555554444"}

    def canonical(cls, id):
        if id in numbers:
            card = {"number": numbers[id], "exp_month": "12", "exp_year": "2030", "cvc": "123"}
            return cls(type="card", card=card)
        return known(cls, id)

    resources.PaymentMethod._try_get_canonical_test_article = classmethod(canonical)


# --- The billing portal ------------------------------------------------------------------------------------

PORTAL_SESSION_LIFETIME = 5 * 60  # Stripe's portal links expire within minutes
PORTAL_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:54rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #e3e8ee;padding-bottom:.3rem}
ul{list-style:none;padding:0}li{display:grid;gap:1rem;align-items:center;padding:.4rem 0}
.subscriptions li{grid-template-columns:11rem 11rem 8rem 1fr auto}
.cards li{grid-template-columns:12rem 8rem auto;justify-content:start;justify-items:start}
.tag{background:#e3e8ee;border-radius:4px;padding:0 .4rem;font-size:.85rem}.muted{color:#697386}
.error{color:#c0123c}label{display:block;font-size:.9rem}input{font:inherit;padding:.2rem .4rem}
.fields{display:flex;gap:1rem;flex-wrap:wrap;align-items:end}button{font:inherit;cursor:pointer}
"""


class PortalSession(resources.StripeObject):
    object = "billing_portal.session"
    _id_prefix = "bps_"

    def __init__(self, customer, return_url, configuration, host):
        super().__init__()
        self.configuration = configuration
        self.customer = customer
        self.flow = None
        self.locale = None
        self.on_behalf_of = None
        self.return_url = return_url
        self.url = f"http://{host}/p/session/{self.id}"


async def _portal_session_create(request):
    params = await server.get_post_data(request) or {}
    _refuse_unknown(params, {"customer", "return_url", "configuration", "locale"})
    customer = _referenced(resources.Customer, params.get("customer"), "customer")
    return_url = params.get("return_url")
    if return_url is not None and not (
        isinstance(return_url, str) and return_url.startswith(("http://", "https://"))
    ):
        raise _invalid("Not a valid URL", "return_url", "url_invalid")
    account = hashlib.sha256(str(server.get_api_key(request)).encode()).hexdigest()
    configuration = params.get("configuration") or "bpc_" + account[:24]  # the account's default one
    session = PortalSession(customer.id, return_url, configuration, request.host)
    return json_response(session._export())


def _date(moment):
    day = datetime.fromtimestamp(moment, UTC)
    return f"{day:%B} {day.day}, {day.year}"


def _portal_cards(customer):
    return [
        method
        for key, method in resources.store.items()
        if key.startswith("payment_method:") and method.customer == customer.id and method.type == "card"
    ]


def _portal_subscriptions(customer):
    return [
        subscription
        for key, subscription in resources.store.items()
        if key.startswith("subscription:")
        and subscription.customer == customer.id
        and subscription.status in LIVE_STATUSES
    ]


def _card_name(method):
    card = method.card
    return f"{card['brand'].title()} •••• {card['last4']}"


def _portal_page(session, customer, error=None, card_error=None, status=200):
    e = partial(html.escape, quote=True)
    default = customer.invoice_settings.get("default_payment_method")
    cards = []
    for method in _portal_cards(customer):
        card = method.card
        expiry = f"Expires {card['exp_month']:02d}/{card['exp_year'] % 100:02d}"
        if method.id == default:
            action = '<span class="tag">Default</span>'
        else:
            action = (
                f'<form method="post"><input type="hidden" name="action" value="default">'
                f'<input type="hidden" name="payment_method" value="{e(method.id)}">'
                f'<button aria-label="Make default: {e(_card_name(method))}">Make default</button></form>'
            )
        cards.append(
            f"<li><span>{e(_card_name(method))}</span><span class='muted'>{expiry}</span>{action}</li>"
        )
    subscriptions = []
    for subscription in _portal_subscriptions(customer):
        item = subscription.items._list[0]
        price = Price._api_retrieve(item.plan.id)
        name = resources.Product._api_retrieve(price.product).name
        if subscription.cancel_at:
            when = f"Cancels on {_date(subscription.cancel_at)}"
            button, label = "renew", "Don't cancel"
        else:
            when = f"Renews on {_date(subscription.current_period_end)}"
            button, label = "cancel", "Cancel"
        paused = ' <span class="tag">paused</span>' if subscription.pause_collection else ""
        subscriptions.append(
            f"<li><strong>{e(name)}</strong>"
            f"<span>{e(_money(price.unit_amount * item.quantity, price.currency))} / "
            f"{e(_every(price.recurring))}</span>"
            f'<span><span class="tag">{e(subscription.status.replace("_", " "))}</span>{paused}</span>'
            f'<span class="muted">{e(when)}</span>'
            f'<form method="post"><input type="hidden" name="action" value="{button}">'
            f'<input type="hidden" name="subscription" value="{e(subscription.id)}">'
            f'<button aria-label="{e(label)}: {e(name)}">{e(label)}</button></form></li>'
        )
    back = ""
    if session.return_url:
        host = urlsplit(session.return_url).hostname or session.return_url
        back = f'<p><a href="{e(session.return_url)}">Return to {e(host)}</a></p>'
    alert = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    card_alert = f'<p class="error" role="alert" id="card-error">{e(card_error)}</p>' if card_error else ""
    no_subscriptions = '<p class="muted">No current subscriptions.</p>'
    no_cards = '<p class="muted">No cards yet: add one below.</p>'
    body = f"""{back}<h1>Billing</h1>{alert}
<p>{e(customer.name or "")} <span class="muted">{e(customer.email or "")}</span></p>
<section aria-labelledby="subscriptions"><h2 id="subscriptions">Subscriptions</h2>
{f'<ul class="subscriptions">{"".join(subscriptions)}</ul>' if subscriptions else no_subscriptions}</section>
<section aria-labelledby="payment-methods"><h2 id="payment-methods">Payment methods</h2>
{f'<ul class="cards">{"".join(cards)}</ul>' if cards else no_cards}
<form method="post" aria-labelledby="add-card"><h3 id="add-card">Add a card</h3>{card_alert}
<input type="hidden" name="action" value="add"><div class="fields">
<label>Card number <input name="number" inputmode="numeric" autocomplete="off" required size="19"></label>
<label>MM <input name="exp_month" inputmode="numeric" required size="2"></label>
<label>YY <input name="exp_year" inputmode="numeric" required size="4"></label>
<label>CVC <input name="cvc" inputmode="numeric" autocomplete="off" required size="4"></label>
<button>Add card</button></div></form></section>"""
    return _html("Billing", body, status)


def _html(title, body, status=200):
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<link rel="icon" href="data:,">'
        f"<style>{PORTAL_CSS}</style></head><body><main>{body}</main></body></html>"
    )
    return web.Response(text=page, status=status, content_type="text/html")


def _portal_default_card(customer, method_id):
    """As Stripe's portal does: the customer's default card, and every live subscription's."""
    before = dict(customer.invoice_settings)
    customer.invoice_settings = {**before, "default_payment_method": method_id}
    _emit("customer.updated", customer, {"invoice_settings": before})
    for subscription in _portal_subscriptions(customer):
        _subscription_update(subscription, {"default_payment_method": method_id})


def _portal_add_card(customer, form):
    """The new card's error, or None once it is attached and made the default."""
    number = "".join(form.get("number", "").split()).replace("-", "")
    month = resources.try_convert_to_int(form.get("exp_month", "").strip())
    year = resources.try_convert_to_int(form.get("exp_year", "").strip())
    cvc = form.get("cvc", "").strip()
    if not (number.isdigit() and len(number) == 16):
        return "Your card number is incomplete."
    if not (isinstance(month, int) and 1 <= month <= 12 and isinstance(year, int)):
        return "Your card's expiration date is incomplete."
    year += 2000 if year < 100 else 0
    today = datetime.now(UTC)
    if (year, month) < (today.year, today.month):
        return "Your card has expired."
    if year > today.year + 50:
        return "Your card's expiration year is invalid."
    if not (cvc.isdigit() and len(cvc) == 3):
        return "Your card's security code is incomplete."
    method = resources.PaymentMethod(
        type="card", card={"number": number, "exp_month": month, "exp_year": year, "cvc": cvc}
    )
    if method._attaching_is_declined():
        _forget(method)
        return "Your card was declined."
    method.customer = customer.id
    _emit("payment_method.attached", method)
    _portal_default_card(customer, method.id)
    return None


def _portal_act(customer, form):
    """Does what a portal form asks: (error, card_error), both None when done."""
    action = form.get("action")
    if action == "add":
        return None, _portal_add_card(customer, form)
    if action == "default":
        id = form.get("payment_method", "")
        if not any(method.id == id for method in _portal_cards(customer)):
            return "That card is not on this account.", None
        _portal_default_card(customer, id)
        return None, None
    if action in ("cancel", "renew"):
        id = form.get("subscription", "")
        subscription = next((each for each in _portal_subscriptions(customer) if each.id == id), None)
        if subscription is None:
            return "That subscription is not on this account.", None
        _subscription_update(subscription, {"cancel_at_period_end": action == "cancel"})
        return None, None
    return "Unknown action.", None


async def _portal(request):
    session = resources.store.get("billing_portal.session:" + request.match_info["id"])
    customer = session and resources.store.get("customer:" + session.customer)
    if customer is None or time.time() - session.created > PORTAL_SESSION_LIFETIME:
        body = "<h1>This link has expired</h1><p>Go back and open the billing portal again.</p>"
        return _html("Link expired", body, 404)
    if request.method != "POST":
        return _portal_page(session, customer)
    error, card_error = _portal_act(customer, await request.post())
    if error or card_error:
        return _portal_page(session, customer, error, card_error, status=400)
    raise web.HTTPSeeOther(request.path)


def serve_billing_portal():
    """Stripe's billing portal sessions, and a plain page standing in for the portal they link to: the
    customer's cards (add one, make one the default) and subscriptions (cancel at period end, or not)."""
    server.app.router.add_post("/v1/billing_portal/sessions", _portal_session_create)
    server.app.router.add_route("GET", "/p/session/{id}", _portal)
    server.app.router.add_route("POST", "/p/session/{id}", _portal)

    @web.middleware
    async def portal_pages_need_no_key(request, handler):
        if request.path.startswith("/p/"):
            return await handler(request)
        return await server.auth_middleware(request, handler)

    middlewares = server.app.middlewares
    middlewares[middlewares.index(server.auth_middleware)] = portal_pages_need_no_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--data", type=Path, required=True, help="file that keeps the emulator's objects")
    options = parser.parse_args()

    keep_objects_in(options.data)
    accept_refund_reasons()
    accept_restricted_keys()
    attach_set_up_cards()
    know_more_test_cards()
    serve_prices()
    bill_subscriptions()
    describe_invoices()
    list_events_newest_first()
    serve_billing_portal()
    resources.store.try_load_from_disk()
    # Outermost, so it remembers the answer localstripe's own error middleware made of a decline.
    server.app.middlewares.insert(0, idempotency_middleware())
    server.app.middlewares.append(confirm_with_payment_method())  # innermost: after localstripe's auth
    web.run_app(server.app, host=options.host, port=options.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
