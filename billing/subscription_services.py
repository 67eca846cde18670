"""Memberships, billed by Stripe subscriptions in the organization's account: started at a sale (desk or
store) with the payer's saved card, then renewed by Stripe each period. Roster keeps what Stripe says — the
subscription's state and each invoice, a paid one recorded as a purchase with its payment — from the answers
to its own calls and from webhooks, whichever comes first; older news never overwrites newer (`synced_at`).

Staff pause (Stripe voids the invoices while paused), resume, cancel now or at the end of the period (not
before the minimum term ends), and change the card; each writes the customers' activity and an audit event."""

import uuid
from datetime import UTC, datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.tenancy import current_organization
from billing import gateway, subscription_gateway
from billing.charging import SaleError, purchase_record, store_client, stripe_call, stripe_customer_for
from billing.models import (
    Channel,
    InvoiceStatus,
    Method,
    Package,
    Payment,
    Purchase,
    SavedCard,
    Subscription,
    SubscriptionAudit,
    SubscriptionEvent,
    SubscriptionInvoice,
    SubscriptionStatus,
)
from billing.spots import spot_given_back
from billing.tasks import subscription_payment_failed_send
from customers.models import Customer
from customers.services import activities_record

STRIPE_STATUSES = {
    "incomplete": SubscriptionStatus.INCOMPLETE,
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "paused": SubscriptionStatus.PAUSED,
    "canceled": SubscriptionStatus.CANCELLED,
    "incomplete_expired": SubscriptionStatus.CANCELLED,
}


def _moment(timestamp: int | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=UTC)


def _price_of(client: gateway.Client, package: Package) -> tuple[str, str]:
    """The Stripe product and price billing `package` as it is now (its row locked by the sale); a new price
    once its price, tax or period changed, as Stripe prices never change."""
    amount = package.price + package.tax_amount
    terms = f"{amount} {package.currency} {package.interval_count} {package.interval}"
    if package.stripe_price and package.stripe_price_terms == terms:
        return package.stripe_product, package.stripe_price
    package.stripe_product, package.stripe_price = stripe_call(
        subscription_gateway.price_create,
        client=client,
        name=package.name,
        amount=amount,
        currency=package.currency,
        interval=package.interval,
        interval_count=package.interval_count,
        metadata={"roster_organization": str(package.organization_id), "roster_package": str(package.pk)},
        idempotency_key=f"roster-package-{package.pk}-price-{terms.replace(' ', '-')}",
    )
    package.stripe_price_terms = terms
    package.save(update_fields=["stripe_product", "stripe_price", "stripe_price_terms"])
    return package.stripe_product, package.stripe_price


@transaction.atomic
def subscription_start(
    *,
    package: Package,
    member: Customer,
    payer: Customer,
    card: SavedCard,
    channel: str,
    attempt: uuid.UUID,
    by: User | None,
) -> Purchase:
    """Start a membership the caller has checked and locked for sale: Stripe charges the first period (and
    the sign-up fee) to the payer's saved `card` at once, or raises SaleError and nothing is kept. Returns
    the purchase of that first period. `attempt` names the try: the same form posted twice starts one
    subscription."""
    client = store_client()
    product, price = _price_of(client, package)
    started = stripe_call(
        subscription_gateway.subscription_create,
        client=client,
        customer=stripe_call(stripe_customer_for, client=client, payer=payer),
        product=product,
        price=price,
        payment_method=card.stripe_payment_method,
        signup_fee=package.signup_fee + package.signup_fee_tax,
        currency=package.currency,
        metadata={
            "roster_organization": str(package.organization_id),
            "roster_package": str(package.pk),
            "roster_member": str(member.pk),
            "roster_payer": str(payer.pk),
            "roster_channel": channel,
            "roster_staff": str(by.pk) if by and channel == Channel.STAFF else "",
        },
        idempotency_key=f"roster-subscription-{attempt}",
    )
    known = Subscription.objects.filter(stripe_subscription=started.id).first()
    if known is not None:  # the same form, posted again: Stripe answered as the first time
        return _first_purchase(known)
    subscription = _subscription_record(client, started, package, member, payer, channel, by)
    return _first_purchase(subscription)


def _subscription_record(
    client: gateway.Client,
    started: subscription_gateway.StripeSubscription,
    package: Package,
    member: Customer,
    payer: Customer,
    channel: str,
    by: User | None,
) -> Subscription:
    """Roster's record of a subscription Stripe started, its state and first invoice."""
    subscription = Subscription.objects.create(
        package=package,
        member=member,
        member_label=member.full_name,
        payer=payer,
        payer_label=payer.full_name,
        price=package.price,
        tax=package.tax_amount,
        currency=package.currency,
        interval=package.interval,
        interval_count=package.interval_count,
        channel=channel,
        stripe_subscription=started.id,
        started_by=by,
    )
    state_apply(subscription=subscription, state=started, at=timezone.now(), by=by)
    if package.minimum_periods and subscription.current_period_end:  # the first period's end, then more
        unit = {"week": "weeks", "month": "months", "year": "years"}[package.interval]
        more = (package.minimum_periods - 1) * package.interval_count
        subscription.commitment_ends_at = subscription.current_period_end + relativedelta(**{unit: more})
        subscription.save(update_fields=["commitment_ends_at"])
    if started.latest_invoice:
        invoice = stripe_call(
            subscription_gateway.invoice_retrieve, client=client, invoice=started.latest_invoice
        )
        invoice_apply(subscription=subscription, invoice=invoice, at=timezone.now(), by=by)
    return subscription


@transaction.atomic
def subscription_recover(*, stripe_subscription: str) -> Subscription | None:
    """Record a subscription Stripe started for a sale whose record was lost (the process died before it
    committed), from what the sale wrote on it; once, whoever asks. Stripe is asked, not a webhook's copy;
    one of another organization, or not started by Roster, is left alone."""
    known = Subscription.objects.filter(stripe_subscription=stripe_subscription).first()
    if known is not None:
        return known
    client = store_client()
    started = stripe_call(
        subscription_gateway.subscription_retrieve, client=client, subscription=stripe_subscription
    )
    about = started.metadata
    if about.get("roster_organization") != str(current_organization().pk) or "roster_package" not in about:
        return None
    package = Package.objects.select_for_update().get(pk=about["roster_package"])
    member = Customer.objects.filter(pk=about.get("roster_member")).first()
    payer = Customer.objects.filter(pk=about.get("roster_payer")).first()
    if member is None or payer is None:
        return None
    staff = User.objects.filter(pk=about.get("roster_staff") or None, memberships__isnull=False).first()
    channel = about.get("roster_channel") if about.get("roster_channel") in Channel.values else Channel.STAFF
    return _subscription_record(client, started, package, member, payer, channel, staff)


def _first_purchase(subscription: Subscription) -> Purchase:
    """The purchase its first invoice paid for: what the sale that started it made."""
    first = subscription.invoices.select_related("payment__purchase").order_by("period_start", "id").first()
    if first is None or first.payment is None:
        raise SaleError("Stripe has not billed this membership yet: look again in a minute.")
    return first.payment.purchase


def _status_of(state: subscription_gateway.StripeSubscription) -> str:
    status = STRIPE_STATUSES.get(state.status, SubscriptionStatus.ACTIVE)
    if status == SubscriptionStatus.ACTIVE and state.paused:
        return SubscriptionStatus.PAUSED
    return status


def _card_label(payment_method: str) -> str:
    card = SavedCard.objects.filter(stripe_payment_method=payment_method).first()
    return str(card) if card else "another card"


@transaction.atomic
def state_apply(
    *,
    subscription: Subscription,
    state: subscription_gateway.StripeSubscription,
    at: datetime,
    by: User | None = None,
) -> Subscription:
    """Take Stripe's state of the subscription, said at `at`, unless Roster already heard newer; what changed
    for the member goes into the customers' activity."""
    if subscription.synced_at is not None and at < subscription.synced_at:
        return subscription
    before = (subscription.status, subscription.cancel_at, subscription.payment_method)
    subscription.status = _status_of(state)
    subscription.payment_method = state.payment_method or ""
    subscription.current_period_end = _moment(state.current_period_end) or subscription.current_period_end
    subscription.paused_until = _moment(state.resumes_at)
    subscription.cancel_at = _moment(state.cancel_at)
    subscription.cancelled_at = _moment(state.canceled_at)
    subscription.synced_at = at
    subscription.save()
    name = f"“{subscription.package.name}” for {subscription.member_label}"
    events = []
    status, cancel_at, payment_method = before
    if subscription.status != status:
        if subscription.status == SubscriptionStatus.PAUSED:
            until = subscription.paused_until
            events.append((SubscriptionEvent.PAUSED, f"{name} · until {until:%b %-d, %Y}" if until else name))
        elif status == SubscriptionStatus.PAUSED and subscription.status == SubscriptionStatus.ACTIVE:
            events.append((SubscriptionEvent.RESUMED, name))
        elif subscription.status == SubscriptionStatus.CANCELLED:
            events.append((SubscriptionEvent.CANCELLED, name))
            first = Purchase.objects.filter(payments__subscription_invoice__subscription=subscription)
            for purchase in first.exclude(channel=Channel.RENEWAL).select_related("package"):
                spot_given_back(purchase)
    if subscription.cancel_at and not cancel_at and subscription.status != SubscriptionStatus.CANCELLED:
        events.append((SubscriptionEvent.CANCELLING, f"{name} · ends {subscription.cancel_at:%b %-d, %Y}"))
    if payment_method and subscription.payment_method and subscription.payment_method != payment_method:
        events.append(
            (SubscriptionEvent.CARD_CHANGED, f"{name} · {_card_label(subscription.payment_method)}")
        )
    for kind, detail in events:
        activities_record(labels=_labels(subscription), by=by, kind=kind, detail=detail)
    return subscription


def _labels(subscription: Subscription) -> dict[int, str]:
    people = (
        (subscription.member_id, subscription.member_label),
        (subscription.payer_id, subscription.payer_label),
    )
    return {pk: label for pk, label in people if pk}


@transaction.atomic
def invoice_apply(
    *,
    subscription: Subscription,
    invoice: subscription_gateway.StripeInvoice,
    at: datetime,
    failed: bool = False,
    by: User | None = None,
) -> SubscriptionInvoice:
    """Take what Stripe says of one of the subscription's invoices, once per news: a paid invoice is recorded
    as a purchase of the package with its card payment (the first with the sale's channel, the next ones as
    renewals) and brings a past-due membership back, its period end on to the period paid for; a failed charge
    (`failed`) makes it past due and emails the payer, once per invoice."""
    row = SubscriptionInvoice.objects.select_for_update().filter(stripe_invoice=invoice.id).first()
    if row is None:  # written under its subscription's row lock, or in the transaction that made it: once
        row = SubscriptionInvoice(
            stripe_invoice=invoice.id,
            subscription=subscription,
            amount=invoice.amount_due,
            currency=invoice.currency.upper(),
            status=InvoiceStatus.OPEN,
            period_start=_moment(invoice.period_start),
            period_end=_moment(invoice.period_end),
            synced_at=at,
        )
    if at >= row.synced_at:
        row.status = invoice.status if invoice.status in InvoiceStatus.values else InvoiceStatus.OPEN
        row.attempts = max(row.attempts, invoice.attempt_count)
        row.synced_at = at
    if invoice.status == InvoiceStatus.PAID and row.payment_id is None:
        row.status = InvoiceStatus.PAID
        row.payment = _payment_record(subscription, invoice, by)
    notice = failed and row.status == InvoiceStatus.OPEN and row.failure_noticed_at is None
    if notice:
        row.failure_noticed_at = at
    row.save()
    newest = subscription.current_period_end is None or row.period_end >= subscription.current_period_end
    if newest and subscription.synced_at is not None and at >= subscription.synced_at:
        before = (subscription.status, subscription.current_period_end)
        if row.status == InvoiceStatus.PAID:
            if subscription.status == SubscriptionStatus.PAST_DUE:
                subscription.status = SubscriptionStatus.ACTIVE
            # The period paid for is the current one, even before Stripe says the subscription changed.
            subscription.current_period_end = row.period_end
        if failed and row.status == InvoiceStatus.OPEN and subscription.status == SubscriptionStatus.ACTIVE:
            subscription.status = SubscriptionStatus.PAST_DUE
        if (subscription.status, subscription.current_period_end) != before:
            subscription.synced_at = at
            subscription.save(update_fields=["status", "current_period_end", "synced_at"])
    if notice:
        activities_record(
            labels=_labels(subscription),
            by=None,
            kind=SubscriptionEvent.PAYMENT_FAILED,
            detail=f"“{subscription.package.name}” · {row.amount_display} · "
            f"{_card_label(subscription.payment_method)}",
        )
        subscription_payment_failed_send.delay_on_commit(org_id=row.organization_id, invoice_id=row.pk)
    return row


def _payment_record(
    subscription: Subscription, invoice: subscription_gateway.StripeInvoice, by: User | None
) -> Payment | None:
    """The purchase a paid invoice stands for, with its payment; None when its member or payer was deleted
    (the invoice stays, with its amount)."""
    if invoice.payment_intent:
        known = Payment.objects.filter(stripe_payment_intent=invoice.payment_intent).first()
        if known is not None:
            return known
    if subscription.member is None or subscription.payer is None:
        return None
    first = invoice.billing_reason == "subscription_create"
    tax = subscription.tax + (subscription.package.signup_fee_tax if first else 0)
    tax = min(tax, invoice.amount_paid)
    card = SavedCard.objects.filter(stripe_payment_method=subscription.payment_method).first()
    payment = Payment(
        method=Method.CARD,
        card_brand=card.brand if card else "",
        card_last4=card.last4 if card else "",
        stripe_payment_intent=invoice.payment_intent or "",
    )
    purchase_record(
        package=subscription.package,
        customer=subscription.member,
        payer=subscription.payer,
        channel=subscription.channel if first else Channel.RENEWAL,
        payment=payment,
        by=by if first else None,
        amounts=(invoice.amount_paid - tax, tax),
    )
    return payment


def _locked(subscription: Subscription) -> Subscription:
    subscription = Subscription.objects.select_for_update().select_related("package").get(pk=subscription.pk)
    if subscription.status == SubscriptionStatus.CANCELLED:
        raise SaleError("This membership has ended.")
    return subscription


def _changed(subscription: Subscription, changes: dict, key: str, by: User) -> Subscription:
    state = stripe_call(
        subscription_gateway.subscription_update,
        client=store_client(),
        subscription=subscription.stripe_subscription,
        changes=changes,
        idempotency_key=f"roster-subscription-{subscription.pk}-{key}-{uuid.uuid4()}",
    )
    return state_apply(subscription=subscription, state=state, at=timezone.now(), by=by)


def _audit(subscription: Subscription, action: str, by: User, detail: str = "") -> None:
    target = f"{subscription.package.name} · {subscription.member_label}"
    audit_record(action=action, by=by, target=target, detail=detail)


@transaction.atomic
def subscription_pause(*, subscription: Subscription, until: datetime | None, by: User) -> Subscription:
    """Stop charging: Stripe voids each period's invoice until `until` (or until resumed)."""
    subscription = _locked(subscription)
    if subscription.status == SubscriptionStatus.PAUSED:
        raise SaleError("This membership is already paused.")
    pause = {"behavior": "void"} | ({"resumes_at": int(until.timestamp())} if until else {})
    subscription = _changed(subscription, {"pause_collection": pause}, "pause", by)
    _audit(
        subscription, SubscriptionAudit.PAUSED, by, f"until {until:%Y-%m-%d}" if until else "until resumed"
    )
    return subscription


@transaction.atomic
def subscription_resume(*, subscription: Subscription, by: User) -> Subscription:
    """Charge again from the next period."""
    subscription = _locked(subscription)
    if subscription.status != SubscriptionStatus.PAUSED:
        raise SaleError("This membership is not paused.")
    subscription = _changed(subscription, {"pause_collection": ""}, "resume", by)
    _audit(subscription, SubscriptionAudit.RESUMED, by)
    return subscription


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, now: bool, by: User) -> Subscription:
    """End the membership now (nothing more is charged), or at the end of the period it is in — not before
    its minimum term ends, so it then ends with that term's last period."""
    subscription = _locked(subscription)
    if now:
        state = stripe_call(
            subscription_gateway.subscription_cancel,
            client=store_client(),
            subscription=subscription.stripe_subscription,
        )
        subscription = state_apply(subscription=subscription, state=state, at=timezone.now(), by=by)
        _audit(subscription, SubscriptionAudit.CANCELLED, by, "now")
        return subscription
    commitment = subscription.commitment_ends_at
    if commitment and subscription.current_period_end and commitment > subscription.current_period_end:
        changes = {"cancel_at": int(commitment.timestamp())}
    else:
        changes = {"cancel_at_period_end": True}
    subscription = _changed(subscription, changes, "cancel", by)
    ends = subscription.cancel_at
    _audit(subscription, SubscriptionAudit.CANCELLED, by, f"ends {ends:%Y-%m-%d}" if ends else "")
    return subscription


@transaction.atomic
def subscription_card_change(*, subscription: Subscription, card: SavedCard, by: User) -> Subscription:
    """Charge another of the payer's saved cards from the next invoice."""
    subscription = _locked(subscription)
    if card.customer_id != subscription.payer_id:
        raise SaleError(f"That card is not {subscription.payer_label}'s.")
    subscription = _changed(subscription, {"default_payment_method": card.stripe_payment_method}, "card", by)
    _audit(subscription, SubscriptionAudit.CARD_CHANGED, by, str(card))
    return subscription
