"""Waitlists: a customer joins the line of a sold-out package from the store (for themselves or a child), a
freed spot becomes an offer that holds it for the next person, who accepts and pays through the store or
declines; an offer past its hold is refused with a clear page and goes to the next person; staff promote,
skip and reorder with a reason, each in the history and the Activity Log; another organization gets 404."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import tenant
from billing import card_services, services
from billing.models import Checkout, CheckoutStatus, SpotHold
from customers.models import Activity
from invites import waitlist_services
from invites.models import EntryStatus, Waitlist, WaitlistChange, WaitlistEntry, WaitlistEvent, WaitlistOffer
from invites.tasks import waitlists_sweep
from tests.conftest import logged_in
from tests.factories import customer
from tests.store_helpers import open_shop, pay_by_card, with_login


@pytest.fixture
def shop(org_a, org_b, alice, bob):
    shop = open_shop(org_a, org_b, alice, bob)
    with tenant(org_a):
        for name in ("Ann", "Ben", "Cy"):
            shop[name.lower()] = with_login(
                customer(first_name=name, last_name="Waiter", email=f"{name.lower()}@alpha.example", by=alice)
            )
    return shop


def _sold_out(shop, alice):
    """The party's two spots sold at the desk; returns the two purchases."""
    return [
        services.sale_record(
            package=shop["party"], customer=shop[who], payer=shop[who], method="cash", by=alice
        )
        for who in ("gran", "ann")
    ]


def _join(shop, *people):
    return [
        waitlist_services.waitlist_join(package=shop["party"], customer=shop[who], joined_by=shop[joiner])
        for who, joiner in people
    ]


def _refund(purchase, alice):
    payment = purchase.payments.get()
    services.payment_refund(payment=payment, amount=payment.refundable, reason="Ill", by=alice)


def _live_offers():
    return [offer for offer in WaitlistOffer.objects.select_related("hold") if offer.is_live]


def _token(offer) -> str:
    return waitlist_services.waitlist_offer_issue_token(offer=offer)


def test_a_sold_out_package_offers_to_join_its_waitlist_for_self_or_a_child(org_a, shop, alice):
    pat = logged_in(shop["pat"].user)
    assert "Join the waitlist" not in pat.get("/alpha/store/").content.decode()
    with tenant(org_a):
        _sold_out(shop, alice)
    page = pat.get("/alpha/store/").content.decode()
    assert "Sold out" in page and "/alpha/waitlist/join/" in page
    form = pat.get(f"/alpha/waitlist/join/{shop['party'].pk}/").content.decode()
    assert "Me (Pat Parent)" in form and "Kim Parent" in form
    response = pat.post(f"/alpha/waitlist/join/{shop['party'].pk}/", {"for_whom": shop["kim"].pk})
    assert response.status_code == 302 and response["Location"] == "/alpha/account/waitlists/"
    again = pat.post(f"/alpha/waitlist/join/{shop['party'].pk}/", {"for_whom": shop["kim"].pk})
    assert again.status_code == 422 and "Kim is already on the waitlist" in again.content.decode()
    pat.post(f"/alpha/waitlist/join/{shop['party'].pk}/", {"for_whom": shop["pat"].pk})
    gran = logged_in(shop["gran"].user)  # looks after Kim without *purchase*: only herself to choose
    assert str(shop["kim"].pk) not in re.findall(
        r'value="(\d+)"', gran.get(f"/alpha/waitlist/join/{shop['party'].pk}/").content.decode()
    )
    with tenant(org_a):
        line = list(
            WaitlistEntry.objects.order_by("position").values_list(
                "customer__first_name", "joined_by__first_name"
            )
        )
        assert line == [("Kim", "Pat"), ("Pat", "Pat")]
        assert Activity.objects.filter(customer=shop["kim"], kind="waitlist_joined").exists()
    portal = pat.get("/alpha/account/waitlists/").content.decode()
    assert "My waitlists" in portal and "Kim Parent" in portal and "Party" in portal


def test_joining_is_refused_while_a_spot_is_free_or_for_packages_without_a_line(org_a, shop, alice):
    with tenant(org_a):
        with pytest.raises(waitlist_services.WaitlistError, match="free spot: buy it now"):
            _join(shop, ("pat", "pat"))
        with pytest.raises(waitlist_services.WaitlistError, match="no waitlist"):
            waitlist_services.waitlist_join(package=shop["camp"], customer=shop["pat"], joined_by=shop["pat"])
        _sold_out(shop, alice)
        with pytest.raises(waitlist_services.WaitlistError, match="may not buy for"):
            _join(shop, ("kim", "gran"))
    pat = logged_in(shop["pat"].user)
    assert pat.get(f"/alpha/waitlist/join/{shop['staff'].pk}/").status_code == 404
    assert (
        pat.post(f"/alpha/waitlist/join/{shop['party'].pk}/", {"for_whom": shop["ann"].pk}).status_code == 422
    )


def test_a_refund_offers_the_freed_spot_to_the_next_person_who_accepts_and_pays(org_a, shop, alice):
    with tenant(org_a):
        sold = _sold_out(shop, alice)
        _join(shop, ("kim", "pat"), ("ben", "ben"))
        assert waitlist_services.waitlist_promote(package=shop["party"]) == []  # no spot free
        _refund(sold[0], alice)
        [offer] = waitlist_services.waitlist_promote(package=shop["party"])
        assert waitlist_services.waitlist_promote(package=shop["party"]) == []  # the hold took the spot
        assert offer.entry.customer == shop["kim"] and offer.entry.status == EntryStatus.OFFERED
        token = _token(offer)
    visitor = logged_in(shop["ben"].user)
    page = visitor.get(f"/alpha/waitlist/offer/{token}/").content.decode()
    assert "Kim Parent" in page and "Party" in page and "Held until" in page and "$323.67" in page
    refused = visitor.post(f"/alpha/waitlist/offer/{token}/accept/", follow=True).content.decode()
    assert "This offer is for Kim Parent" in refused  # Ben may not buy for Kim
    pat = logged_in(shop["pat"].user)
    response = pat.post(f"/alpha/waitlist/offer/{token}/accept/")
    assert response.status_code == 302 and "/alpha/store/checkout/" in response["Location"]
    assert pat.post(f"/alpha/waitlist/offer/{token}/accept/")["Location"] == response["Location"]  # once
    with tenant(org_a):
        checkout = Checkout.objects.get(hold=offer.hold)
        pay_by_card(checkout)
        assert card_services.store_checkout_complete(checkout=checkout).status == CheckoutStatus.PAID
        entry = WaitlistEntry.objects.get(customer=shop["kim"])
        assert entry.status == EntryStatus.BOUGHT
        assert list(entry.events.order_by("at", "id").values_list("what", flat=True)) == [
            WaitlistChange.JOINED,
            WaitlistChange.OFFERED,
            WaitlistChange.BOUGHT,
        ]
        assert Activity.objects.filter(customer=shop["kim"], kind="waitlist_bought").exists()
    used = pat.get(f"/alpha/waitlist/offer/{token}/")
    assert used.status_code == 404 and "This link does not work" in used.content.decode()


def test_an_offer_accepted_after_its_hold_expired_is_refused_and_goes_to_the_next(org_a, shop, alice):
    with tenant(org_a):
        sold = _sold_out(shop, alice)
        _join(shop, ("kim", "pat"), ("ben", "ben"))
        _refund(sold[0], alice)
        [offer] = waitlist_services.waitlist_promote(package=shop["party"])
        token = _token(offer)
        SpotHold.objects.filter(pk=offer.hold_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    pat = logged_in(shop["pat"].user)
    page = pat.get(f"/alpha/waitlist/offer/{token}/")
    assert page.status_code == 410 and "This offer has expired" in page.content.decode()
    refused = pat.post(f"/alpha/waitlist/offer/{token}/accept/")
    assert refused.status_code == 410 and "has gone to the next person" in refused.content.decode()
    with tenant(org_a):
        assert WaitlistEntry.objects.get(customer=shop["kim"]).status == EntryStatus.EXPIRED
        [next_offer] = _live_offers()
        assert next_offer.entry.customer == shop["ben"]
        assert not Checkout.objects.exists()


def test_the_sweep_expires_offers_past_their_hold_and_promotes_the_next(org_a, shop, alice):
    with tenant(org_a):
        sold = _sold_out(shop, alice)
        _join(shop, ("kim", "pat"), ("ben", "ben"), ("cy", "cy"))
        _refund(sold[0], alice)
        [offer] = waitlist_services.waitlist_promote(package=shop["party"])
        SpotHold.objects.filter(pk=offer.hold_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    waitlists_sweep()
    with tenant(org_a):
        assert [o.entry.customer.first_name for o in _live_offers()] == ["Ben"]
        assert WaitlistEvent.objects.filter(what=WaitlistChange.EXPIRED).count() == 1
    waitlists_sweep()  # nothing more to do
    with tenant(org_a):
        assert len(_live_offers()) == 1


def test_declining_or_leaving_gives_the_spot_to_the_next_person(org_a, shop, alice):
    with tenant(org_a):
        sold = _sold_out(shop, alice)
        _join(shop, ("kim", "pat"), ("ben", "ben"), ("cy", "cy"))
        _refund(sold[0], alice)
        [offer] = waitlist_services.waitlist_promote(package=shop["party"])
        token = _token(offer)
    declined = logged_in(shop["ben"].user).post(f"/alpha/waitlist/offer/{token}/decline/")
    assert declined.status_code == 200 and "You let the spot go" in declined.content.decode()
    with tenant(org_a):
        [ben_offer] = _live_offers()
        assert ben_offer.entry.customer == shop["ben"]
        assert WaitlistEntry.objects.get(customer=shop["kim"]).status == EntryStatus.LEFT
    ben = logged_in(shop["ben"].user)
    portal = ben.get("/alpha/account/waitlists/").content.decode()
    assert "A spot is held" in portal
    ben.post(f"/alpha/account/waitlists/{ben_offer.entry_id}/leave/")
    with tenant(org_a):
        [cy_offer] = _live_offers()
        assert cy_offer.entry.customer == shop["cy"]
    assert (
        logged_in(shop["cy"].user)
        .get("/alpha/account/waitlists/")
        .content.decode()
        .count(">Accept and pay</button>")
        == 1
    )
    assert ben.post(f"/alpha/account/waitlists/{cy_offer.entry_id}/leave/").status_code == 404  # not his


def test_unknown_links_get_a_clear_page(org_a, shop):
    response = logged_in(shop["pat"].user).get("/alpha/waitlist/offer/not-a-token/")
    assert response.status_code == 404 and "This link does not work" in response.content.decode()
    assert logged_in(shop["pat"].user).post("/alpha/waitlist/offer/not-a-token/accept/").status_code == 404


def test_staff_promote_skip_and_reorder_with_a_reason(org_a, shop, alice, alice_client, carol_client):
    with tenant(org_a):
        sold = _sold_out(shop, alice)
        entries = _join(shop, ("kim", "pat"), ("ben", "ben"), ("cy", "cy"))
    url = f"/app/alpha/waitlists/{shop['party'].pk}/"
    page = alice_client.get(url).content.decode()
    assert "Kim Parent" in page and "Cy Waiter" in page and "joined by Pat Parent" in page
    assert "Waitlist (3)" in alice_client.get("/app/alpha/settings/packages/").content.decode()
    assert carol_client.get(url).status_code == 403
    kim, ben, cy = entries
    no_reason = alice_client.post(f"{url}entries/{cy.pk}/promote/", {"reason": " "})
    assert no_reason.status_code == 422 and "This field is required." in no_reason.content.decode()
    alice_client.post(f"{url}entries/{cy.pk}/promote/", {"reason": "Was promised a spot"})
    alice_client.post(f"{url}entries/{kim.pk}/move-down/", {"reason": "Asked to wait"})
    with tenant(org_a):
        order = WaitlistEntry.objects.filter(status="waiting").order_by("position")
        assert [e.customer.first_name for e in order] == ["Cy", "Ben", "Kim"]
    first = alice_client.post(f"{url}entries/{cy.pk}/move-up/", {"reason": "x"}, follow=True)
    assert "Cy Waiter is first in line already." in first.content.decode()
    alice_client.post(f"{url}entries/{ben.pk}/skip/", {"reason": "Moved away"})
    with tenant(org_a):
        _refund(sold[0], alice)
        [offer] = waitlist_services.waitlist_promote(package=shop["party"])
        assert offer.entry.customer == shop["cy"]
        skipped = alice_client.post(f"{url}entries/{cy.pk}/skip/", {"reason": "No answer by phone"})
        assert skipped.status_code == 302
        [offer] = _live_offers()  # the spot Cy held goes to Kim, the last one waiting
        assert offer.entry.customer == shop["kim"]
        assert WaitlistEvent.objects.filter(reason="Moved away", by=alice, what="removed").exists()
        activity = Activity.objects.get(
            customer=shop["cy"], kind="waitlist_changed", detail__contains="front"
        )
        assert "Was promised a spot" in activity.detail
    history = alice_client.get(url).content.decode()
    assert "No answer by phone" in history and "Skipped by staff" in history


def test_staff_set_the_hold_window_which_is_audited(org_a, shop, alice, alice_client):
    url = f"/app/alpha/waitlists/{shop['party'].pk}/hold-window/"
    assert alice_client.post(url, {"hold_hours": 500}).status_code == 422
    assert alice_client.post(url, {"hold_hours": 48}).status_code == 302
    with tenant(org_a):
        assert Waitlist.objects.get().hold_hours == 48
        event = AuditEvent.objects.get(action="waitlist.changed")
        assert event.changes == {"hold window (hours)": [24, 48]}
        sold = _sold_out(shop, alice)
        _join(shop, ("ben", "ben"))
        _refund(sold[0], alice)
        [offer] = waitlist_services.waitlist_promote(package=shop["party"])
        hours = (offer.hold.expires_at - timezone.now()).total_seconds() / 3600
        assert 47.9 < hours <= 48


def test_another_organization_gets_404(org_a, org_b, shop, alice, bob_client):
    with tenant(org_a):
        sold = _sold_out(shop, alice)
        [kim] = _join(shop, ("kim", "pat"))
        _refund(sold[0], alice)
        [offer] = waitlist_services.waitlist_promote(package=shop["party"])
        token = _token(offer)
    package = shop["party"].pk
    for url in (
        f"/app/beta/waitlists/{package}/",
        f"/app/alpha/waitlists/{package}/",
        f"/beta/waitlist/join/{package}/",
        f"/beta/waitlist/offer/{token}/",
    ):
        assert bob_client.get(url).status_code in (403, 404), url
    for url in (
        f"/app/beta/waitlists/{package}/entries/{kim.pk}/skip/",
        f"/app/beta/waitlists/{package}/hold-window/",
        f"/beta/account/waitlists/{kim.pk}/leave/",
    ):
        assert bob_client.post(url, {"reason": "x", "hold_hours": 3}).status_code == 404, url
