"""A plain page standing in for Stripe's hosted billing portal, and the sessions that link to it: the
customer's cards and subscriptions, each change sent as Stripe's portal sends it."""

import hashlib
import html
import time
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import json_response

from .prices import Price, every, money
from .requests import invalid, referenced, refuse_unknown
from .store import emit, forget
from .subscriptions import LIVE_STATUSES, subscription_update

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
    refuse_unknown(params, {"customer", "return_url", "configuration", "locale"})
    customer = referenced(resources.Customer, params.get("customer"), "customer")
    return_url = params.get("return_url")
    if return_url is not None and not (
        isinstance(return_url, str) and return_url.startswith(("http://", "https://"))
    ):
        raise invalid("Not a valid URL", "return_url", "url_invalid")
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
            f"<span>{e(money(price.unit_amount * item.quantity, price.currency))} / "
            f"{e(every(price.recurring))}</span>"
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
    emit("customer.updated", customer, {"invoice_settings": before})
    for subscription in _portal_subscriptions(customer):
        subscription_update(subscription, {"default_payment_method": method_id})


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
        forget(method)
        return "Your card was declined."
    method.customer = customer.id
    emit("payment_method.attached", method)
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
        subscription_update(subscription, {"cancel_at_period_end": action == "cancel"})
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
