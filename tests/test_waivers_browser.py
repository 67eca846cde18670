"""The front desk's kiosk in a real browser: staff find a child, hand over the tablet, the parent draws a
signature with the mouse, and the signed copy shows on the child's Waivers tab."""

from datetime import date

import pytest
from playwright.sync_api import expect

from accounts.tenancy import tenant
from families.services import link_add
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console
from tests.waiver_helpers import draw_signature
from waivers import services
from waivers.models import WaiverSignature


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_hand_over_the_kiosk_and_a_parent_draws_a_signature(
    browser_page, live_server, org_a, alice, screenshot
):
    with tenant(org_a):
        services.waiver_template_create(
            name="Play area waiver",
            text="Jumping is fun and has risks.\n\nSocks on the play floor; follow the staff.",
            validity_months=12,
            guardian_signs_for_minors=True,
            by=alice,
        )
        pat = customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice)
        kim = customer(first_name="Kim", last_name="Parent", birthday=date(2019, 3, 4), by=alice)
        link_add(guardian=pat, dependant=kim, relationship="parent", by=alice)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/waivers/sign/")
    page.get_by_label("Customer").fill("kim parent")
    page.get_by_role("button", name="Find").click()
    screenshot(page, "waivers-1-kiosk-pick")
    page.get_by_role("link", name="Sign “Play area waiver” for Kim Parent").click()

    expect(page.get_by_role("heading", name="Waiver for Kim Parent")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)  # kiosk mode: no menu
    expect(page.locator(".waiver-signer")).to_contain_text("Pat Parent")  # Kim is a child: her parent signs
    page.get_by_label("Type your full name").fill("Pat Parent")
    page.get_by_role("button", name="Sign the waiver").click()
    expect(page.get_by_text("Draw your signature in the box.")).to_be_visible()  # nothing drawn yet
    draw_signature(page)
    page.get_by_label("I have read this waiver and agree to it.").check()
    screenshot(page, "waivers-2-kiosk-drawn")
    page.get_by_role("button", name="Sign the waiver").click()
    expect(page.get_by_role("status")).to_contain_text("is signed for Kim Parent")
    expect(page.get_by_role("link", name="Done — next person")).to_be_visible()
    screenshot(page, "waivers-3-kiosk-done")
    with tenant(org_a):
        signature = WaiverSignature.objects.get()
        assert (signature.customer_id, signature.signer_id, signature.channel) == (kim.pk, pat.pk, "desk")
        assert bytes(signature.signature_png).startswith(b"\x89PNG")

    page.get_by_role("link", name="Done — next person").click()
    expect(page.get_by_label("Customer")).to_be_visible()
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{kim.pk}/waivers/")
    signed = page.locator(".waiver-signed-table")
    expect(signed).to_contain_text("Play area waiver")
    expect(signed).to_contain_text("Pat Parent")
    expect(page.locator(".waiver-status-table")).to_contain_text("Valid")
    screenshot(page, "waivers-4-profile-tab")
    with page.expect_download() as download:
        signed.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert errors == []
