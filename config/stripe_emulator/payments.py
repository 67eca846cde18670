"""Cards and payments as billing uses them: a set-up card saved to its customer, a PaymentIntent confirmed
with a saved card, the test cards localstripe lacks, and refund reasons."""

from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def accept_refund_reasons() -> None:
    """Refund reasons: `reason` (duplicate, fraudulent, requested_by_customer) is accepted and kept."""
    refund_init = resources.Refund.__init__

    def init(self, *args, reason=None, **kwargs):
        if reason is not None and reason not in REFUND_REASONS:
            raise UserError(400, f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}")
        refund_init(self, *args, **kwargs)
        self.reason = reason

    resources.Refund.__init__ = init


def attach_set_up_cards() -> None:
    """A confirmed SetupIntent attaches its card to the SetupIntent's customer, as Stripe does."""
    attach = resources.SetupIntent._attach_pm

    def attach_to_customer(self, pm):
        attach(self, pm)  # raises for a declined card
        if self.customer and self.status == "succeeded":
            pm.customer = self.customer

    resources.SetupIntent._attach_pm = attach_to_customer


def _confirm_with_payment_method(id, payment_method=None, **kwargs):
    """A PaymentIntent confirmed with `payment_method` (a saved card, or one just set up), as Stripe does."""
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
