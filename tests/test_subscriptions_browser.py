"""In Chromium, against the Stripe emulator with its webhooks delivered to the live server and applied by the
worker: a guardian buys a monthly membership for their child in the store with a card they type (kept for the
renewals); staff pause and resume it and switch it to the guardian's other card; that card is declined at
renewal, so the membership is past due (a red alert on the profile, a mark on the roster, an email); the
guardian makes their good card the default in Stripe's customer portal (the emulator's stand-in) and the next
renewal pays."""

import re
import time

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from billing.emulator import period_ends
from billing.models import Subscription, SubscriptionStatus
from tests.inbox import email_text
from tests.store_helpers import ALPHA_KEYS, open_shop
from tests.subscription_helpers import DECLINED_ON_CHARGE, club, saved_card, webhooks_delivered_to
from tests.test_browser_journey import log_in, watch_console
from tests.test_store_browser import type_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def eventually(check, timeout: float = 20) -> None:
    """Webhooks arrive a second after the change, then the worker applies them."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "Stripe's webhook was not applied in time"
        time.sleep(0.25)


def test_a_guardian_buys_a_membership_for_their_child_it_lapses_and_they_fix_the_card_in_stripe(
    browser, browser_page, live_server, celery_worker, smtp_server, org_a, org_b, alice, bob, screenshot
):
    shop = open_shop(org_a, org_b, alice, bob)
    with tenant(org_a):
        club(alice, name="Monthly jump club", description="Unlimited weekday jumping.")
        declining = saved_card(shop["pat"], DECLINED_ON_CHARGE)
    hook = f"{live_server.url}/stripe/webhooks/{org_a.slug}/"
    with webhooks_delivered_to(hook, ALPHA_KEYS["webhook_secret"]):
        parent = browser.new_context().new_page()
        parent_errors = watch_console(parent)
        log_in(parent, live_server.url, "pat@alpha.example")
        parent.goto(f"{live_server.url}/{org_a.slug}/store/")
        parent.get_by_role("link", name="Monthly jump club").first.click()
        parent.get_by_role("link", name=re.compile("^Buy")).click()
        parent.get_by_label("Kim Parent").check()
        parent.get_by_role("button", name=re.compile("Continue|Pay|Buy")).click()
        expect(parent.locator("main")).to_contain_text("then $44.00 every month until cancelled")
        parent.get_by_label("A new card").check()
        type_card(parent)
        screenshot(parent, "130-membership-pay")
        parent.get_by_role("button", name="Pay $60.50").click()
        expect(parent.get_by_role("heading", level=1)).to_contain_text("Thank you")
        with tenant(org_a):
            subscription = Subscription.objects.get()
            assert subscription.member == shop["kim"] and subscription.payer == shop["pat"]

        staff = browser_page
        errors = watch_console(staff)
        log_in(staff, live_server.url, "alice@alpha.example")
        staff.goto(f"{live_server.url}/app/{org_a.slug}/customers/{shop['kim'].pk}/")
        box = staff.locator(".subscriptions-box")
        expect(box).to_contain_text("Monthly jump club")
        expect(box).to_contain_text("Active")
        expect(box).to_contain_text("$44.00 every month · paid by Pat Parent")
        box.get_by_role("link", name="Monthly jump club").click()
        expect(staff.locator(".subscription-invoices")).to_contain_text("$60.50")
        staff.get_by_role("button", name="Pause membership").click()
        expect(staff.get_by_text("Paused until resumed.")).to_be_visible()
        expect(staff.locator(".subscription-status")).to_have_text("Paused")
        staff.get_by_role("button", name="Resume membership").click()
        expect(staff.locator(".subscription-status")).to_have_text("Active")
        staff.get_by_label(re.compile("0341")).check()  # Pat asked to pay with their other card
        staff.get_by_role("button", name="Charge this card").click()
        expect(staff.locator("[data-figure=card]")).to_contain_text("0341")
        screenshot(staff, "131-membership-staff")

        period_ends(subscription.stripe_subscription)  # a month later: the card is declined
        with tenant(org_a):
            eventually(lambda: Subscription.objects.get().status == SubscriptionStatus.PAST_DUE)
        staff.goto(f"{live_server.url}/app/{org_a.slug}/customers/{shop['kim'].pk}/")
        expect(staff.locator(".past-due-alert")).to_contain_text("the last renewal was declined")
        expect(staff.locator(".subscriptions-box .subscription-status")).to_have_text("Past due")
        screenshot(staff, "132-membership-past-due")
        staff.goto(f"{live_server.url}/app/{org_a.slug}/customers/?membership=past_due")
        expect(staff.locator("tbody tr")).to_have_count(1)
        expect(staff.locator("tbody tr .past-due-mark")).to_be_visible()
        screenshot(staff, "133-roster-past-due")
        notice = email_text(
            smtp_server.wait_for("pat@alpha.example", subject="Monthly jump club did not go through")
        )
        assert "$44.00 for Monthly jump club for Kim Parent" in notice

        parent.goto(f"{live_server.url}/{org_a.slug}/account/payments/")
        expect(parent.locator(".portal-subscriptions")).to_contain_text("Past due")
        parent.get_by_role("button", name="Manage payment methods and subscriptions").click()
        expect(parent.get_by_text("Monthly jump club")).to_be_visible()
        screenshot(parent, "134-stripe-portal")
        parent.get_by_role("button", name=re.compile(r"Make default: Visa •••• 4242")).click()
        with tenant(org_a):
            eventually(lambda: Subscription.objects.get().payment_method != declining.stripe_payment_method)
        parent.get_by_role("link", name=re.compile("^Return to")).click()
        expect(parent).to_have_url(re.compile(rf"/{org_a.slug}/account/payments/$"))

        period_ends(subscription.stripe_subscription)  # the next renewal pays
        with tenant(org_a):  # the subscription's update and the paid invoice are separate webhooks
            eventually(lambda: Subscription.objects.get().status == SubscriptionStatus.ACTIVE)
            eventually(lambda: Subscription.objects.get().invoices.filter(status="paid").count() == 2)
        staff.goto(f"{live_server.url}/app/{org_a.slug}/customers/{shop['kim'].pk}/")
        expect(staff.locator(".past-due-alert")).to_have_count(0)
        expect(staff.locator(".subscriptions-box .subscription-status")).to_have_text("Active")
        assert errors == [] and parent_errors == []
