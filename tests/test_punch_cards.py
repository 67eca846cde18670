"""Punch cards: a class pass sold gives its holder a card of N visits valid for the package's days; staff
punch a visit from the profile, admins undo a punch with a reason and move the expiry, each in the Activity
Log and the audit log; a card never gives more visits than it has, even punched ten times at once; the holder
(or a guardian) is reminded by email of the last visit and of the expiry, once each; the portal shows a
family's cards; the roster finds who has visits left."""

import threading
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditEvent
from accounts.tenancy import tenant
from billing import punch_services, services
from billing.demo import demo_packages, demo_purchases
from billing.models import Package, PackageKind, Punch, PunchAudit, PunchCard, PunchEvent
from billing.tasks import punch_card_reminders_send
from customers.models import Activity, Customer
from families.services import link_add
from tests.conftest import logged_in, make_user
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console


def alpha_today(org):
    return timezone.localdate(timezone=ZoneInfo(org.time_zone))


@pytest.fixture
def passes(org_a, org_b, alice, bob):
    """Alpha sells a 5-visit pass valid a year and a party; Pat (with an email) looks after Kim (without);
    Beta has a pass and a customer of its own."""
    with tenant(org_a):
        five = services.package_save(
            package=Package(
                name="Five visits",
                kind=PackageKind.CLASS_PASS,
                visits=5,
                valid_days=365,
                price=5000,
                currency="USD",
            ),
            by=alice,
        )
        party = services.package_save(package=Package(name="Party", price=20000, currency="USD"), by=alice)
        pat = customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice)
        kim = customer(first_name="Kim", last_name="Parent", by=alice)
        link_add(guardian=pat, dependant=kim, relationship="parent", by=alice)
    with tenant(org_b):
        beta_pass = services.package_save(
            package=Package(
                name="Beta pass", kind=PackageKind.CLASS_PASS, visits=3, price=100, currency="USD"
            ),
            by=bob,
        )
        stan = customer(first_name="Stan", last_name="Beta", by=bob)
        services.sale_record(package=beta_pass, customer=stan, payer=stan, method="cash", by=bob)
        beta_card = PunchCard.objects.get()
    return {"five": five, "party": party, "pat": pat, "kim": kim, "beta_card": beta_card, "stan": stan}


def sell_pass(org, passes, by, *, holder=None, payer=None) -> PunchCard:
    holder = holder or passes["pat"]
    with tenant(org):
        purchase = services.sale_record(
            package=passes["five"], customer=holder, payer=payer or holder, method="cash", by=by
        )
        return PunchCard.objects.get(purchase=purchase)


def card_url(org, card) -> str:
    return f"/app/{org.slug}/customers/{card.holder_id}/punch-cards/{card.pk}/"


def test_a_class_pass_sale_gives_its_holder_a_card_and_other_sales_none(carol_client, org_a, passes, alice):
    kim, pat = passes["kim"], passes["pat"]
    response = carol_client.post(
        f"/app/{org_a.slug}/customers/{pat.pk}/payments/sell/",
        {"package": passes["five"].pk, "for_whom": kim.pk, "method": "cash", "reference": ""},
        follow=True,
    )
    assert "“Five visits” sold to Kim Parent." in response.text
    with tenant(org_a):
        services.sale_record(package=passes["party"], customer=pat, payer=pat, method="cash", by=alice)
        card = PunchCard.objects.get()
    assert (card.holder_id, card.visits, card.used) == (kim.pk, 5, 0)
    assert card.valid_until == alpha_today(org_a) + timedelta(days=365)
    profile = carol_client.get(f"/app/{org_a.slug}/customers/{kim.pk}/").text
    assert "Punch cards" in profile and "5 of 5 left" in profile and "Punch a visit" in profile
    assert f'/punch-cards/{card.pk}/">Five visits</a>' in profile  # the package's name, in the box
    assert 'aria-label="Punch a visit on Five visits"' in profile
    assert (
        "No punch cards. Selling a class pass"
        in carol_client.get(f"/app/{org_a.slug}/customers/{pat.pk}/").text
    )


def test_staff_punch_visits_until_none_is_left_and_each_is_recorded(
    carol_client, carol, org_a, passes, alice
):
    card = sell_pass(org_a, passes, alice)
    punch = card_url(org_a, card) + "punch/"
    for left in (4, 3, 2, 1, 0):
        page = carol_client.post(punch, follow=True).text
        assert f"Visit punched on “Five visits”: {left} of 5 left." in page
    assert "Used up" in page and "Punch a visit" not in page
    refused = carol_client.post(punch, follow=True).text
    assert "All 5 visits of this card are used." in refused
    with tenant(org_a):
        assert PunchCard.objects.get().used == 5
        assert Punch.objects.filter(card=card, by=carol).count() == 5
        events = Activity.objects.filter(customer=passes["pat"], kind=PunchEvent.PUNCH)
        assert events.count() == 5 and "0 of 5 visits left" in events.order_by("-pk")[0].detail
        assert AuditEvent.objects.filter(action=PunchAudit.PUNCHED).count() == 5
    history = carol_client.get(card_url(org_a, card)).text
    assert history.count("Carol Castro") >= 5 and "5 of 5 used · 0 left" in history
    assert "Undo…" not in history and "Change the expiry" not in history  # staff may not correct


def test_an_expired_card_refuses_a_punch_and_says_so(carol_client, org_a, passes, alice):
    card = sell_pass(org_a, passes, alice)
    with tenant(org_a):
        PunchCard.objects.filter(pk=card.pk).update(valid_until=alpha_today(org_a) - timedelta(days=1))
    assert "Expired" in carol_client.get(f"/app/{org_a.slug}/customers/{card.holder_id}/").text
    page = carol_client.post(card_url(org_a, card) + "punch/", follow=True).text
    assert "This card expired on" in page and "extend it first." in page
    with tenant(org_a):
        assert PunchCard.objects.get(pk=card.pk).used == 0


def test_admins_undo_a_punch_with_a_reason_and_extend_the_expiry(
    alice_client, carol_client, org_a, passes, alice
):
    card = sell_pass(org_a, passes, alice)
    with tenant(org_a):
        punch = punch_services.punch_use(card=card, by=alice)
    url = card_url(org_a, card)
    assert carol_client.post(url + f"{punch.pk}/undo/", {"reason": "mistake"}).status_code == 403
    empty = alice_client.post(url + f"{punch.pk}/undo/", {"reason": "  "})
    assert empty.status_code == 422 and "This field is required." in empty.text
    done = alice_client.post(url + f"{punch.pk}/undo/", {"reason": "Punched twice by mistake"}, follow=True)
    assert "Punch undone: the visit is back on the card." in done.text
    assert "Punched twice by mistake" in done.text and "0 of 5 used · 5 left" in done.text
    again = alice_client.post(url + f"{punch.pk}/undo/", {"reason": "again"}, follow=True)
    assert "This punch was undone already." in again.text
    past = alpha_today(org_a) - timedelta(days=2)
    refused = alice_client.post(url + "extend/", {"valid_until": past.isoformat(), "reason": "Injury"})
    assert refused.status_code == 422 and "Choose a day from today on." in refused.text
    no_reason = alice_client.post(url + "extend/", {"valid_until": "2031-01-31", "reason": ""})
    assert no_reason.status_code == 422 and "This field is required." in no_reason.text
    assert "Enter a date" in alice_client.post(url + "extend/", {"valid_until": "31/01", "reason": "x"}).text
    extended = alice_client.post(
        url + "extend/", {"valid_until": "2031-01-31", "reason": "Injury"}, follow=True
    )
    assert "Expiry changed." in extended.text and "Jan 31, 2031" in extended.text
    with tenant(org_a):
        card.refresh_from_db()
        assert (card.used, str(card.valid_until)) == (0, "2031-01-31")
        assert Punch.objects.get().undo_reason == "Punched twice by mistake"
        kinds = set(Activity.objects.filter(customer=passes["pat"]).values_list("kind", flat=True))
        assert {PunchEvent.PUNCH, PunchEvent.PUNCH_UNDONE, PunchEvent.PUNCH_CARD_EXTENDED} <= kinds
        assert "valid until Jan 31, 2031" in AuditEvent.objects.get(action=PunchAudit.EXTENDED).detail


def test_another_organization_or_customer_reaches_no_card(
    bob_client, alice_client, org_a, org_b, passes, alice
):
    card = sell_pass(org_a, passes, alice)
    beta_card = passes["beta_card"]
    assert bob_client.get(card_url(org_a, card)).status_code == 404
    assert (
        bob_client.get(f"/app/{org_b.slug}/customers/{card.holder_id}/punch-cards/{card.pk}/").status_code
        == 404
    )
    assert (
        bob_client.post(
            f"/app/{org_b.slug}/customers/{passes['stan'].pk}/punch-cards/{card.pk}/punch/"
        ).status_code
        == 404
    )
    assert alice_client.get(card_url(org_a, beta_card).replace(org_b.slug, org_a.slug)).status_code == 404
    wrong_holder = f"/app/{org_a.slug}/customers/{passes['kim'].pk}/punch-cards/{card.pk}/"
    assert alice_client.get(wrong_holder).status_code == 404
    assert alice_client.post(wrong_holder + "punch/").status_code == 404
    with tenant(org_a):
        assert PunchCard.objects.get(pk=card.pk).used == 0


@pytest.mark.django_db(transaction=True)
def test_ten_punches_at_once_of_a_five_visit_card_use_exactly_five(org_a, passes, alice):
    card = sell_pass(org_a, passes, alice)
    results, start = [], threading.Barrier(10)

    def punch():
        try:
            start.wait()
            with tenant(org_a):
                punch_services.punch_use(card=card, by=alice)
            results.append("punched")
        except punch_services.PunchError as refusal:
            results.append(str(refusal))
        finally:
            connection.close()

    threads = [threading.Thread(target=punch) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["All 5 visits of this card are used."] * 5 + ["punched"] * 5
    with tenant(org_a):
        assert PunchCard.objects.get(pk=card.pk).used == 5
        assert Punch.objects.filter(card=card).count() == 5


def test_the_database_refuses_more_uses_than_visits(org_a, passes, alice):
    from django.db import IntegrityError, transaction

    card = sell_pass(org_a, passes, alice)
    with tenant(org_a), pytest.raises(IntegrityError), transaction.atomic():
        PunchCard.objects.filter(pk=card.pk).update(used=6)


def test_a_guardian_sees_their_cards_and_their_childs_in_the_portal(org_a, passes, alice):
    pat, kim = passes["pat"], passes["kim"]
    sell_pass(org_a, passes, alice, holder=kim, payer=pat)
    with tenant(org_a):
        gran = customer(first_name="Gran", last_name="Parent", email="gran@alpha.example", by=alice)
        link_add(
            guardian=gran, dependant=kim, relationship="other", by=alice
        )  # no "see bookings and payments"
        for person in (pat, gran):
            Customer.objects.filter(pk=person.pk).update(user=make_user(person.email))
            person.refresh_from_db()
    page = logged_in(pat.user).get(f"/{org_a.slug}/account/payments/").text
    assert "Your punch cards" in page and "Five visits" in page and "for Kim Parent" in page
    assert "0 of 5" in page and "5 of 5 left" in page
    assert "Your punch cards" not in logged_in(gran.user).get(f"/{org_a.slug}/account/payments/").text


def test_the_roster_finds_who_has_visits_left(alice_client, org_a, passes, alice):
    card = sell_pass(org_a, passes, alice, holder=passes["kim"], payer=passes["pat"])
    roster = f"/app/{org_a.slug}/customers/"
    with_visits = alice_client.get(roster, {"q": "parent", "visits_left": "true"}).text
    without = alice_client.get(roster, {"q": "parent", "visits_left": "false"}).text
    assert "Parent, Kim" in with_visits and "Parent, Pat" not in with_visits
    assert "Parent, Pat" in without and "Parent, Kim" not in without
    with tenant(org_a):
        PunchCard.objects.filter(pk=card.pk).update(valid_until=alpha_today(org_a) - timedelta(days=1))
    assert "Parent, Kim" not in alice_client.get(roster, {"q": "parent", "visits_left": "true"}).text


@pytest.mark.django_db(transaction=True)
def test_holders_or_their_guardians_are_reminded_once_of_the_last_visit_and_the_expiry(
    celery_worker, smtp_server, org_a, passes, alice
):
    last_visit = sell_pass(org_a, passes, alice)
    expiring = sell_pass(org_a, passes, alice, holder=passes["kim"], payer=passes["pat"])
    with tenant(org_a):
        for _ in range(4):
            punch_services.punch_use(card=last_visit, by=alice)
        PunchCard.objects.filter(pk=expiring.pk).update(valid_until=alpha_today(org_a) + timedelta(days=7))
        later = sell_pass(org_a, passes, alice)  # a year to go, every visit left: no reminder
    before = len(smtp_server.messages)  # the session's mail server keeps every earlier test's mail
    assert punch_card_reminders_send() == 2
    one_left = smtp_server.wait_for("pat@alpha.example", subject="One visit left: Five visits")
    assert "You have one visit left on Five visits" in one_left.get_payload(decode=True).decode()
    # Kim has no email: the guardian who receives Kim's notifications is told.
    expiry = smtp_server.wait_for("pat@alpha.example", subject="Your visits expire soon")
    text = expiry.get_payload(decode=True).decode()
    assert "Hello Pat" in text and "Kim's Five visits" in text and "5 of 5 visits left" in text
    with tenant(org_a):
        cards = {card.pk: card for card in PunchCard.objects.all()}
        assert cards[last_visit.pk].reminded_last_visit_at and cards[expiring.pk].reminded_expiry_at
        assert cards[later.pk].reminded_last_visit_at is None and cards[later.pk].reminded_expiry_at is None
    assert punch_card_reminders_send() == 0
    time.sleep(2)  # what a second run might have queued has reached the worker and the mail server
    assert len(smtp_server.messages) - before == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_punch_undo_and_extend_in_the_browser(
    browser_page, live_server, org_a, passes, alice, screenshot
):
    card = sell_pass(org_a, passes, alice)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{card.holder_id}/")
    box = page.locator(".punch-box")
    expect(box).to_contain_text("5 of 5 left")
    box.get_by_role("button", name="Punch a visit on Five visits").click()
    expect(page.get_by_text("Visit punched on “Five visits”: 4 of 5 left.")).to_be_visible()
    box.get_by_role("button", name="Punch a visit on Five visits").click()
    expect(box).to_contain_text("3 of 5 left")
    screenshot(page, "99-punch-box")
    box.get_by_role("link", name="Five visits").click()
    expect(page.get_by_role("heading", name="Five visits")).to_be_visible()
    page.locator(".punch-row").first.get_by_text("Undo…").click()
    page.locator(".punch-row").first.get_by_role("button", name="Undo this punch").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    screenshot(page, "99-punch-undo-error")
    page.get_by_label("Reason").first.fill("Came once, punched twice")
    page.get_by_role("button", name="Undo this punch").click()
    expect(page.get_by_text("Punch undone: the visit is back on the card.")).to_be_visible()
    expect(page.locator("[data-figure=visits]")).to_have_text("1 of 5 used · 4 left")
    page.get_by_label("Valid until").fill("2031-01-31")
    page.locator(".punch-extend").get_by_label("Reason").fill("Injury break")
    page.get_by_role("button", name="Save the expiry").click()
    expect(page.locator("[data-figure=valid-until]")).to_have_text("Jan 31, 2031")
    screenshot(page, "99-punch-card")
    assert [error for error in errors if "status of 422" not in error] == []  # 422: the reason left out


def test_the_demo_sells_class_passes_whose_cards_are_partly_used(org_a, alice):
    with tenant(org_a):
        demo_packages()
        people = [customer(first_name=f"Demo{number}", by=alice) for number in range(30)]
        demo_purchases(people, [alice], seed=7, count=120)
        cards = list(PunchCard.objects.select_related("purchase"))
        assert cards and {card.visits for card in cards} == {10}
        assert any(0 < card.used < card.visits for card in cards)
        assert Punch.objects.count() == sum(card.used for card in cards)
        year = timedelta(days=365)
        assert all(card.valid_until == card.purchase.created_at.date() + year for card in cards)
