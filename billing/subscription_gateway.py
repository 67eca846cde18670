"""Recurring billing's calls to Stripe: a package's product and price, subscriptions and what changes them,
invoices as the API and webhooks give them, and the customer portal. Clients, errors and idempotency keys
are billing.gateway's, as its docstring says."""

from dataclasses import dataclass

import stripe

from billing.gateway import minor_units, stripe_errors


@dataclass(frozen=True)
class StripeSubscription:
    id: str
    status: str  # incomplete, trialing, active, past_due, unpaid, canceled, incomplete_expired, paused
    customer: str
    payment_method: str | None  # the card its invoices charge
    paused: bool  # collection paused: its invoices are voided, nothing charged
    resumes_at: int | None  # when a pause ends by itself
    cancel_at: int | None  # when it ends, when set to (at period end, or a date)
    canceled_at: int | None
    current_period_end: int | None
    latest_invoice: str | None
    metadata: dict[str, str]  # what Roster wrote on it (roster_package, roster_member, …)


@dataclass(frozen=True)
class StripeInvoice:
    id: str
    subscription: str | None
    status: str  # draft, open, paid, void, uncollectible
    billing_reason: str | None  # subscription_create, subscription_cycle, …
    amount_due: int
    amount_paid: int
    currency: str
    attempt_count: int
    period_start: int
    period_end: int
    payment_intent: str | None  # the PaymentIntent that paid it


def subscription_from(data: dict) -> StripeSubscription:
    """A subscription as the API answers it or a webhook carries it (API 2026: its period is on its items)."""
    item = (data.get("items") or {}).get("data") or [{}]
    pause = data.get("pause_collection") or None
    cancel_at = data.get("cancel_at")
    if data.get("cancel_at_period_end") and cancel_at is None:
        cancel_at = item[0].get("current_period_end")
    method = data.get("default_payment_method")
    return StripeSubscription(
        id=data["id"],
        status=data["status"],
        customer=data["customer"],
        payment_method=method.get("id") if isinstance(method, dict) else method,
        paused=pause is not None,
        resumes_at=pause.get("resumes_at") if pause else None,
        cancel_at=cancel_at,
        canceled_at=data.get("canceled_at"),
        current_period_end=item[0].get("current_period_end"),
        latest_invoice=data.get("latest_invoice") if isinstance(data.get("latest_invoice"), str) else None,
        metadata=data.get("metadata") or {},
    )


def invoice_from(data: dict) -> StripeInvoice:
    """An invoice as a webhook carries it. Its payments are an includable field: read when present, else
    asked for (invoice_retrieve)."""
    parent = (data.get("parent") or {}).get("subscription_details") or {}
    lines = (data.get("lines") or {}).get("data") or []
    period = lines[0].get("period", {}) if lines else {}
    paid = [
        each["payment"].get("payment_intent")
        for each in (data.get("payments") or {}).get("data") or []
        if each.get("status") == "paid"
    ]
    return StripeInvoice(
        id=data["id"],
        subscription=parent.get("subscription"),
        status=data["status"],
        billing_reason=data.get("billing_reason"),
        amount_due=data.get("amount_due") or 0,
        amount_paid=data.get("amount_paid") or 0,
        currency=data.get("currency") or "",
        attempt_count=data.get("attempt_count") or 0,
        period_start=period.get("start") or data.get("period_start") or 0,
        period_end=period.get("end") or data.get("period_end") or 0,
        payment_intent=paid[0] if paid else None,
    )


def has_payments(data: dict) -> bool:
    """Whether an invoice's payments came with it (an includable field Stripe leaves out of webhooks)."""
    return "payments" in data


def price_create(
    client: stripe.StripeClient,
    *,
    name: str,
    amount: int,
    currency: str,
    interval: str,
    interval_count: int,
    metadata: dict[str, str],
    idempotency_key: str,
) -> tuple[str, str]:
    """A product named `name` with a recurring price of `amount` minor units: (`prod_…`, `price_…`)."""
    with stripe_errors():
        product = client.v1.products.create(
            params={"name": name, "metadata": metadata},
            options={"idempotency_key": f"{idempotency_key}-product"},
        )
        price = client.v1.prices.create(
            params={
                "product": product.id,
                "unit_amount": minor_units(amount),
                "currency": currency.lower(),
                "recurring": {"interval": interval, "interval_count": interval_count},  # type: ignore[typeddict-item]
                "metadata": metadata,
            },
            options={"idempotency_key": f"{idempotency_key}-price"},
        )
    return product.id, price.id


def subscription_create(
    client: stripe.StripeClient,
    *,
    customer: str,
    product: str,
    price: str,
    payment_method: str,
    signup_fee: int,
    currency: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> StripeSubscription:
    """Subscribe `customer` to `price`, its first invoice (with a one-off sign-up fee, if any) charged at once
    to `payment_method`: a declined card raises CardDeclined and leaves no subscription behind, as does a
    card that wants the holder to authenticate (code authentication_required)."""
    params: dict = {
        "customer": customer,
        "items": [{"price": price}],
        "default_payment_method": payment_method,
        "payment_behavior": "error_if_incomplete",
        "metadata": metadata,
    }
    if signup_fee:
        params["add_invoice_items"] = [
            {"price_data": {"currency": currency.lower(), "product": product, "unit_amount": signup_fee}}
        ]
    with stripe_errors():
        subscription = client.v1.subscriptions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    return subscription_from(subscription.to_dict())


def subscription_update(
    client: stripe.StripeClient, *, subscription: str, changes: dict, idempotency_key: str
) -> StripeSubscription:
    """Change a subscription: pause_collection ({"behavior": "void", "resumes_at": ts}, or "" to resume),
    cancel_at_period_end, cancel_at, default_payment_method."""
    with stripe_errors():
        updated = client.v1.subscriptions.update(
            subscription,
            params=changes,
            options={"idempotency_key": idempotency_key},  # type: ignore[arg-type]
        )
    return subscription_from(updated.to_dict())


def subscription_cancel(client: stripe.StripeClient, *, subscription: str) -> StripeSubscription:
    """End a subscription now: nothing more is charged. Cancelling one already cancelled changes nothing."""
    with stripe_errors():
        cancelled = client.v1.subscriptions.cancel(subscription)
    return subscription_from(cancelled.to_dict())


def subscription_retrieve(client: stripe.StripeClient, *, subscription: str) -> StripeSubscription:
    with stripe_errors():
        return subscription_from(client.v1.subscriptions.retrieve(subscription).to_dict())


def invoice_retrieve(client: stripe.StripeClient, *, invoice: str) -> StripeInvoice:
    with stripe_errors():
        found = client.v1.invoices.retrieve(invoice, params={"expand": ["payments"]})
    return invoice_from(found.to_dict())


def billing_portal_session_create(client: stripe.StripeClient, *, customer: str, return_url: str) -> str:
    """Where the customer manages their cards and subscriptions in Stripe's own pages; returns its address."""
    with stripe_errors():
        session = client.v1.billing_portal.sessions.create(
            params={"customer": customer, "return_url": return_url}
        )
    return session.url
