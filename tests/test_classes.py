"""Class registration: admins give a class a weekly schedule in the organization's time zone; staff and
families register for a session with a class pass (punched at check-in, never promised twice), credit (given
back on cancel) or at the desk; the last place goes to one of two people racing for it; ages and guardians'
*book* permission are checked; customers cancel online only inside the booking rules' window; buying the
term in the store registers for every session still to come; another organization's ids are 404."""

import threading
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tenancy import tenant
from billing import card_services, credit_services, services
from billing.credit import balance_of
from billing.models import Package, PackageKind, PunchCard
from bookings import class_services
from bookings.class_selectors import registrations_of
from bookings.models import Course, PaidWith, Registration, RegistrationEvent, Session
from customers.models import Activity
from families.models import GuardianLink
from families.services import link_add
from tests.booking_helpers import one_session
from tests.conftest import logged_in
from tests.factories import customer
from tests.store_helpers import open_shop, pay_by_card, with_login

CHICAGO = ZoneInfo("America/Chicago")


def chicago_today() -> date:
    return timezone.localdate(timezone=CHICAGO)


def years_ago(years: int) -> date:
    today = chicago_today()
    return today.replace(year=today.year - years, day=min(today.day, 28))


@pytest.fixture
def world(org_a, org_b, alice, bob):
    """Alpha: a 5-visit and a 1-visit class pass, "Toddler tumble" (ages 3–8, 2 places, drop-in $12 from
    credit) meeting three Saturdays from next week at 10:00; Pat (a login) looks after Kim (6) with every
    permission and Gran looks after her with none. Beta: a class and a session of its own."""
    with tenant(org_a):

        def class_pass(name, visits):
            package = Package(
                name=name, kind=PackageKind.CLASS_PASS, visits=visits, price=5000, currency="USD"
            )
            return services.package_save(package=package, by=alice)

        five, single = class_pass("Five classes", 5), class_pass("One class", 1)
        course = class_services.course_save(
            course=Course(name="Toddler tumble", capacity=2, min_age=3, max_age=8, session_price=1200),
            passes=[five, single],
            by=alice,
        )
        first = chicago_today() + timedelta(days=7)
        sessions = class_services.sessions_schedule(
            course=course,
            weekdays=[first.weekday()],
            starts=time(10),
            minutes=45,
            first_date=first,
            weeks=3,
            by=alice,
        )
        pat = with_login(customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice))
        kim = customer(first_name="Kim", last_name="Parent", birthday=years_ago(6), by=alice)
        gran = with_login(
            customer(first_name="Gran", last_name="Parent", email="gran@alpha.example", by=alice)
        )
        link_add(guardian=pat, dependant=kim, relationship="parent", by=alice)
        link_add(guardian=gran, dependant=kim, relationship="other", by=alice)
        GuardianLink.objects.filter(guardian=gran).update(permissions=[])
    with tenant(org_b):
        beta_course = class_services.course_save(
            course=Course(name="Beta yoga", capacity=5), passes=[], by=bob
        )
        beta_session = one_session(beta_course, first, time(9), minutes=60, by=bob)
    return {
        "five": five,
        "single": single,
        "course": course,
        "sessions": sessions,
        "pat": pat,
        "kim": kim,
        "gran": gran,
        "beta_course": beta_course,
        "beta_session": beta_session,
    }


def sell(org, world, by, package="five", holder="kim") -> PunchCard:
    with tenant(org):
        purchase = services.sale_record(
            package=world[package], customer=world[holder], payer=world["pat"], method="cash", by=by
        )
        return PunchCard.objects.get(purchase=purchase)


def session_url(session, tail=""):
    return f"/app/alpha/classes/sessions/{session.pk}/{tail}"


def test_admins_add_a_weekly_schedule_in_the_organizations_time_zone(alice_client, org_a, world):
    course = world["course"]
    first = chicago_today() + timedelta(days=1)
    weekdays = [first.weekday(), (first.weekday() + 2) % 7]
    response = alice_client.post(
        f"/app/alpha/settings/classes/{course.pk}/",
        {
            "weekdays": weekdays,
            "starts": "17:30",
            "minutes": "50",
            "first_date": first.isoformat(),
            "weeks": "4",
        },
    )
    assert response.status_code == 302
    with tenant(org_a):
        added = list(Session.objects.filter(course=course).exclude(pk__in=[s.pk for s in world["sessions"]]))
    assert len(added) == 8
    for session in added:
        local = session.starts_at.astimezone(CHICAGO)
        assert local.time() == time(17, 30) and local.weekday() in weekdays and local.date() >= first
        assert session.ends_at - session.starts_at == timedelta(minutes=50)
        # Stored in UTC: 17:30 in Chicago is 22:30 or 23:30 UTC, whatever the daylight saving time that day.
        assert session.starts_at.astimezone(ZoneInfo("UTC")).time() in (time(22, 30), time(23, 30))
    page = alice_client.get(f"/app/alpha/settings/classes/{course.pk}/").content.decode()
    assert "17:30–18:20" in page and "0 / 2" in page
    refused = alice_client.post(
        f"/app/alpha/settings/classes/{course.pk}/",
        {"weekdays": [], "starts": "25:00", "minutes": "3", "first_date": "2001-01-01", "weeks": "53"},
    )
    assert refused.status_code == 422
    assert "Start from today or later." in refused.content.decode()
    with tenant(org_a):
        assert Session.objects.filter(course=course).count() == 11


def test_a_pass_registration_is_punched_at_check_in(carol_client, org_a, world, alice):
    card = sell(org_a, world, alice)
    session = world["sessions"][0]
    search = carol_client.get(session_url(session, "search/"), {"q": "Kim"}).content.decode()
    assert "Kim Parent" in search and "Five classes: 5 left" in search
    response = carol_client.post(
        session_url(session, "register/"), {"customer": world["kim"].pk, "paid_with": "pass"}
    )
    assert response.status_code == 302
    with tenant(org_a):
        registration = Registration.objects.get()
        assert (registration.punch_card, registration.paid_with) == (card, PaidWith.PASS)
        assert PunchCard.objects.get(pk=card.pk).used == 0  # not at registration
    page = carol_client.get(session_url(session)).content.decode()
    assert "1 / 2" in page and "Five classes · 5 of 5 left" in page
    url = session_url(session, f"registrations/{registration.pk}/check-in/")
    row = carol_client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert "4 of 5 left" in row and "Check in" not in row
    assert "checked in already" in carol_client.post(url, headers={"HX-Request": "true"}).content.decode()
    with tenant(org_a):
        assert PunchCard.objects.get(pk=card.pk).used == 1
        kinds = list(Activity.objects.filter(customer=world["kim"]).values_list("kind", flat=True))
        assert RegistrationEvent.REGISTERED in kinds and RegistrationEvent.CHECKED_IN in kinds


def test_a_pass_is_not_promised_to_more_sessions_than_its_visits(org_a, world, alice):
    sell(org_a, world, alice, package="single")
    first, second = world["sessions"][:2]
    with tenant(org_a):
        class_services.registration_create(session=first, customer=world["kim"], paid_with="pass", by=alice)
        with pytest.raises(class_services.ClassError, match="no class pass with a visit left"):
            class_services.registration_create(
                session=second, customer=world["kim"], paid_with="pass", by=alice
            )
        card = PunchCard.objects.get()
        with pytest.raises(class_services.ClassError, match="booked for another session"):
            class_services.registration_create(
                session=second, customer=world["kim"], paid_with="pass", card=card, by=alice
            )
        PunchCard.objects.filter(pk=card.pk).update(used=1)  # punched elsewhere meanwhile
        registration = Registration.objects.get()
        with pytest.raises(class_services.ClassError, match="All 1 visits"):
            class_services.registration_check_in(registration=registration, by=alice)
        assert Registration.objects.get().checked_in_at is None


def test_credit_pays_a_drop_in_and_comes_back_on_cancel(org_a, world, alice):
    pat, kim = world["pat"], world["kim"]
    with tenant(org_a):
        credit_services.credit_issue(customer=pat, amount=2000, kind="gift", reason="Welcome", by=alice)
    client = logged_in(pat.user)
    session = world["sessions"][0]
    form = client.get(f"/alpha/classes/sessions/{session.pk}/register/").content.decode()
    assert "Kim Parent" in form and "My credit" in form
    response = client.post(
        f"/alpha/classes/sessions/{session.pk}/register/", {"for_whom": kim.pk, "paid_with": "credit"}
    )
    assert response.status_code == 302
    with tenant(org_a):
        assert balance_of(pat) == 800
        registration = Registration.objects.get()
        assert (registration.customer, registration.registered_by) == (kim, pat)
    page = client.get("/alpha/classes/").content.decode()
    assert "Kim Parent" in page and "Kim registered" in page
    refused = client.post(
        f"/alpha/classes/sessions/{world['sessions'][1].pk}/register/",
        {"for_whom": pat.pk, "paid_with": "credit"},
    )
    assert refused.status_code == 422 and "more than that" in refused.content.decode()
    client.post(f"/alpha/classes/registrations/{registration.pk}/cancel/")
    with tenant(org_a):
        assert balance_of(pat) == 2000
        assert Registration.objects.get().cancelled_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_last_place_one_gets_it(org_a, world, alice):
    session = world["sessions"][0]
    with tenant(org_a):
        Session.objects.filter(pk=session.pk).update(capacity=1)
        people = [customer(first_name=f"Racer{n}", last_name="Fast", by=alice) for n in range(2)]
    results, start = [], threading.Barrier(2)

    def register(person):
        try:
            start.wait()
            with tenant(org_a):
                class_services.registration_create(
                    session=session, customer=person, paid_with="desk", by=alice
                )
            results.append("registered")
        except class_services.ClassError as refusal:
            results.append(str(refusal))
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["This session is full.", "registered"]
    with tenant(org_a):
        assert Registration.objects.filter(session=session).count() == 1


def test_ages_twice_and_guardians_without_book_are_refused(org_a, world, alice):
    session = world["sessions"][0]
    with tenant(org_a):
        teen = customer(first_name="Tess", last_name="Teen", birthday=years_ago(12), by=alice)
        with pytest.raises(class_services.ClassError, match="Tess is 12; “Toddler tumble” is for ages 3–8"):
            class_services.registration_create(session=session, customer=teen, paid_with="desk", by=alice)
        with pytest.raises(class_services.ClassError, match="may not book for Kim"):
            class_services.registration_create(
                session=session,
                customer=world["kim"],
                paid_with="credit",
                by=world["gran"].user,
                registered_by=world["gran"],
            )
        class_services.registration_create(session=session, customer=world["kim"], paid_with="desk", by=alice)
        with pytest.raises(class_services.ClassError, match="registered for this session already"):
            class_services.registration_create(
                session=session, customer=world["kim"], paid_with="desk", by=alice
            )
        with pytest.raises(class_services.ClassError, match="Choose how"):  # the desk is staff's
            class_services.registration_create(
                session=world["sessions"][1],
                customer=world["pat"],
                paid_with="desk",
                by=world["pat"].user,
                registered_by=world["pat"],
            )
    gran = logged_in(world["gran"].user)
    form = gran.get(f"/alpha/classes/sessions/{session.pk}/register/").content.decode()
    assert "Kim Parent" not in form
    refused = gran.post(
        f"/alpha/classes/sessions/{session.pk}/register/", {"for_whom": world["kim"].pk, "paid_with": "pass"}
    )
    assert refused.status_code == 422
    with tenant(org_a):
        assert Registration.objects.count() == 1


def test_the_other_organizations_ids_are_404(alice_client, bob_client, org_a, world, alice):
    with tenant(org_a):
        registration = class_services.registration_create(
            session=world["sessions"][0], customer=world["kim"], paid_with="desk", by=alice
        )
    alpha_session, course = world["sessions"][0], world["course"]
    for url in (
        f"/app/beta/classes/sessions/{alpha_session.pk}/",
        f"/app/beta/classes/sessions/{alpha_session.pk}/search/?q=Kim",
        f"/app/beta/settings/classes/{course.pk}/",
        f"/app/beta/settings/classes/{course.pk}/edit/",
        "/app/alpha/classes/",
    ):
        assert bob_client.get(url).status_code == 404, url
    for url in (
        f"/app/beta/classes/sessions/{alpha_session.pk}/register/",
        f"/app/beta/classes/sessions/{alpha_session.pk}/registrations/{registration.pk}/check-in/",
        f"/app/beta/classes/sessions/{alpha_session.pk}/registrations/{registration.pk}/cancel/",
        f"/app/beta/settings/classes/sessions/{alpha_session.pk}/cancel/",
        f"/app/beta/settings/classes/{course.pk}/archive/",
    ):
        assert bob_client.post(url, {"customer": world["kim"].pk, "paid_with": "desk"}).status_code == 404, (
            url
        )
    beta = world["beta_session"]
    assert alice_client.get(f"/app/alpha/classes/sessions/{beta.pk}/").status_code == 404
    registered = alice_client.post(
        f"/app/alpha/classes/sessions/{alpha_session.pk}/register/", {"customer": 10**9, "paid_with": "desk"}
    )
    assert registered.status_code == 422
    pat = logged_in(world["pat"].user)
    assert pat.get(f"/alpha/classes/sessions/{beta.pk}/register/").status_code == 404
    with tenant(org_a):
        assert Registration.objects.get().cancelled_at is None
        assert Session.objects.filter(cancelled_at=None).count() == 3


def test_customers_cancel_online_only_inside_the_window(alice_client, org_a, world, alice):
    soon, later = world["sessions"][:2]
    with tenant(org_a):
        Session.objects.filter(pk=soon.pk).update(
            starts_at=timezone.now() + timedelta(hours=5), ends_at=timezone.now() + timedelta(hours=6)
        )
        near = class_services.registration_create(
            session=soon, customer=world["kim"], paid_with="desk", by=alice
        )
        far = class_services.registration_create(
            session=later, customer=world["kim"], paid_with="desk", by=alice
        )
    client = logged_in(world["pat"].user)
    page = client.get("/alpha/classes/").content.decode()
    assert page.count("Call us to cancel") == 1
    response = client.post(f"/alpha/classes/registrations/{near.pk}/cancel/", follow=True)
    assert "too late to cancel online" in response.content.decode()
    client.post(f"/alpha/classes/registrations/{far.pk}/cancel/")
    assert (
        logged_in(world["gran"].user).post(f"/alpha/classes/registrations/{near.pk}/cancel/").status_code
        == 404
    )
    with tenant(org_a):
        assert Registration.objects.get(pk=near.pk).cancelled_at is None
        assert Registration.objects.get(pk=far.pk).cancelled_at is not None
    alice_client.post(session_url(soon, f"registrations/{near.pk}/cancel/"))  # staff: any time
    with tenant(org_a):
        assert Registration.objects.get(pk=near.pk).cancelled_at is not None


def test_buying_the_term_in_the_store_registers_for_every_session_to_come(org_a, org_b, alice, bob):
    shop = open_shop(org_a, org_b, alice, bob)
    with tenant(org_a):
        term = services.package_save(
            package=Package(name="Tumble term", price=6000, currency="USD", capacity=2), by=alice
        )
        course = class_services.course_save(
            course=Course(name="Tumble", capacity=2, term_package=term), passes=[], by=alice
        )
        first = chicago_today() + timedelta(days=1)
        sessions = class_services.sessions_schedule(
            course=course,
            weekdays=[first.weekday()],
            starts=time(16),
            minutes=60,
            first_date=first,
            weeks=4,
            by=alice,
        )
        Session.objects.filter(pk=sessions[0].pk).update(
            starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=1)
        )
        class_services.session_cancel(session=sessions[1], by=alice)
        class_services.registration_create(
            session=sessions[2], customer=shop["kim"], paid_with="desk", by=alice
        )
    page = logged_in(shop["pat"].user).get("/alpha/classes/").content.decode()
    assert f"/alpha/store/{term.pk}/buy/" in page
    with tenant(org_a):
        checkout = card_services.store_checkout_start(package=term, customer=shop["kim"], payer=shop["pat"])
        pay_by_card(checkout)
        card_services.store_checkout_complete(checkout=checkout)
        made = Registration.objects.filter(paid_with=PaidWith.TERM)
        assert [r.session_id for r in made.order_by("session__starts_at")] == [sessions[3].pk]
        assert made.get().term_purchase.package == term and made.get().registered_by == shop["pat"]
        assert Registration.objects.filter(customer=shop["kim"], cancelled_at=None).count() == 2


def test_registrations_of_splits_upcoming_from_past_and_cancelled(org_a, world, alice):
    first, second, third = world["sessions"]
    with tenant(org_a):
        made = [
            class_services.registration_create(
                session=session, customer=world["kim"], paid_with="desk", by=alice
            )
            for session in (first, second, third)
        ]
        class_services.registration_cancel(registration=made[1], by=alice)
        Session.objects.filter(pk=third.pk).update(
            starts_at=timezone.now() - timedelta(days=1), ends_at=timezone.now() - timedelta(hours=23)
        )
        other = customer(first_name="Otto", last_name="Other", by=alice)
        class_services.registration_create(session=first, customer=other, paid_with="desk", by=alice)
        ids = [world["kim"].pk]
        assert [r.pk for r in registrations_of(ids, upcoming=True)] == [made[0].pk]
        assert [r.pk for r in registrations_of(ids, upcoming=False)] == [made[1].pk, made[2].pk]
        with_session = registrations_of(ids, upcoming=True).first()
    assert with_session.session.course.name == "Toddler tumble"


def test_staff_see_sessions_by_day_and_admins_manage_classes(alice_client, carol_client, org_a, world, alice):
    with tenant(org_a):
        class_services.registration_create(
            session=world["sessions"][0], customer=world["kim"], paid_with="desk", by=alice
        )
    page = carol_client.get("/app/alpha/classes/").content.decode()
    assert "Toddler tumble" in page and "1 / 2" in page
    assert carol_client.get("/app/alpha/settings/classes/").status_code == 403
    response = alice_client.post(
        "/app/alpha/settings/classes/new/",
        {"name": "Ninja warriors", "capacity": "12", "min_age": "9", "max_age": "7", "price_amount": "12.5"},
    )
    assert response.status_code == 422 and "oldest age" in response.content.decode()
    response = alice_client.post(
        "/app/alpha/settings/classes/new/",
        {"name": "Ninja warriors", "capacity": "12", "min_age": "7", "passes": [world["five"].pk]},
    )
    assert response.status_code == 302
    with tenant(org_a):
        ninja = Course.objects.get(name="Ninja warriors")
        assert list(ninja.passes.all()) == [world["five"]] and ninja.session_price is None
    listing = alice_client.get("/app/alpha/settings/classes/").content.decode()
    assert "Ninja warriors" in listing and "7 and up" in listing
    alice_client.post(f"/app/alpha/settings/classes/{ninja.pk}/archive/")
    assert "archived" in alice_client.get("/app/alpha/settings/classes/").content.decode()


def test_class_lists_run_the_same_queries_however_many_registrations(alice_client, org_a, world, alice):
    pat = logged_in(world["pat"].user)

    def counted():
        counts = []
        for client, url in (
            (pat, "/alpha/classes/"),
            (alice_client, "/app/alpha/classes/"),
            (alice_client, "/app/alpha/settings/classes/"),
            (alice_client, f"/app/alpha/settings/classes/{world['course'].pk}/"),
            (alice_client, session_url(world["sessions"][0])),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        return counts

    with tenant(org_a):
        class_services.registration_create(
            session=world["sessions"][0], customer=world["kim"], paid_with="desk", by=alice
        )
    before = counted()
    with tenant(org_a):
        for session in world["sessions"]:
            class_services.registration_create(
                session=session, customer=world["pat"], paid_with="desk", by=alice
            )
        class_services.registration_create(
            session=world["sessions"][1], customer=world["kim"], paid_with="desk", by=alice
        )
    assert counted() == before
