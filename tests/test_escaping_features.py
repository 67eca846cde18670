"""Every text a tenant or a customer writes comes out escaped on the feature apps' pages: packages,
punch cards, memberships, invites, waitlists, waivers, bookings, classes, webhooks, scheduled reports,
duplicates."""

import html
from datetime import date, time, timedelta

from django.test import Client

from accounts.models import Membership, Role
from accounts.tenancy import tenant
from billing.external_services import external_subscription_save
from billing.models import ExternalSubscription, Package, PunchCard
from billing.punch_services import punch_undo, punch_use
from billing.services import package_save, payment_refund, sale_record
from bookings import class_services
from bookings import services as booking_services
from bookings.models import BookingSettings, Course, PartyPackage, Room
from customers.duplicate_services import duplicates_flag
from customers.events import customer_data, event_payload
from invites import waitlist_services
from invites.models import PackageInvite, PackageInviteSettings
from invites.package_services import package_invite_reject, package_invite_tokens_issue, package_invites_send
from reports.services import scheduled_report_create
from tests.booking_helpers import at, next_saturday, one_session
from tests.conftest import logged_in, make_member
from tests.escaping_helpers import BOLD, HTMX, META, assert_escaped, evil
from tests.factories import customer
from tests.subscription_helpers import recorded_subscription
from tests.waiver_helpers import signature_png
from waivers.extend import register_requirement, unregister_requirement
from waivers.services import (
    waiver_request_issue_token,
    waiver_request_send,
    waiver_sign,
    waiver_template_create,
)
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery


def test_package_edit_page_escapes_name_and_description(tainted):
    with tenant(tainted["org"]):
        package = Package.objects.get()
    url = f"/app/evil/settings/packages/{package.pk}/"
    assert_escaped(logged_in(tainted["owner"]).get(url), url)


def test_punch_card_pages_escape_the_pass_and_the_undo_reason(tainted):
    with tenant(tainted["org"]):
        ten = package_save(
            package=Package(name=evil("Pass"), kind="class_pass", visits=3, price=100, currency="USD"),
            by=tainted["owner"],
        )
        owner, child, parent = tainted["owner"], tainted["child"], tainted["parent"]
        sale_record(package=ten, customer=child, payer=parent, method="cash", by=owner)
        card = PunchCard.objects.get()
        punch = punch_use(card=card, by=tainted["owner"])
        punch_undo(punch=punch, reason=evil("Oops", HTMX), by=tainted["owner"])
    child = tainted["child"].pk
    for url in (f"/app/evil/customers/{child}/", f"/app/evil/customers/{child}/punch-cards/{card.pk}/"):
        body = logged_in(tainted["owner"]).get(url)
        assert_escaped(body, url)
    assert html.escape(evil("Oops", HTMX), quote=False) in body.content.decode()
    assert_escaped(
        logged_in(tainted["parent_user"]).get("/evil/account/payments/"), "/evil/account/payments/"
    )


def test_external_subscription_pages_escape_the_provider_name_and_reference(tainted):
    with tenant(tainted["org"]):
        subscription = external_subscription_save(
            subscription=ExternalSubscription(
                customer=tainted["child"],
                provider=evil("PayPal", HTMX),
                name=evil("Swim team", META),
                amount=4500,
                starts_on=date(2026, 1, 5),
                reference=evil("ref"),
                note=evil("Note", HTMX),
            ),
            by=tainted["owner"],
        )
    child = tainted["child"].pk
    owner = logged_in(tainted["owner"])
    for url in (
        f"/app/evil/customers/{child}/",
        f"/app/evil/customers/{child}/external/{subscription.pk}/",
        f"/app/evil/customers/{child}/activity/",
        "/app/evil/memberships/",
        "/app/evil/memberships/?status=&source=external",
    ):
        body = owner.get(url)
        assert_escaped(body, url)
        assert html.escape(evil("Swim team", META), quote=False) in body.content.decode(), url
    assert_escaped(
        logged_in(tainted["parent_user"]).get("/evil/account/payments/"), "/evil/account/payments/"
    )


def test_membership_pages_escape_the_package_and_the_people(tainted):
    with tenant(tainted["org"]):
        club = package_save(
            package=Package(
                name=evil("Club", HTMX), kind="membership", interval="month", price=100, currency="USD"
            ),
            by=tainted["owner"],
        )
        child, parent = tainted["child"], tainted["parent"]
        subscription = recorded_subscription(club, child, parent, stripe_id="sub_evil", status="past_due")
    owner = logged_in(tainted["owner"])
    for url in (
        f"/app/evil/customers/{child.pk}/",
        f"/app/evil/customers/{child.pk}/memberships/{subscription.pk}/",
        "/app/evil/customers/?membership=past_due",
        "/app/evil/memberships/?status=&source=roster",
    ):
        body = owner.get(url)
        assert_escaped(body, url)
        assert html.escape(evil("Club", HTMX), quote=False) in body.content.decode() or "customers/?" in url
    assert_escaped(
        logged_in(tainted["parent_user"]).get("/evil/account/payments/"), "/evil/account/payments/"
    )


def test_package_invite_pages_escape_the_note_the_reasons_and_the_wording(tainted):
    with tenant(tainted["org"]):
        PackageInviteSettings.objects.create(subject=evil("Come"), body=evil("Join us: {{ link }}", HTMX))
        [declined], _ = package_invites_send(
            package=tainted["package"],
            customer_ids=[tainted["parent"].pk],
            by=tainted["owner"],
            note=evil("See you", HTMX),
        )
        token = package_invite_tokens_issue(invite_ids=[declined], reminder=False)
        package_invite_reject(invite=PackageInvite.objects.get(pk=declined), reason=evil("Too far", META))
    owner = logged_in(tainted["owner"])
    for url in (
        "/app/evil/invites/",
        f"/app/evil/invites/{tainted['package'].pk}/",
        f"/app/evil/customers/{tainted['parent'].pk}/",
        f"/app/evil/customers/{tainted['parent'].pk}/activity/",
        "/app/evil/settings/package-invites/",
    ):
        assert_escaped(owner.get(url), url)
    url = f"/evil/invite/{token[declined]}/"
    assert_escaped(logged_in(tainted["parent_user"]).get(url), url)


def test_waitlist_pages_escape_the_package_the_people_and_the_reasons(tainted):
    owner, parent, child = tainted["owner"], tainted["parent"], tainted["child"]
    with tenant(tainted["org"]):
        camp = package_save(
            package=Package(name=evil("Camp", HTMX), price=100, currency="USD", capacity=1), by=owner
        )
        sold = sale_record(package=camp, customer=parent, payer=parent, method="cash", by=owner)
        waitlist_services.waitlist_join(package=camp, customer=child, joined_by=parent)
        second = waitlist_services.waitlist_join(package=camp, customer=parent, joined_by=parent)
        waitlist_services.waitlist_entry_skip(entry=second, by=owner, reason=evil("Rude", HTMX))
        payment = sold.payments.get()
        payment_refund(payment=payment, amount=payment.refundable, reason="x", by=owner)
        [offer] = waitlist_services.waitlist_promote(package=camp)
        token = waitlist_services.waitlist_offer_issue_token(offer=offer)
    staff = f"/app/evil/waitlists/{camp.pk}/"
    body = logged_in(owner).get(staff)
    assert_escaped(body, staff)
    assert html.escape(evil("Rude", HTMX), quote=False) in body.content.decode()
    customer_client = logged_in(tainted["parent_user"])
    for url in (
        f"/evil/waitlist/offer/{token}/",
        "/evil/account/waitlists/",
        f"/evil/waitlist/join/{camp.pk}/",
    ):
        assert_escaped(customer_client.get(url), url)


def test_waiver_pages_escape_the_waiver_the_people_and_the_reasons(tainted):
    owner, parent, child = tainted["owner"], tainted["parent"], tainted["child"]
    with tenant(tainted["org"]):
        waiver = waiver_template_create(
            name=evil("Play waiver", HTMX),
            text=evil("Jump safely", META),
            validity_months=12,
            guardian_signs_for_minors=True,
            by=owner,
        )
        [signed] = waiver_sign(
            template=waiver,
            version=waiver.current_version,
            signer=parent,
            people=[child],
            typed_name=evil("Pat", HTMX),
            signature_png=signature_png(),
            channel="desk",
            ip=None,
        )
        [link] = waiver_request_send(template=waiver, customer=child, by=owner)
        token = waiver_request_issue_token(request=link)

    def party(customer_ids):
        return {pk: [(waiver, evil("Party", BOLD))] for pk in customer_ids}

    register_requirement(party)
    try:
        staff = logged_in(owner)
        for url in (
            "/app/evil/settings/waivers/",
            f"/app/evil/settings/waivers/{waiver.pk}/",
            f"/app/evil/settings/waivers/{waiver.pk}/signatures/",
            f"/app/evil/customers/{child.pk}/waivers/",
            f"/app/evil/customers/{parent.pk}/waivers/",
            "/app/evil/customers/?q=parent",
            "/app/evil/waivers/sign/?q=parent",
            f"/app/evil/waivers/sign/{child.pk}/{waiver.pk}/",
        ):
            assert_escaped(staff.get(url), url)
        pdf = staff.get(f"/app/evil/customers/waivers/signatures/{signed.pk}/pdf/")
        assert pdf.content.startswith(b"%PDF")
        customer_client = logged_in(tainted["parent_user"])
        for url in ("/evil/account/waivers/", f"/evil/waivers/{waiver.pk}/sign/"):
            assert_escaped(customer_client.get(url), url)
        url = f"/evil/waivers/link/{token}/"
        assert_escaped(Client().get(url), url)
    finally:
        unregister_requirement(party)


def test_booking_pages_escape_the_rooms_the_party_the_people_and_the_notes(tainted):
    owner = tainted["owner"]
    saturday = next_saturday()
    with tenant(tainted["org"]):
        hours = {day: (at(saturday, 9).time(), at(saturday, 20).time()) for day in range(7)}
        booking_services.booking_settings_save(rules=BookingSettings(), hours=hours, by=owner)
        booking_services.blackout_set(
            date=next_saturday(2), reason=evil("Holiday", HTMX), closed=True, by=owner
        )
        room = booking_services.room_save(room=Room(name=evil("Jungle", HTMX), guests=20), by=owner)
        party = booking_services.party_package_save(
            package=PartyPackage(name=evil("Bash"), description=evil("Cake", HTMX), price=1000, deposit=0),
            rooms=[room],
            by=owner,
        )
        booking = booking_services.booking_create(
            package=party,
            room=room,
            starts_at=at(saturday, 10),
            customer=tainted["child"],
            booked_by=tainted["parent"],
            guests=5,
            note=evil("Nuts", META),
            by=owner,
        )
    staff, parent = logged_in(owner), logged_in(tainted["parent_user"])
    for url in (
        "/app/evil/settings/booking/",
        f"/app/evil/settings/booking/parties/{party.pk}/",
        f"/app/evil/bookings/?date={saturday}",
        f"/app/evil/bookings/?view=week&date={saturday}",
        f"/app/evil/bookings/{booking.pk}/",
        f"/app/evil/customers/{tainted['child'].pk}/bookings/",
    ):
        assert_escaped(staff.get(url), url)
    for url in (
        "/evil/book/",
        f"/evil/book/{party.pk}/?date={saturday}&month={saturday:%Y-%m}",
        f"/evil/book/{party.pk}/details/?start={saturday}T12:00&room={room.pk}",
        "/evil/book/mine/",
        f"/evil/book/mine/{booking.pk}/",
    ):
        assert_escaped(parent.get(url), url)


def test_class_pages_escape_the_course_and_the_people(tainted):
    owner, parent, child = tainted["owner"], tainted["parent"], tainted["child"]
    with tenant(tainted["org"]):
        course = class_services.course_save(
            course=Course(
                name=evil("Tumble", HTMX),
                description=evil("Rolls", META),
                instructor=evil("Coach"),
                capacity=3,
            ),
            passes=[],
            by=owner,
        )
        session = one_session(course, date.today() + timedelta(days=7), time(10), by=owner)
        class_services.registration_create(session=session, customer=child, paid_with="desk", by=owner)
        class_services.registration_create(session=session, customer=parent, paid_with="desk", by=owner)
    name = html.escape(evil("Tumble", HTMX), quote=False)
    staff = logged_in(owner)
    for url in (
        "/app/evil/settings/classes/",
        f"/app/evil/settings/classes/{course.pk}/",
        f"/app/evil/settings/classes/{course.pk}/edit/",
        "/app/evil/classes/",
        f"/app/evil/classes/sessions/{session.pk}/",
        f"/app/evil/classes/sessions/{session.pk}/search/?q=Pat",
    ):
        response = staff.get(url)
        assert_escaped(response, url)
        assert name in response.content.decode() or "search" in url, url
    parent_client = logged_in(tainted["parent_user"])
    for url in ("/evil/classes/", f"/evil/classes/sessions/{session.pk}/register/"):
        response = parent_client.get(url)
        assert_escaped(response, url)
        assert name in response.content.decode(), url


def test_webhook_pages_escape_the_url_the_description_the_event_and_the_answer(tainted):
    org, owner = tainted["org"], tainted["owner"]
    with tenant(org):
        hook, _ = webhook_services.endpoint_create(
            url="https://evil.example/" + HTMX.replace(" ", "%20") + "?" + BOLD,
            description=evil("CRM", HTMX),
            events=["customer.created"],
            by=owner,
        )
        payload = event_payload(org, "customer.created", {"customer": customer_data(tainted["parent"])})
        webhook_services.deliveries_queue(organization=org, payloads=[payload])
        WebhookDelivery.objects.update(response_body=evil("Server says", META), status="failed")
    staff = logged_in(owner)
    for url in (
        "/app/evil/settings/webhooks/",
        f"/app/evil/settings/webhooks/{hook.pk}/",
        f"/app/evil/settings/webhooks/{hook.pk}/delete/",
    ):
        assert_escaped(staff.get(url), url)
    log = staff.get(f"/app/evil/settings/webhooks/{hook.pk}/").content.decode()
    assert html.escape(evil("Server says", META), quote=False) in log


def test_scheduled_report_pages_escape_names_of_the_segment_the_creator_and_the_recipients(tainted):
    org, owner = tainted["org"], tainted["owner"]
    admin = make_member(org, Role.ADMIN, "adm@evil.example", first_name=evil("Ada", HTMX), last_name=META)
    with tenant(org):
        schedule = scheduled_report_create(
            report_key="customers",
            query={"range": "last_week", "every": "week", "segment": str(tainted["segment"].pk)},
            frequency="weekly",
            weekday=0,
            day_of_month=None,
            hour=7,
            recipients=list(Membership.objects.all()),
            by=admin,
        )
    staff = logged_in(owner)
    base = "/app/evil/reports/scheduled/"
    for url in (
        base,
        f"{base}new/?report=customers&segment={tainted['segment'].pk}",
        f"{base}{schedule.pk}/",
        f"{base}{schedule.pk}/delete/",
    ):
        assert_escaped(staff.get(url), url)
    assert html.escape(evil("Ada", HTMX), quote=False) in staff.get(base).content.decode()


def test_duplicates_page_and_profile_box_escape_the_names_and_addresses(tainted):
    with tenant(tainted["org"]):
        twin = customer(
            first_name=evil("Pat"),
            last_name=evil("Parent", HTMX),
            email="pat+twin@home.example",
            address_line1=evil("1 Elm"),
        )
        duplicates_flag(customer=twin)
    client = logged_in(tainted["owner"])
    for url in ("/app/evil/settings/duplicates/", f"/app/evil/customers/{twin.pk}/"):
        assert_escaped(client.get(url), url)
    assert "Possible duplicate of" in client.get(f"/app/evil/customers/{twin.pk}/").text
