"""In Chromium: staff open a saved segment, select everyone and invite them to a package sold by invitation
only; one parent accepts from the email and pays by card in the store, another declines with a reason; the
Invites page shows both, and the conversion; staff invite one more from her profile."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from customers import services as customer_services
from customers.segments import segment_url
from invites.models import PackageInviteSettings
from tests.conftest import PASSWORD
from tests.inbox import emailed_path
from tests.store_helpers import open_shop
from tests.test_browser_journey import log_in, watch_console
from tests.test_store_browser import type_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_invite_a_segment_one_accepts_and_pays_one_declines(
    browser, browser_page, live_server, celery_worker, smtp_server, org_a, org_b, alice, bob, screenshot
):
    shop = open_shop(org_a, org_b, alice, bob)
    with tenant(org_a):
        PackageInviteSettings.objects.create(subject="Browser invitation: {{ package }}")
        segment, _ = customer_services.segment_save(
            owner=alice, name="Parents", query="q=Parent", shared=True
        )
        parents = segment_url(segment)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(live_server.url + parents)
    page.get_by_label(re.compile(r"Select all \d+ matching")).check()
    page.get_by_label("Package to invite them to").select_option(label="Secret invite")
    page.get_by_role("button", name="Invite to buy").click()
    expect(page.get_by_text("2 invitations to “Secret invite” on the way.")).to_be_visible()
    expect(page.get_by_text("Not invited: 1 have no email address.")).to_be_visible()  # Kim, a child
    screenshot(page, "120-package-invites-sent")

    accepting = browser.new_context().new_page()
    accepting.goto(live_server.url + _link(smtp_server, "pat@alpha.example"))
    expect(accepting.get_by_role("heading", level=1)).to_have_text("Secret invite")
    accepting.get_by_role("link", name="Log in to accept").click()
    accepting.get_by_label("Email").fill("pat@alpha.example")
    accepting.get_by_label("Password").fill(PASSWORD)
    accepting.get_by_role("button", name="Log in").click()
    screenshot(accepting, "121-package-invite-open")
    accepting.get_by_role("button", name="Accept and pay").click()
    expect(accepting.get_by_role("heading", level=1)).to_contain_text("Pay for Secret invite")
    type_card(accepting)
    accepting.get_by_role("button", name="Pay $100.00").click()
    expect(accepting.get_by_role("heading", level=1)).to_contain_text("Thank you")

    declining = browser.new_context().new_page()
    declining.goto(live_server.url + _link(smtp_server, "gran@alpha.example"))
    declining.get_by_label("Would you tell us why?").fill("We are away that week")
    declining.get_by_role("button", name="Decline the invitation").click()
    expect(declining.get_by_role("status")).to_contain_text("You declined this invitation")

    page.goto(f"{live_server.url}/app/{org_a.slug}/invites/")
    page.get_by_role("link", name="Secret invite").click()
    expect(page.locator("[data-status=accepted] .invite-count")).to_have_text("1")
    expect(page.locator("[data-status=rejected] .invite-count")).to_have_text("1")
    expect(page.locator(".invite-conversion")).to_have_text("50 %")
    rows = page.locator(".invites-list tbody")
    expect(rows).to_contain_text("Accepted and paid")
    expect(rows).to_contain_text("Declined")
    expect(rows).to_contain_text("“We are away that week”")
    screenshot(page, "122-package-invites-report")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{shop['pat'].pk}/")
    expect(page.locator(".package-invites-box")).to_contain_text("Accepted")

    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{shop['gran'].pk}/")
    page.get_by_text("Invite to buy a package").click()  # the form comes when the box is opened
    page.get_by_label("Invitation").select_option(label="Party")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Gran is invited to “Party”.")).to_be_visible()
    assert errors == []


def _link(smtp_server, email: str) -> str:
    message = smtp_server.wait_for(email, subject="Browser invitation: Secret invite")
    return emailed_path(message, r"/[\w-]+/invite/[\w-]+/")
