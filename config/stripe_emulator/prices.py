"""Stripe's Prices, each with the localstripe plan behind it that subscriptions are built on, and how a
price's amount and interval read and its periods are counted."""

from datetime import UTC, datetime

from dateutil.relativedelta import relativedelta
from localstripe import resources, server
from localstripe.errors import UserError

from .requests import boolean, integer, invalid, merged_metadata, referenced, refuse_unknown
from .store import emit

PRICE_INTERVALS = ("day", "week", "month", "year")
STEPS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}


def money(amount, currency):
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount / 100:,.2f}" if symbol else f"{amount / 100:,.2f} {currency.upper()}"


def every(recurring):
    count = recurring["interval_count"]
    return recurring["interval"] if count == 1 else f"every {count} {recurring['interval']}s"


def period_end(anchor, recurring, periods):
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
        refuse_unknown(kwargs, ())
        product = referenced(resources.Product, product, "product").id
        unit_amount = integer(unit_amount, "unit_amount")
        if not isinstance(currency, str) or len(currency) != 3:
            raise invalid("Invalid currency", "currency")
        if recurring is not None:
            if not isinstance(recurring, dict):
                raise invalid("Invalid object", "recurring")
            refuse_unknown(recurring, {"interval", "interval_count", "usage_type"}, "recurring[")
            if recurring.get("interval") not in PRICE_INTERVALS:
                raise invalid("Invalid recurring[interval]", "recurring[interval]")
            if recurring.get("usage_type", "licensed") != "licensed":
                raise invalid("Only licensed prices are emulated", "recurring[usage_type]")
            recurring = {
                "interval": recurring["interval"],
                "interval_count": integer(recurring.get("interval_count", 1), "recurring[interval_count]", 1),
                "usage_type": "licensed",
                "meter": None,
                "trial_period_days": None,
            }
        metadata = merged_metadata({}, metadata or {})
        super().__init__()
        self.active = boolean(active, "active")
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
        emit("price.created", self)

    @classmethod
    def _api_update(cls, id, **data):
        refuse_unknown(data, {"active", "metadata", "nickname", "lookup_key"})
        price = cls._api_retrieve(id)
        if "active" in data:
            price.active = boolean(data["active"], "active")
        if "metadata" in data:
            price.metadata = merged_metadata(price.metadata, data["metadata"])
        for name in ("nickname", "lookup_key"):
            if name in data:
                setattr(price, name, data[name] or None)
        emit("price.updated", price)
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
