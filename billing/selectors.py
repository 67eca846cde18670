"""Reads of billing: who may buy for whom, what the online store lists, and a customer's payments."""

from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import F, Max, Min, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from accounts.tenancy import required_organization
from billing import gateway
from billing.account import PaymentsNotConnected, publishable_key, stripe_client_for_org
from billing.models import (
    Checkout,
    Package,
    Payment,
    Punch,
    PunchCard,
    Purchase,
    SavedCard,
    Subscription,
    SubscriptionInvoice,
    SubscriptionStatus,
    Visibility,
)
from billing.spots import with_spots_taken
from customers.extend import read_once
from customers.models import Customer
from families.models import GuardianLink, GuardianPermission
from families.selectors import guardian_may, people_of


def may_buy_for(payer: Customer, customer: Customer) -> bool:
    """A customer buys for themselves, or for someone they look after with the *purchase* permission."""
    return payer.pk == customer.pk or guardian_may(payer, GuardianPermission.PURCHASE, customer)


def may_pay_with_saved_cards(payer: Customer, customer: Customer) -> bool:
    """A payer's saved cards pay for their own purchases, and for someone they look after with *pay*."""
    return payer.pk == customer.pk or guardian_may(payer, GuardianPermission.PAY, customer)


def saved_cards_of(customer: Customer) -> QuerySet:
    """A customer's saved cards, the default first."""
    return SavedCard.objects.filter(customer=customer).order_by("-is_default", "-created_at", "-id")


def buyable_for(payer: Customer) -> list[Customer]:
    """Whom `payer` may buy for: themselves first, then the people they look after with *purchase*, by first
    name (the profile reads their links once for this and the People box)."""
    links = read_once(people_of, payer)[1]
    people = [
        link.dependant
        for link in links
        if GuardianPermission.PURCHASE in link.permissions and link.dependant.archived_at is None
    ]
    return [payer, *sorted(people, key=lambda person: person.first_key)]


def packages_for_sale() -> QuerySet:
    """What staff may sell: every package not archived, whatever its store visibility (deposits are sold
    with their bookings)."""
    return Package.objects.filter(archived_at=None).exclude(visibility=Visibility.BOOKING).order_by("name")


def payments_of(customer: Customer) -> QuerySet:
    """Payments for purchases this customer paid for or that were for them, newest first."""
    purchases = Purchase.objects.filter(Q(payer=customer) | Q(customer=customer)).values("pk")
    return (
        Payment.objects.filter(purchase__in=purchases)
        # Prefetched for the page alone: joined, they widen the sort of every payment and may lead the planner
        # to walk all purchases of a package.
        .prefetch_related("purchase__package", "taken_by", "refunds__by")
        .order_by("-created_at", "-id")
    )


def payments_newer_than(customer: Customer, payment: Payment) -> int:
    """How many of payments_of(customer) come before `payment` in its order: where its page starts."""
    return (
        payments_of(customer)
        .filter(Q(created_at__gt=payment.created_at) | Q(created_at=payment.created_at, pk__gt=payment.pk))
        .count()
    )


def spend_of(customer: Customer) -> dict:
    """What this customer has paid (net of refunds, in the organization's currency) and when they first and
    last bought: the Payments tab's summary."""
    return Payment.objects.filter(payer=customer).aggregate(
        net=Sum(F("amount") - F("refunded")), first=Min("created_at"), last=Max("created_at")
    )


def package_choices() -> list[tuple[str, str]]:
    """Every package, archived ones included (what was sold stays findable), for the roster's filter."""
    return [(str(pk), name) for pk, name in Package.objects.order_by("name").values_list("pk", "name")]


def net_paid(customer_ids: list[int]) -> dict[int, int]:
    """{customer_id: what they paid, refunds taken off, in minor units} for those who paid anything."""
    rows = (
        Payment.objects.filter(purchase__payer_id__in=customer_ids)
        .values("purchase__payer_id")
        .annotate(net=Sum(F("amount") - F("refunded")))
    )
    return {row["purchase__payer_id"]: row["net"] for row in rows}


def payments_seen_by(customer: Customer) -> QuerySet:
    """What a customer sees in the portal: payments they made or that were for them, and those for the people
    they look after with *see bookings and payments*."""
    watched = GuardianLink.objects.filter(
        guardian=customer, permissions__contains=[GuardianPermission.VIEW_HISTORY]
    ).values("dependant_id")
    return (
        Payment.objects.filter(
            Q(purchase__payer=customer) | Q(purchase__customer=customer) | Q(purchase__customer__in=watched)
        )
        .select_related("purchase__package")
        .prefetch_related("refunds")
        .order_by("-created_at", "-id")
    )


# Punch cards


def organization_today() -> date:
    """Today where the current organization is: a punch card's last day ends at its midnight."""
    return timezone.localdate(timezone=ZoneInfo(required_organization("today").time_zone))


def punch_cards_today(cards) -> list[PunchCard]:
    """The cards, each with `status` ("3 of 10 left", "Expired"…) and `usable` as of the organization's
    today, for pages to show."""
    today = organization_today()
    cards = list(cards)
    for card in cards:
        card.status, card.usable = card.status_on(today), card.usable_on(today)
    return cards


def _cards(*related: str) -> QuerySet:
    return PunchCard.objects.select_related("purchase__package", *related).order_by("-created_at", "-id")


def punch_cards_of(customer: Customer) -> QuerySet:
    """The punch cards a customer holds, newest first, each with its `package_name`: the profile's box, which
    shows nothing else of the purchase (joined, its and the package's columns cost most of the box)."""
    cards = PunchCard.objects.filter(holder=customer).annotate(package_name=F("purchase__package__name"))
    return cards.order_by("-created_at", "-id")


def punch_cards_seen_by(customer: Customer) -> QuerySet:
    """The punch cards a customer sees in the portal: their own, and those of the people they look after
    with *see bookings and payments* (as payments_seen_by)."""
    watched = GuardianLink.objects.filter(
        guardian=customer, permissions__contains=[GuardianPermission.VIEW_HISTORY]
    ).values("dependant_id")
    return _cards("holder").filter(Q(holder=customer) | Q(holder__in=watched))


def punch_card_with_history(customer: Customer, pk: int) -> PunchCard | None:
    """A card `customer` holds with its punches newest first (who punched, who undid), or None (another
    customer's or another organization's id)."""
    punches = Punch.objects.select_related("by", "undone_by").order_by("-at", "-id")
    card = _cards().prefetch_related(Prefetch("punches", queryset=punches)).filter(holder=customer, pk=pk)
    return card.first()


# The online store


def store_packages() -> QuerySet:
    """What the online store lists: public packages not archived, with their spots bought or held (`taken`),
    in one query. Those outside their sale window or sold out are listed, marked, and not buyable."""
    return with_spots_taken(Package.objects.filter(visibility=Visibility.PUBLIC, archived_at=None)).order_by(
        "name", "id"
    )


def store_refusal(package: Package, *, invited: bool = False) -> str:
    """Why the store does not sell a package it could list right now ("" when it does), for its page. An
    invitation opens a package sold by invitation only; `invited` also stands for a booking, which opens its
    party's deposit."""
    now = timezone.now()
    opened = (Visibility.INVITE, Visibility.BOOKING)
    listed = package.visibility == Visibility.PUBLIC or (invited and package.visibility in opened)
    if not listed or package.is_archived:
        return "Not sold online"
    if package.sale_starts_at and now < package.sale_starts_at:
        return "Not on sale yet"
    if package.sale_ends_at and now >= package.sale_ends_at:
        return "Sale ended"
    return ""


def store_availability(package: Package) -> str:
    """What a store visitor reads beside the Buy button: "" when it is on sale, else why not. `package` comes
    from store_packages() (it carries `taken`)."""
    refusal = store_refusal(package)
    if refusal:
        return refusal
    if package.capacity is not None and package.taken >= package.capacity:
        return "Sold out"
    return ""


def checkout_for_payer(payer: Customer, pk: int) -> Checkout | None:
    """A checkout of the current organization that `payer` started, or None (another person's, or another
    organization's id)."""
    return (
        Checkout.objects.filter(pk=pk, payer=payer)
        .select_related("package", "customer", "payer", "completed_purchase")
        .first()
    )


class CheckoutUnavailable(Exception):
    """A card form that cannot be shown now; the message says why, for the payer."""


def checkout_intent(checkout: Checkout) -> tuple[gateway.StripePaymentIntent | None, str]:
    """The checkout's PaymentIntent as Stripe has it now (its status, and the client secret Stripe.js needs
    to finish 3-D Secure; None for a membership, which Stripe bills by invoice) and the organization's
    publishable key. Never stored: asked of Stripe each time."""
    try:
        client = stripe_client_for_org()
        if not checkout.payment_intent:
            return None, publishable_key()
        intent = gateway.payment_intent_retrieve(client, payment_intent=checkout.payment_intent)
        return intent, publishable_key()
    except PaymentsNotConnected:
        raise CheckoutUnavailable("This store does not take card payments any more.") from None
    except gateway.PaymentError:
        raise CheckoutUnavailable(
            "Card payments are unavailable right now: try again in a few minutes."
        ) from None


# Memberships


def subscriptions_of(customer: Customer) -> QuerySet:
    """The memberships `customer` holds or pays for, live ones first, newest first."""
    return (
        Subscription.objects.filter(Q(member=customer) | Q(payer=customer))
        .select_related("package")
        .order_by(F("cancelled_at").desc(nulls_first=True), "-created_at", "-id")
    )


def subscription_with_invoices(customer: Customer, pk: int) -> Subscription | None:
    """One of `customer`'s memberships with its invoices and their payments (None: not theirs)."""
    return (
        subscriptions_of(customer)
        .prefetch_related(
            Prefetch(
                "invoices",
                queryset=SubscriptionInvoice.objects.select_related("payment").order_by(
                    "-period_start", "-id"
                ),
            )
        )
        .filter(pk=pk)
        .first()
    )


def subscriptions_seen_by(customer: Customer) -> QuerySet:
    """The memberships a customer sees in the portal: those they hold or pay for, and those of the people
    they look after with *see bookings and payments* (as punch_cards_seen_by)."""
    watched = GuardianLink.objects.filter(
        guardian=customer, permissions__contains=[GuardianPermission.VIEW_HISTORY]
    ).values("dependant_id")
    return (
        Subscription.objects.filter(Q(member=customer) | Q(payer=customer) | Q(member__in=watched))
        .exclude(status=SubscriptionStatus.INCOMPLETE)
        .select_related("package")
        .order_by(F("cancelled_at").desc(nulls_first=True), "-created_at", "-id")
    )


def past_due_members(customer_ids: list[int]) -> set[int]:
    """Which of these customers hold a membership whose last renewal was declined."""
    past_due = Subscription.objects.filter(member_id__in=customer_ids, status=SubscriptionStatus.PAST_DUE)
    return set(past_due.values_list("member_id", flat=True))
