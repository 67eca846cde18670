"""The demo organization's packages (what a party and activity center sells) and a few months of sales:
families paying for their children, cash, cheques and terminal payments, and some refunds; a few customers
with credit, some of it spent; on the local Stripe emulator, its Stripe account connected with test keys, so
the store takes cards, and children with monthly memberships on their guardians' cards, a few past due."""

import random
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.money import format_minor
from accounts.tenancy import current_organization
from billing.account import publishable_key
from billing.account_services import payment_account_connect, stripe_event_apply, stripe_event_receive
from billing.card_services import card_save, card_setup_start
from billing.credit_services import credit_issue
from billing.emulator import card_set_up, events_about, period_ends
from billing.external_services import external_subscription_save
from billing.models import (
    Channel,
    Checkout,
    CreditEntry,
    CreditKind,
    ExternalStatus,
    ExternalSubscription,
    ForWhom,
    Interval,
    Method,
    Package,
    PackageKind,
    Payment,
    PaymentEvent,
    Punch,
    PunchCard,
    Purchase,
    Refund,
    SavedCard,
    SpotHold,
    StripeCustomer,
    Subscription,
    SubscriptionInvoice,
    Visibility,
)
from billing.services import sale_record
from billing.subscription_services import subscription_card_change, subscription_pause
from customers.models import Activity, Customer
from families.models import GuardianLink, GuardianPermission

PACKAGES = [
    {
        "name": "Birthday party — Classic",
        "description": "Two hours of bouncing and a party room for up to 12 kids, with pizza and drinks.",
        "price": 29900,
        "capacity": 40,
        "for_whom": ForWhom.CHILD,
        "min_age": 3,
        "max_age": 12,
    },
    {
        "name": "Birthday party — Deluxe",
        "description": "Three hours, up to 20 kids, a party host, pizza, cake and a goody bag each.",
        "price": 44900,
        "tax_rate": Decimal("8.25"),
        "capacity": 20,
        "for_whom": ForWhom.CHILD,
        "min_age": 3,
        "max_age": 14,
    },
    {"name": "Open jump — single visit", "description": "Ninety minutes of open jump.", "price": 1800},
    {
        "name": "Open jump — 10-visit pass",
        "description": "Ten open-jump visits, shareable within a family.",
        "kind": PackageKind.CLASS_PASS,
        "visits": 10,
        "valid_days": 365,
        "price": 15000,
    },
    {
        "name": "Monthly jump membership",
        "description": "Unlimited open jump on weekdays.",
        "kind": PackageKind.MEMBERSHIP,
        "interval": Interval.MONTH,
        "price": 4900,
        "for_whom": ForWhom.CHILD,
        "min_age": 4,
    },
    {
        "name": "Corporate event",
        "description": "The whole center for your team, quoted by our events staff.",
        "price": 150000,
        "visibility": Visibility.STAFF,
        "for_whom": ForWhom.ADULT,
    },
    {
        "name": "Summer camp week",
        "description": "A week of day camp: games, crafts and jumping, 9 to 3.",
        "price": 32500,
        "capacity": 60,
        "visibility": Visibility.INVITE,
        "for_whom": ForWhom.CHILD,
        "min_age": 6,
        "max_age": 12,
        "sale_ends_at_days": 60,
    },
]


DEMO_MEMBERS = 12
DEMO_PAST_DUE = 3
DECLINES = "4000000000000341"  # a test card Stripe saves, then declines when charged


def demo_packages() -> list[Package]:
    currency = current_organization().currency
    packages = []
    for spec in PACKAGES:
        spec = dict(spec)
        days = spec.pop("sale_ends_at_days", None)
        if days:
            spec["sale_ends_at"] = timezone.now() + timedelta(days=days)
        packages.append(Package(currency=currency, **spec))
    return Package.objects.bulk_create(packages)


REFUND_REASONS = [
    "Party moved to another center",
    "Child was ill",
    "Charged twice at the desk",
    "Weather closure",
]


def demo_purchases(customers: list[Customer], staff: list, *, seed: int, count: int = 400) -> None:
    """`count` sales over the last six months: a guardian pays for a child they may buy for, others for
    themselves; one in twelve partly or fully refunded. Written in bulk, as if they had happened."""
    rng = random.Random(seed)
    packages = list(Package.objects.filter(capacity=None).exclude(kind=PackageKind.MEMBERSHIP))
    payers_of = {}
    for link in GuardianLink.objects.filter(permissions__contains=[GuardianPermission.PURCHASE]):
        payers_of.setdefault(link.dependant_id, link.guardian_id)
    by_pk = {customer.pk: customer for customer in customers}
    now = timezone.now()
    sales = []
    for _ in range(count):
        buyer = rng.choice(customers)
        child = buyer.age is not None and buyer.age < 18
        package = rng.choice(
            [
                item
                for item in packages
                if item.for_whom == ForWhom.ANYONE or (item.for_whom == ForWhom.CHILD) == child
            ]
        )
        payer = by_pk.get(payers_of.get(buyer.pk), buyer)
        when = now - timedelta(days=rng.uniform(0, 180))
        sales.append((package, buyer, payer, when))
    purchases = Purchase.objects.bulk_create(
        Purchase(
            package=package,
            customer=buyer,
            customer_label=buyer.full_name,
            payer=payer,
            payer_label=payer.full_name,
            price=package.price,
            tax=package.tax_amount,
            currency=package.currency,
            channel=Channel.STAFF,
            sold_by=rng.choice(staff),
        )
        for package, buyer, payer, when in sales
    )
    payments = Payment.objects.bulk_create(
        Payment(
            purchase=purchase,
            amount=purchase.total,
            currency=purchase.currency,
            method=rng.choice([Method.CASH, Method.CASH, Method.TERMINAL, Method.CHEQUE]),
            taken_by=purchase.sold_by,
        )
        for purchase in purchases
    )
    refunds = []
    for payment in payments:
        if rng.random() < 1 / 12:
            payment.refunded = payment.amount if rng.random() < 0.5 else payment.amount // 2
            refunds.append(
                Refund(payment=payment, amount=payment.refunded, reason=rng.choice(REFUND_REASONS))
            )
    Refund.objects.bulk_create(refunds)
    Payment.objects.bulk_update([refund.payment for refund in refunds], ["refunded"])
    for purchase, payment, (*_, when) in zip(purchases, payments, sales, strict=True):
        purchase.created_at = payment.created_at = when
    Purchase.objects.bulk_update(purchases, ["created_at"], batch_size=1000)
    Payment.objects.bulk_update(payments, ["created_at"], batch_size=1000)
    _demo_activity(purchases, payments)
    _demo_punch_cards(purchases, rng)


def _demo_punch_cards(purchases: list[Purchase], rng: random.Random) -> None:
    """The class passes' cards, most partly used since they were bought, a few used up."""
    cards, uses = [], []
    for purchase in purchases:
        package = purchase.package
        if package.kind != PackageKind.CLASS_PASS:
            continue
        used = rng.randint(0, package.visits)
        card = PunchCard(
            purchase=purchase,
            holder=purchase.customer,
            visits=package.visits,
            used=used,
            valid_until=purchase.created_at.date() + timedelta(days=package.valid_days or 365),
        )
        cards.append(card)
        days = (timezone.now() - purchase.created_at).days
        uses += [(card, purchase.created_at + timedelta(days=rng.uniform(0, days))) for _ in range(used)]
    PunchCard.objects.bulk_create(cards)
    Punch.objects.bulk_create(Punch(card=card, at=at, by=card.purchase.sold_by) for card, at in uses)


def _demo_activity(purchases: list[Purchase], payments: list[Payment]) -> None:
    """Each sale in the Activity Logs of its customer and payer, on its day, as the sale itself writes it."""
    events, dates, latest = [], [], {}
    for purchase, payment in zip(purchases, payments, strict=True):
        paid = f"{format_minor(payment.amount, payment.currency)} {payment.method_display.lower()}"
        for pk, label in {
            purchase.customer_id: purchase.customer_label,
            purchase.payer_id: purchase.payer_label,
        }.items():
            events.append(
                Activity(
                    customer_id=pk,
                    customer_label=label,
                    kind=PaymentEvent.PURCHASE,
                    actor=purchase.sold_by,
                    detail=f"“{purchase.package.name}” · {paid}",
                )
            )
            dates.append(purchase.created_at)
            latest[pk] = max(latest.get(pk, purchase.created_at), purchase.created_at)
    events = Activity.objects.bulk_create(events, batch_size=1000)
    for event, when in zip(events, dates, strict=True):
        event.created_at = when
    Activity.objects.bulk_update(events, ["created_at"], batch_size=1000)
    customers = Customer.objects.filter(pk__in=list(latest)).only("id")
    for customer in customers:
        customer.last_activity_at = latest[customer.pk]
    Customer.objects.bulk_update(customers, ["last_activity_at"], batch_size=1000)


CREDIT = [
    (CreditKind.GIFT, 2500, "Birthday gift from the center", 90),
    (CreditKind.GOODWILL, 1800, "Trampoline park closed early", None),
    (CreditKind.GOODWILL, 1000, "Waited too long at the desk", 30),
    (CreditKind.GIFT, 5000, "Raffle prize", None),
]


def demo_credit(customers: list[Customer], *, by) -> None:
    """A few adults with credit (a gift, goodwill), through the services so the ledger is as staff make it;
    two of them spent some on an open-jump visit at the desk."""
    adults = [person for person in customers if person.age is None or person.age >= 18][: len(CREDIT)]
    drop_in = Package.objects.get(name="Open jump — single visit")
    for number, (person, (kind, amount, reason, days)) in enumerate(zip(adults, CREDIT, strict=False)):
        expires_on = timezone.localdate() + timedelta(days=days) if days else None
        credit_issue(customer=person, amount=amount, kind=kind, reason=reason, expires_on=expires_on, by=by)
        if number in (0, 3):
            sale_record(package=drop_in, customer=person, payer=person, method=Method.CREDIT, by=by)


EXTERNAL = [  # provider, what, amount, interval, months ago it started, status
    (
        "Lincoln Elementary",
        "After-school gymnastics (school contract)",
        3500,
        Interval.MONTH,
        4,
        ExternalStatus.ACTIVE,
    ),
    ("ClassPass", "Open jump credits", 2900, Interval.MONTH, 9, ExternalStatus.ACTIVE),
    (
        "Mindbody",
        "Yearly family pass (before we moved to Roster)",
        39900,
        Interval.YEAR,
        14,
        ExternalStatus.ENDED,
    ),
    ("Oakwood Swim Club", "Swim team, billed by the club", 1500, Interval.WEEK, 2, ExternalStatus.PAUSED),
]


def demo_external_subscriptions(customers: list[Customer], *, by) -> None:
    """A few memberships managed elsewhere, recorded by staff: a school contract, another app's pass, one
    from the business's former software that has ended."""
    today = timezone.localdate()
    for person, (provider, name, amount, interval, months, status) in zip(
        customers[5::40], EXTERNAL, strict=False
    ):
        starts_on = today - timedelta(days=30 * months)
        external_subscription_save(
            subscription=ExternalSubscription(
                customer=person,
                provider=provider,
                name=name,
                amount=amount,
                interval=interval,
                starts_on=starts_on,
                ends_on=today - timedelta(days=30) if status == ExternalStatus.ENDED else None,
                status=status,
            ),
            by=by,
        )


def demo_payment_account(*, seed: int, by) -> None:
    """Connect the organization to the local Stripe emulator (`make run`) as an owner would, with test keys of
    its own; against real Stripe (STRIPE_API_BASE empty) an owner pastes real ones in Settings → Payments."""
    if settings.STRIPE_API_BASE:
        payment_account_connect(
            secret_key=f"rk_test_demo{seed}0000000000000000000000",
            publishable_key=f"pk_test_demo{seed}0000000000000000000000",
            webhook_secret=f"whsec_demo{seed}000000000000000000000",
            by=by,
        )


def demo_memberships(*, by) -> None:
    """On the emulator, a dozen children hold the monthly membership, paid by a guardian's saved card and
    started at the desk: three of them past due (their guardian's card declined at renewal, the webhook's
    events applied), one paused."""
    if not settings.STRIPE_API_BASE:
        return
    package = Package.objects.get(name="Monthly jump membership")
    wanted = [GuardianPermission.PURCHASE, GuardianPermission.PAY]
    links = GuardianLink.objects.filter(permissions__contains=wanted).select_related("guardian", "dependant")
    children = {
        link.dependant_id: link for link in links.order_by("-pk") if 4 <= (link.dependant.age or 0) <= 17
    }
    chosen = sorted(children.values(), key=lambda link: link.pk)[:DEMO_MEMBERS]  # one guardian pays for each
    key = publishable_key()
    for number, link in enumerate(chosen):
        past_due = number < DEMO_PAST_DUE
        cards = [card_save(customer=link.guardian, setup_intent=_set_up(link.guardian, key), by=None)]
        if past_due:
            cards.append(
                card_save(customer=link.guardian, setup_intent=_set_up(link.guardian, key, DECLINES), by=None)
            )
        purchase = sale_record(
            package=package,
            customer=link.dependant,
            payer=link.guardian,
            method=Method.CARD,
            card=cards[0],
            attempt=uuid.uuid4(),
            by=by,
        )
        subscription = Subscription.objects.get(invoices__payment__purchase=purchase)
        if past_due:
            subscription_card_change(subscription=subscription, card=cards[1], by=by)
            seen: set[str] = set()
            events_about({subscription.stripe_subscription}, seen)
            period_ends(subscription.stripe_subscription)
            for event in events_about({subscription.stripe_subscription}, seen):
                stripe_event_apply(event=stripe_event_receive(event=event)[0])
        elif number == DEMO_PAST_DUE:
            subscription_pause(subscription=subscription, until=None, by=by)


def _set_up(guardian: Customer, key: str, number: str = "4242424242424242") -> str:
    return card_set_up(card_setup_start(customer=guardian).client_secret, number, key)


def demo_erase() -> None:
    """Delete the current organization's billing rows before the demo's reset deletes the organization: sales
    are protected from deletion (PROTECT keys, an append-only credit ledger), so they go here, in order, and
    the ledger is told its whole organization is being erased (migration 0010)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('roster.erasing_organization', %s, true)", [str(current_organization().pk)]
        )
    for model in (
        CreditEntry,
        PunchCard,
        SubscriptionInvoice,
        Subscription,
        Refund,
        Payment,
        Checkout,
        SpotHold,
        Purchase,
        SavedCard,
        StripeCustomer,
        Package,
    ):
        model.objects.all().delete()
