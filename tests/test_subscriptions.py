"""Memberships as Stripe subscriptions, against the emulator with the real SDK: sold at the desk and in the
store with a saved card (a guardian's, for a child), each period's invoice a purchase, renewals and declines
arriving by webhook in any order, pause, resume, cancel and card changes by staff, the past-due alert, mark,
filter and email, the portal's view and its way on to Stripe's customer portal; the other organization sees
none of it."""

import urllib.parse
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.tenancy import tenant
from billing import card_services, services, subscription_services
from billing.account import stripe_client_for_org
from billing.charging import SaleError
from billing.emulator import events_about, period_ends
from billing.models import (
    Channel,
    InvoiceStatus,
    Method,
    Payment,
    Purchase,
    SavedCard,
    StripeCustomer,
    Subscription,
    SubscriptionEvent,
    SubscriptionStatus,
)
from customers.models import Activity
from families.models import GuardianLink, GuardianPermission
from tests.conftest import logged_in, make_member
from tests.inbox import comparable, email_text
from tests.store_helpers import open_shop, webhook_arrives
from tests.subscription_helpers import DECLINED_ON_CHARGE, club, saved_card, stripe_delivers


@pytest.fixture
def shop(org_a, org_b, alice, bob):
    world = open_shop(org_a, org_b, alice, bob)
    with tenant(org_a):
        world["club"] = club(alice)
        world["card"] = saved_card(world["pat"])
    return world


def sell(shop, alice, card=None, package="club", **more) -> Subscription:
    purchase = services.sale_record(
        package=shop[package],
        customer=shop["kim"],
        payer=shop["pat"],
        method=Method.CARD,
        card=card or shop["card"],
        attempt=more.pop("attempt", None) or uuid.uuid4(),
        by=alice,
        **more,
    )
    return Subscription.objects.get(invoices__payment__purchase=purchase)


def test_staff_sell_a_monthly_membership_charged_to_the_guardians_saved_card(
    org_a, shop, alice, alice_client
):
    with tenant(org_a):
        attempt = uuid.uuid4()
        subscription = sell(shop, alice, attempt=attempt)
        assert sell(shop, alice, attempt=attempt) == subscription  # a double click starts one
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.stripe_subscription.startswith("sub_")
        assert (subscription.member, subscription.payer) == (shop["kim"], shop["pat"])
        assert subscription.payment_method == shop["card"].stripe_payment_method
        assert subscription.current_period_end > subscription.created_at
        [invoice] = subscription.invoices.all()
        # The first period with its tax, and the sign-up fee with its tax: (4000 + 400) + (1500 + 150).
        assert (invoice.status, invoice.amount) == (InvoiceStatus.PAID, 6050)
        purchase = invoice.payment.purchase
        assert (purchase.price, purchase.tax, purchase.channel) == (5500, 550, Channel.STAFF)
        assert invoice.payment.stripe_payment_intent.startswith("pi_")
        assert invoice.payment.method_display == "Visa •••• 4242"
    box = alice_client.get(f"/app/{org_a.slug}/customers/{shop['kim'].pk}/").text
    assert "Little climbers club" in box and "$44.00 every month" in box and "paid by Pat Parent" in box
    assert "Next charge" in box
    page = alice_client.get(
        f"/app/{org_a.slug}/customers/{shop['kim'].pk}/memberships/{subscription.pk}/"
    ).text
    assert "$60.50" in page and "Visa •••• 4242" in page and "Paid" in page


def test_a_membership_renews_by_card_only_and_a_declined_first_charge_keeps_nothing(org_a, shop, alice):
    with tenant(org_a):
        with pytest.raises(SaleError, match="renews by card"):
            services.sale_record(
                package=shop["club"], customer=shop["kim"], payer=shop["pat"], method=Method.CASH, by=alice
            )
        failing = saved_card(shop["pat"], DECLINED_ON_CHARGE)
        with pytest.raises(SaleError, match="declined"):
            sell(shop, alice, card=failing)
        assert not Subscription.objects.exists() and not Purchase.objects.exists()


def test_renewals_arrive_by_webhook_once_in_any_order(org_a, shop, alice, alice_client):
    seen: set[str] = set()
    with tenant(org_a):
        subscription = sell(shop, alice)
        first_end = subscription.current_period_end
        stripe_delivers(subscription.stripe_subscription, seen=seen)  # the start's own events: nothing new
        period_ends(subscription.stripe_subscription)
        delivered = stripe_delivers(subscription.stripe_subscription, seen=seen, reverse=True)
        assert "invoice.paid" in delivered and "customer.subscription.updated" in delivered
        for _ in range(2):  # delivered again, as Stripe retries
            stripe_delivers(subscription.stripe_subscription, seen=set())
        subscription.refresh_from_db()
        assert (
            subscription.status == SubscriptionStatus.ACTIVE and subscription.current_period_end > first_end
        )
        renewals = Purchase.objects.filter(channel=Channel.RENEWAL)
        assert renewals.count() == 1
        assert (renewals.get().price, renewals.get().tax, renewals.get().customer) == (4000, 400, shop["kim"])
        assert subscription.invoices.filter(status=InvoiceStatus.PAID).count() == 2
        # Renewals do not use up a package's places.
        assert Payment.objects.filter(purchase__package=shop["club"]).count() == 2
    sales = alice_client.get(f"/app/{org_a.slug}/sales/").text
    assert "Little climbers club" in sales


def test_a_paid_renewal_moves_the_next_charge_on_before_stripe_says_the_subscription_changed(
    org_a, shop, alice, alice_client
):
    seen: set[str] = set()
    with tenant(org_a):
        subscription = sell(shop, alice)
        first_end = subscription.current_period_end
        events_about({subscription.stripe_subscription}, seen)  # the start's own
        # Events carry whole seconds: a sale a period before its renewal, not within the same second.
        earlier = F("synced_at") - timedelta(seconds=1)
        Subscription.objects.filter(pk=subscription.pk).update(synced_at=earlier)
        period_ends(subscription.stripe_subscription)
        renewal = events_about({subscription.stripe_subscription}, seen)
        for event in renewal:
            if event.type == "invoice.paid":  # Stripe's customer.subscription.updated is late
                webhook_arrives(event)
        subscription.refresh_from_db()
        paid = subscription.invoices.get(payment__purchase__channel=Channel.RENEWAL)
        assert first_end < paid.period_end == subscription.current_period_end
        box = alice_client.get(f"/app/{org_a.slug}/customers/{shop['kim'].pk}/").text
        assert f"Next charge {timezone.localtime(paid.period_end):%b %-d, %Y}" in box
        for event in renewal:  # then it comes, with the same period
            webhook_arrives(event)
        subscription.refresh_from_db()
        assert subscription.current_period_end == paid.period_end
        assert Purchase.objects.filter(channel=Channel.RENEWAL).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_declined_renewal_makes_the_member_past_due_until_a_renewal_pays(
    celery_worker, smtp_server, org_a, shop, alice, alice_client
):
    seen: set[str] = set()
    with tenant(org_a):
        failing = saved_card(shop["pat"], DECLINED_ON_CHARGE)
        subscription = sell(shop, alice)
        subscription_services.subscription_card_change(subscription=subscription, card=failing, by=alice)
        period_ends(subscription.stripe_subscription)
        stripe_delivers(subscription.stripe_subscription, seen=seen)
        stripe_delivers(subscription.stripe_subscription, seen=set())  # again: one email, one activity
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.PAST_DUE
        declined = subscription.invoices.get(status=InvoiceStatus.OPEN)
        assert declined.payment is None and declined.failure_noticed_at is not None
        assert (
            Activity.objects.filter(kind=SubscriptionEvent.PAYMENT_FAILED, customer=shop["kim"]).count() == 1
        )
    mail = email_text(
        smtp_server.wait_for("pat@alpha.example", subject="Little climbers club did not go through")
    )
    assert "$44.00 for Little climbers club for Kim Parent" in mail and "/account/payments/" in mail
    profile = alice_client.get(f"/app/{org_a.slug}/customers/{shop['kim'].pk}/").text
    assert "Past due" in profile and "the last renewal was declined" in profile
    roster = alice_client.get(f"/app/{org_a.slug}/customers/?membership=past_due").text
    assert "Kim" in roster and "past-due-mark" in roster
    assert "Kim" not in comparable(alice_client.get(f"/app/{org_a.slug}/customers/?membership=active").text)
    with tenant(org_a):  # the card is fixed; the next renewal pays
        subscription_services.subscription_card_change(subscription=subscription, card=shop["card"], by=alice)
        period_ends(subscription.stripe_subscription)
        stripe_delivers(subscription.stripe_subscription, seen=seen)
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE
    assert "past-due-mark" not in alice_client.get(f"/app/{org_a.slug}/customers/").text


def test_staff_pause_resume_and_cancel_and_stripe_bills_accordingly(org_a, shop, alice, alice_client):
    seen: set[str] = set()
    with tenant(org_a):
        subscription = sell(shop, alice)
    page = f"/app/{org_a.slug}/customers/{shop['kim'].pk}/memberships/{subscription.pk}/"
    assert alice_client.post(page + "pause/", {"until": "2020-01-01"}).status_code == 422  # in the past
    assert alice_client.post(page + "pause/", {"until": ""}).status_code == 302
    with tenant(org_a):
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.PAUSED
        period_ends(subscription.stripe_subscription)
        stripe_delivers(subscription.stripe_subscription, seen=seen)
        assert subscription.invoices.filter(status=InvoiceStatus.VOID).count() == 1
        assert not Purchase.objects.filter(channel=Channel.RENEWAL).exists()
    assert "Not charged (paused)" in alice_client.get(page).text
    assert alice_client.post(page + "resume/").status_code == 302
    with tenant(org_a):
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE
        period_ends(subscription.stripe_subscription)
        stripe_delivers(subscription.stripe_subscription, seen=seen)
        assert Purchase.objects.filter(channel=Channel.RENEWAL).count() == 1
    assert alice_client.post(page + "cancel/", {"when": "period_end"}).status_code == 302
    with tenant(org_a):
        subscription.refresh_from_db()
        assert subscription.cancel_at == subscription.current_period_end
        assert subscription.status == SubscriptionStatus.ACTIVE
        period_ends(subscription.stripe_subscription)
        stripe_delivers(subscription.stripe_subscription, seen=seen)
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.CANCELLED
        assert Purchase.objects.filter(channel=Channel.RENEWAL).count() == 1
        kinds = set(Activity.objects.filter(customer=shop["kim"]).values_list("kind", flat=True))
        assert {SubscriptionEvent.PAUSED, SubscriptionEvent.RESUMED, SubscriptionEvent.CANCELLING} <= kinds
        assert SubscriptionEvent.CANCELLED in kinds
    assert "Cancel membership" not in alice_client.get(page).text


def test_a_minimum_term_holds_a_cancellation_until_it_ends_and_staff_may_end_it_now(org_a, shop, alice):
    with tenant(org_a):
        shop["term"] = club(alice, name="Season club", minimum_periods=3, signup_fee=0)
        subscription = sell(shop, alice, package="term")
        subscription = subscription_services.subscription_cancel(
            subscription=subscription, now=False, by=alice
        )
        assert subscription.cancel_at == subscription.commitment_ends_at
        assert subscription.cancel_at > subscription.current_period_end
        subscription = subscription_services.subscription_cancel(
            subscription=subscription, now=True, by=alice
        )
        assert subscription.status == SubscriptionStatus.CANCELLED
        with pytest.raises(SaleError, match="ended"):
            subscription_services.subscription_resume(subscription=subscription, by=alice)


def test_the_store_sells_a_membership_with_a_saved_card(org_a, shop):
    pat = logged_in(shop["pat"].user)
    with tenant(org_a):
        checkout = card_services.store_checkout_start(
            package=shop["club"], customer=shop["kim"], payer=shop["pat"]
        )
        assert checkout.amount == 6050 and not checkout.payment_intent
    page = pat.get(f"/{org_a.slug}/store/checkout/{checkout.pk}/pay/").text
    assert "then $44.00 every month until cancelled" in page and "saved to pay each renewal" in page
    answer = pat.post(
        f"/{org_a.slug}/store/checkout/{checkout.pk}/pay/",
        {"card": shop["card"].pk, "attempt": str(uuid.uuid4())},
    )
    assert answer.status_code == 302
    with tenant(org_a):
        subscription = Subscription.objects.get()
        assert subscription.channel == Channel.STORE and subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.invoices.get().payment.purchase.channel == Channel.STORE
    portal = pat.get(f"/{org_a.slug}/account/payments/").text
    assert "Your memberships" in portal and "Little climbers club" in portal and "for Kim Parent" in portal
    onward = pat.post(f"/{org_a.slug}/account/payments/stripe/")
    assert onward.status_code == 302 and "bps_" in onward["Location"]


def _portal_form(address: str, fields: dict) -> str:
    """Post a form of Stripe's customer portal page (the emulator's stand-in), as the payer's browser does."""
    body = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(address, data=body), timeout=10) as page:  # noqa: S310
        return page.read().decode()


def test_the_payer_adds_a_card_and_cancels_in_stripes_portal_and_roster_follows(org_a, shop, alice):
    seen: set[str] = set()
    with tenant(org_a):
        subscription = sell(shop, alice)
        stripe_customer = StripeCustomer.objects.get(customer=shop["pat"]).stripe_customer
        stripe_delivers(subscription.stripe_subscription, stripe_customer, seen=seen)
    pat = logged_in(shop["pat"].user)
    address = pat.post(f"/{org_a.slug}/account/payments/stripe/")["Location"]
    with urllib.request.urlopen(address, timeout=10) as page:  # noqa: S310 - the emulator
        text = page.read().decode()
    assert "Visa •••• 4242" in text and "Little climbers club" in text and "testserver" in text
    card = {
        "action": "add",
        "number": "5555555555554444",
        "exp_month": "12",
        "exp_year": "2031",
        "cvc": "123",
    }
    _portal_form(address, card)
    with tenant(org_a):
        delivered = stripe_delivers(subscription.stripe_subscription, stripe_customer, seen=seen)
        assert "payment_method.attached" in delivered and "customer.subscription.updated" in delivered
        added = SavedCard.objects.get(customer=shop["pat"], last4="4444")
        subscription.refresh_from_db()
        assert subscription.payment_method == added.stripe_payment_method
        assert Activity.objects.filter(kind=SubscriptionEvent.CARD_CHANGED, customer=shop["kim"]).exists()
    _portal_form(address, {"action": "cancel", "subscription": subscription.stripe_subscription})
    with tenant(org_a):
        stripe_delivers(subscription.stripe_subscription, stripe_customer, seen=seen, reverse=True)
        subscription.refresh_from_db()
        assert subscription.cancel_at == subscription.current_period_end
        assert subscription.status == SubscriptionStatus.ACTIVE  # until its period ends
        assert Activity.objects.filter(kind=SubscriptionEvent.CANCELLING, customer=shop["pat"]).exists()


def test_the_other_organization_and_other_customers_see_no_membership(
    org_a, org_b, shop, alice, bob_client, alice_client
):
    with tenant(org_a):
        subscription = sell(shop, alice)
    elsewhere = f"/app/{org_b.slug}/customers/{shop['kim'].pk}/memberships/{subscription.pk}/"
    assert bob_client.get(elsewhere).status_code == 404
    gran = f"/app/{org_a.slug}/customers/{shop['gran'].pk}/memberships/{subscription.pk}/"
    assert alice_client.get(gran).status_code == 404
    page = f"/app/{org_a.slug}/customers/{shop['kim'].pk}/memberships/{subscription.pk}/"
    assert alice_client.get(page).status_code == 200


def test_staff_without_refunds_may_not_cancel_a_membership(org_a, shop, alice):
    with tenant(org_a):
        subscription = sell(shop, alice)
    viewer = logged_in(make_member(org_a, "staff", "desk@alpha.example"))
    page = f"/app/{org_a.slug}/customers/{shop['kim'].pk}/memberships/{subscription.pk}/"
    assert viewer.post(page + "cancel/", {"when": "now"}).status_code == 403
    with tenant(org_a):
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE


def test_a_sale_lost_after_stripe_started_its_membership_is_recorded_once_from_its_webhook(
    org_a, shop, alice
):
    with tenant(org_a):
        with pytest.raises(RuntimeError), transaction.atomic():
            sell(shop, alice)  # Stripe starts it and charges the card ...
            raise RuntimeError("the process dies before Roster commits")
        assert not Subscription.objects.exists() and not Purchase.objects.exists()
        listed = stripe_client_for_org().v1.subscriptions.list(params={"limit": 100}).to_dict()["data"]
        [lost] = [
            each["id"] for each in listed if each["metadata"].get("roster_member") == str(shop["kim"].pk)
        ]
        for _ in range(2):  # Stripe's events, delivered twice, newest first
            stripe_delivers(lost, seen=set(), reverse=True)
        subscription = Subscription.objects.get()
        assert (subscription.stripe_subscription, subscription.status) == (lost, SubscriptionStatus.ACTIVE)
        purchase = Purchase.objects.get()
        assert (purchase.customer, purchase.payer, purchase.channel) == (
            shop["kim"],
            shop["pat"],
            Channel.STAFF,
        )
        assert purchase.sold_by == alice and purchase.total == 6050


def test_a_guardian_without_pay_cannot_start_a_membership_for_the_child(org_a, shop):
    with tenant(org_a):
        GuardianLink.objects.filter(guardian=shop["gran"]).update(permissions=[GuardianPermission.PURCHASE])
        with pytest.raises(SaleError, match="Your cards cannot pay for Kim's renewals"):
            card_services.store_checkout_start(package=shop["club"], customer=shop["kim"], payer=shop["gran"])
        card_services.store_checkout_start(package=shop["party"], customer=shop["kim"], payer=shop["gran"])
