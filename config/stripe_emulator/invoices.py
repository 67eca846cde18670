"""Subscriptions' invoices: a period's invoice drafted, charged to a card and its outcome sent as events, and
the invoice fields of API 2026 localstripe lacks."""

from localstripe import resources

from .prices import Price, every, money
from .store import emit


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


def new_invoice(subscription, billing_reason, extra_items, moment, period):
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
                f"{line.quantity} × {name} (at {money(price.unit_amount, price.currency)} / "
                f"{every(price.recurring)})"
            )
    invoice.created = moment
    invoice.billing_reason = billing_reason
    invoice.attempt_count = 0
    invoice.attempted = False
    # Stripe's quirk: a subscription invoice's period looks back; the period billed is on its lines.
    invoice.period_start, invoice.period_end = period
    return invoice


def charge(invoice, payment_method, moment):
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
        emit("payment_intent.payment_failed", intent)
    return "authentication_required" if intent.status == "requires_action" else "card_declined"


def invoice_outcome_events(invoice, declined):
    if declined is None:
        return [emit(name, invoice, send=False) for name in ("invoice.paid", "invoice.payment_succeeded")]
    events = [emit("invoice.payment_failed", invoice, send=False)]
    if declined == "authentication_required":
        events.append(emit("invoice.payment_action_required", invoice, send=False))
    return events


def describe_invoices() -> None:
    """Stripe's invoice fields of API 2026: `payments` (includable in Stripe, always included here), the next
    retry of a declined renewal, and invoices listed by status."""
    resources.Invoice.payments = property(_invoice_payments)
    resources.Invoice.next_payment_attempt = property(_next_payment_attempt)
    resources.Invoice._api_list_all = staticmethod(_invoices_by_status(resources.Invoice._api_list_all))
