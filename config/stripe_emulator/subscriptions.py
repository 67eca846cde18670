"""Stripe's subscriptions on prices, in API 2026's shape (the period on each item, and on the subscription):
created with their first invoice charged at once, updated, cancelled and renewed, each change sent as
customer.subscription.* with previous_attributes."""

import time

from localstripe import resources, server
from localstripe.errors import json_response

from .invoices import charge, invoice_outcome_events, new_invoice
from .prices import Price, period_end
from .requests import CardError, boolean, integer, invalid, merged_metadata, referenced, refuse_unknown
from .store import deliver, emit, forget

LIVE_STATUSES = ("active", "past_due", "trialing", "unpaid")
RETRY_DELAY = 3 * 24 * 60 * 60  # when Stripe's smart retries would try a declined renewal again
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


def _item_price(item):
    price = resources.store.get("price:" + item.plan.id)
    return price._export() if price else None


def _item_period(current_period):
    def period(item):
        if getattr(item, "current_period_end", None) is None:
            return current_period(item)
        return {"start": item.current_period_start, "end": item.current_period_end}

    return period


def _payment_method_of(customer, id, param):
    """A card the customer has: Stripe refuses to bill a payment method not attached to the customer."""
    if id in (None, ""):
        return None
    method = referenced(resources.PaymentMethod, id, param)
    if method.customer != customer.id:
        raise invalid(
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
        raise invalid("Missing required param: items.", "items", "parameter_missing")
    chosen = []
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid("Invalid object", f"items[{number}]")
        refuse_unknown(item, {"price", "quantity", "metadata"}, f"items[{number}][")
        price = referenced(Price, item.get("price"), f"items[{number}][price]")
        if price.type != "recurring":
            raise invalid(
                "The price specified is set to `type=one_time` but this field only accepts prices with "
                "`type=recurring`.",
                f"items[{number}][price]",
            )
        quantity = integer(item.get("quantity", 1), f"items[{number}][quantity]", 1)
        chosen.append((price, quantity, merged_metadata({}, item.get("metadata") or {})))
    if len({(price.recurring["interval"], price.recurring["interval_count"]) for price, _, _ in chosen}) > 1:
        raise invalid(
            "Currency and interval fields must match across all plans on this subscription.", "items"
        )
    return chosen


def _one_off_items(customer, add_invoice_items):
    """add_invoice_items: each (product, amount, currency, quantity), billed on the first invoice only."""
    if add_invoice_items in (None, ""):
        return []
    if not isinstance(add_invoice_items, list):
        raise invalid("Invalid array", "add_invoice_items")
    found = []
    for number, item in enumerate(add_invoice_items):
        prefix = f"add_invoice_items[{number}]"
        if not isinstance(item, dict):
            raise invalid("Invalid object", prefix)
        refuse_unknown(item, {"price", "price_data", "quantity"}, prefix + "[")
        quantity = integer(item.get("quantity", 1), prefix + "[quantity]", 1)
        if "price" in item:
            price = referenced(Price, item["price"], prefix + "[price]")
            found.append((price.product, price.unit_amount, price.currency, quantity))
            continue
        data = item.get("price_data")
        if not isinstance(data, dict):
            raise invalid(
                f"Missing required param: {prefix}[price].", prefix + "[price]", "parameter_missing"
            )
        refuse_unknown(data, {"currency", "product", "unit_amount"}, prefix + "[price_data][")
        product = referenced(resources.Product, data.get("product"), prefix + "[price_data][product]")
        amount = integer(data.get("unit_amount"), prefix + "[price_data][unit_amount]")
        currency = data.get("currency")
        if not isinstance(currency, str) or len(currency) != 3:
            raise invalid("Invalid currency", prefix + "[price_data][currency]")
        found.append((product.id, amount, currency.lower(), quantity))
    return found


def _cancel_at(value, now):
    if value in (None, ""):
        return None
    moment = integer(value, "cancel_at")
    if moment <= now:
        raise invalid("cancel_at must be in the future.", "cancel_at")
    return moment


def _subscription_create(**params):
    """The first invoice, with `add_invoice_items` (a sign-up fee) on it only, is charged at once to the
    subscription's card or else the customer's default one (`error_if_incomplete`: a decline answers 402
    card_error and leaves no subscription; 3-D Secure answers code authentication_required)."""
    refuse_unknown(params, SUBSCRIPTION_CREATE_PARAMS)
    now = int(time.time())
    customer = referenced(resources.Customer, params.get("customer"), "customer")
    prices = _subscription_prices(params.get("items"))
    one_offs = _one_off_items(customer, params.get("add_invoice_items"))
    behavior = params.get("payment_behavior", "allow_incomplete")
    if behavior not in ("allow_incomplete", "error_if_incomplete"):
        raise invalid(f"payment_behavior={behavior} is not emulated.", "payment_behavior")
    card = _payment_method_of(customer, params.get("default_payment_method"), "default_payment_method")
    if (card or customer.invoice_settings.get("default_payment_method")) is None:
        raise invalid(
            "This customer has no attached payment source or default payment method. Please consider adding "
            "a default payment method.",
            code="resource_missing",
        )
    cancel_at = _cancel_at(params.get("cancel_at"), now)
    cancel_at_period_end = boolean(params.get("cancel_at_period_end", False), "cancel_at_period_end")
    metadata = merged_metadata({}, params.get("metadata") or {})

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
        item.current_period_end = period_end(now, price.recurring, 1)
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
    invoice = new_invoice(subscription, "subscription_create", fees, now, (now, now))
    subscription.latest_invoice = invoice.id
    events = [emit("invoice.created", invoice, send=False)]
    invoice._finalize()
    events.append(emit("invoice.finalized", invoice, send=False))
    declined = charge(invoice, card or customer.invoice_settings.get("default_payment_method"), now)
    if declined is not None and behavior == "error_if_incomplete":
        forget(*events, subscription, *subscription.items._list, invoice, *invoice.lines._list, *fees)
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
    events += invoice_outcome_events(invoice, declined)
    deliver([emit("customer.subscription.created", subscription, send=False), *events])
    return subscription


def _pause_collection(value):
    if value in ("", None):
        return None
    if not isinstance(value, dict):
        raise invalid("Invalid object", "pause_collection")
    refuse_unknown(value, {"behavior", "resumes_at"}, "pause_collection[")
    if value.get("behavior") != "void":
        raise invalid("Only pause_collection[behavior]=void is emulated.", "pause_collection[behavior]")
    resumes_at = value.get("resumes_at")
    resumes_at = None if resumes_at in (None, "") else integer(resumes_at, "pause_collection[resumes_at]")
    return {"behavior": "void", "resumes_at": resumes_at}


def _changes(before, after):
    return {key: value for key, value in before.items() if after.get(key) != value}


def subscription_update(subscription, params):
    """Applies an update (pause_collection, void only; cancel_at_period_end; cancel_at;
    default_payment_method; metadata) and sends customer.subscription.updated with what it changed."""
    refuse_unknown(params, SUBSCRIPTION_UPDATE_PARAMS)
    if subscription.status in ("canceled", "incomplete_expired") and set(params) - {"metadata"}:
        raise invalid("A canceled subscription can only update its cancellation_details and metadata.")
    now = int(time.time())
    before = subscription._export()
    customer = resources.Customer._api_retrieve(subscription.customer)
    if "cancel_at" in params and "cancel_at_period_end" in params and params["cancel_at"] not in ("", None):
        raise invalid("You may only specify one of these parameters: cancel_at, cancel_at_period_end.")
    if "pause_collection" in params:
        subscription.pause_collection = _pause_collection(params["pause_collection"])
    if "default_payment_method" in params:
        subscription.default_payment_method = _payment_method_of(
            customer, params["default_payment_method"], "default_payment_method"
        )
    if "metadata" in params:
        subscription.metadata = merged_metadata(subscription.metadata, params["metadata"])
    if "cancel_at_period_end" in params:
        at_period_end = boolean(params["cancel_at_period_end"], "cancel_at_period_end")
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
        emit("customer.subscription.updated", subscription, changed)
    return subscription


def _subscription_cancel(id):
    subscription = resources.Subscription._api_retrieve(id)
    if subscription.status in ("canceled", "incomplete_expired"):
        raise invalid(f"This subscription is already {subscription.status}.")
    now = int(time.time())
    subscription.status = "canceled"
    subscription.canceled_at = subscription.ended_at = now
    subscription.cancellation_details = {
        **subscription.cancellation_details,
        "reason": "cancellation_requested",
    }
    emit("customer.subscription.deleted", subscription)
    return subscription


def subscription_renew(subscription):
    """Moves a subscription to its next period and bills it, as Stripe's subscription_cycle does."""
    if subscription.status not in LIVE_STATUSES:
        raise invalid(f"A subscription that is {subscription.status} does not renew.")
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
        emit("customer.subscription.deleted", subscription)
        return subscription
    pause = subscription.pause_collection
    if pause and pause["resumes_at"] is not None and pause["resumes_at"] <= max(moment, time.time()):
        subscription.pause_collection = None
    billed_period = (subscription.current_period_start, moment)
    subscription._renewals += 1
    for item in subscription.items._list:
        price = Price._api_retrieve(item.plan.id)
        item.current_period_start = moment
        item.current_period_end = period_end(
            subscription.billing_cycle_anchor, price.recurring, subscription._renewals + 1
        )
    invoice = new_invoice(subscription, "subscription_cycle", [], moment, billed_period)
    subscription.latest_invoice = invoice.id
    events = [emit("invoice.created", invoice, send=False)]
    invoice._finalize()
    invoice.status_transitions["finalized_at"] = moment
    events.append(emit("invoice.finalized", invoice, send=False))
    if subscription.pause_collection:
        invoice._voided = True
        invoice.status_transitions["voided_at"] = moment
        events.append(emit("invoice.voided", invoice, send=False))
    else:
        declined = charge(invoice, _billed_card(subscription), moment)
        if declined is None:
            subscription.status = "active"
        else:
            subscription.status = "past_due"
            invoice._next_payment_attempt = moment + RETRY_DELAY
        events += invoice_outcome_events(invoice, declined)
    changed = _changes(before, subscription._export())
    deliver([*events, emit("customer.subscription.updated", subscription, changed, send=False)])
    return subscription


async def _renew(request):
    """`POST /_config/subscriptions/{id}/renew` (no key), the one control Stripe does with test clocks: the
    next period (months from the anchor day, clamped), ended when cancelling, a voided invoice while paused,
    else charged (declined: the invoice stays open and the subscription past_due)."""
    subscription = resources.Subscription._api_retrieve(request.match_info["id"])
    return json_response(subscription_renew(subscription)._export())


def bill_subscriptions() -> None:
    """Stripe's subscriptions on prices: the first invoice charged at once (with one-off sign-up items),
    pause_collection, cancel at period end or at a time, cancel now, each change as an event."""
    resources.Subscription._api_create = staticmethod(_subscription_create)
    resources.Subscription._api_update = staticmethod(
        lambda id, **params: subscription_update(resources.Subscription._api_retrieve(id), params)
    )
    resources.Subscription._api_delete = staticmethod(_subscription_cancel)
    resources.SubscriptionItem._current_period = _item_period(resources.SubscriptionItem._current_period)
    resources.SubscriptionItem.price = property(_item_price)
    resources.SubscriptionItem.subscription = property(lambda item: item._subscription)
    server.app.router.add_post("/_config/subscriptions/{id}/renew", _renew)
