"""Every text a tenant or a customer writes comes out escaped on every page that shows it.

With htmx on the page, injected markup is an action: `<i hx-post=… hx-trigger=load>` would post with the
viewer's session and CSRF header. Each text below carries three probes; no page may contain one raw."""

import html
import json
from datetime import date, time, timedelta

import pytest
from django.test import Client

from accounts.models import Membership, Organization, Role
from accounts.tenancy import tenant
from billing.credit_services import credit_issue
from billing.external_services import external_subscription_save
from billing.models import ExternalSubscription, Package, PunchCard, Subscription
from billing.punch_services import punch_undo, punch_use
from billing.services import package_save, payment_refund, sale_record
from bookings import class_services
from bookings import services as booking_services
from bookings.models import BookingSettings, Course, PartyPackage, Room
from customers import services
from customers.duplicate_services import duplicates_flag
from customers.events import customer_data, event_payload
from customers.merge_services import customers_merge
from customers.models import STAFF_AUDIENCES, Audience, CustomField, FieldType, Scope, Segment
from families.services import link_add
from intake.models import IntakeForm
from invites import waitlist_services
from invites.models import InviteSettings, PackageInvite, PackageInviteSettings
from invites.package_services import package_invite_reject, package_invite_tokens_issue, package_invites_send
from metrics.models import Metric
from metrics.services import entry_record, metric_save
from notes.services import note_add
from reports.services import scheduled_report_create
from tags.models import Tag
from tags.services import tag_add, tag_save
from tests.booking_helpers import at, next_saturday
from tests.conftest import logged_in, make_member, make_org, make_user
from tests.custom_field_helpers import make_field
from tests.factories import customer
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

BOLD = "<b id=probe>"
HTMX = "<i hx-post=/evil hx-trigger=load>"
META = "<meta http-equiv=refresh content=0>"
PROBES = (BOLD, HTMX, META)


def evil(text: str, probe: str = BOLD) -> str:
    return f"{text} {probe}"


@pytest.fixture
def world(db):
    """An organization whose every admin-editable text, and every text its customers typed, is markup."""
    owner = make_user("mallory@evil.example")
    organization = make_org(evil("Evil Fun", META), "evil", owner)
    with tenant(organization):
        everyone = [*STAFF_AUDIENCES, Audience.CUSTOMER, Audience.GUARDIAN]
        person = {"scope": Scope.PERSON, "visible_to": everyone, "editable_by": everyone}
        allergy = make_field(
            evil("Allergies"),
            FieldType.CHOICE,
            options=[evil("Peanuts", HTMX)],
            help_text=evil("Tell us", HTMX),
            **person,
        )
        note = make_field(
            evil("Notes for the party"), FieldType.TEXT, help_text=evil("Anything", META), **person
        )
        tag = tag_save(tag=Tag(name=evil("VIP"), description=evil("Big spender", HTMX)), by=owner)
        metric = metric_save(metric=Metric(name=evil("Visits"), unit=BOLD), by=owner)
        party = package_save(
            package=Package(name=evil("Party"), description=evil("Pizza", HTMX), price=100, currency="USD"),
            by=owner,
        )
        parent_user = make_user("pat@home.example")
        parent = services.customer_create(
            data={
                "first_name": evil("Pat"),
                "last_name": evil("Parent", HTMX),
                "email": "pat@home.example",
                note.name: evil("Balloons", META),
            },
            by=owner,
            user=parent_user,
        )
        child = customer(first_name=evil("Kid"), last_name="Parent", birthday=date(2018, 5, 1))
        link_add(guardian=parent, dependant=child, relationship="parent", by=owner)
        sale_record(
            package=party, customer=child, payer=parent, method="cheque", reference=evil("No"), by=owner
        )
        credit_issue(customer=parent, amount=500, kind="goodwill", reason=evil("Sorry", HTMX), by=owner)
        tag_add(customer=parent, tag=tag, by=owner)
        entry_record(customer=parent, metric=metric, value=3, recorded_on=date(2026, 1, 5), by=owner)
        note_add(customer=parent, text=evil("Call back", HTMX), visibility="staff", pinned=True, by=owner)
        segment = Segment.objects.create(name=evil("Big spenders", HTMX), query=f"tag={tag.pk}", owner=owner)
        IntakeForm.objects.create(
            title=evil("Party guests"),
            slug="guests",
            intro=evil("Welcome", HTMX),
            is_open=True,
            fields=[{"name": "first_name", "required": True}, {"name": allergy.name, "required": False}],
        )
        invite_settings, _ = InviteSettings.objects.get_or_create()
        invite_settings.subject = evil("Hello")
        invite_settings.body = evil("Claim it: {{ link }}", HTMX)
        invite_settings.save()
    return {
        "org": organization,
        "owner": owner,
        "parent": parent,
        "child": child,
        "parent_user": parent_user,
        "package": party,
        "segment": segment,
    }


def assert_escaped(response, url):
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    body = response.content.decode()
    for probe in PROBES:
        assert probe not in body, f"{url} shows {probe!r} as markup"
    shown = {html.escape(probe, quote=quote) for probe in PROBES for quote in (False, True)}
    assert any(text in body for text in shown), f"{url} shows none of the tenant's texts"


STAFF_PAGES = [
    "/app/evil/customers/",
    "/app/evil/customers/?filters=1",
    "/app/evil/customers/new/",
    "/app/evil/customers/{parent}/",
    "/app/evil/customers/{parent}/edit/",
    "/app/evil/customers/{parent}/activity/",
    "/app/evil/customers/{parent}/notes/",
    "/app/evil/customers/{parent}/family/",
    "/app/evil/customers/{parent}/portal/",
    "/app/evil/customers/{parent}/metrics/",
    "/app/evil/customers/{parent}/payments/",
    "/app/evil/customers/{child}/payments/",
    "/app/evil/customers/{parent}/loyalty/",
    "/app/evil/customers/{parent}/credit/",
    "/app/evil/customers/{parent}/privacy/",
    "/app/evil/customers/{parent}/privacy/erase/",
    "/app/evil/settings/privacy/",
    "/app/evil/customers/{parent}/loyalty/?start=bad&end=2026-01-01",
    "/app/evil/customers/{child}/family/",
    "/app/evil/customers/{parent}/merge/{child}/",
    "/app/evil/customers/{parent}/merge/?q=Kid",
    "/app/evil/customers/segments/",
    "/app/evil/families/",
    "/app/evil/settings/",
    "/app/evil/settings/custom-fields/",
    "/app/evil/settings/required-fields/",
    "/app/evil/settings/forms/",
    "/app/evil/settings/invites/",
    "/app/evil/settings/tags/",
    "/app/evil/settings/metrics/",
    "/app/evil/settings/packages/",
    "/app/evil/settings/audit/",
    "/app/evil/metrics/",
    "/app/evil/sales/",
    "/app/evil/reports/customers/?segment={segment}",
    "/app/evil/reports/imports/",
]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_pages_escape_what_the_tenant_wrote(world, page):
    url = page.format(parent=world["parent"].pk, child=world["child"].pk, segment=world["segment"].pk)
    assert_escaped(logged_in(world["owner"]).get(url), url)


def test_merge_pages_escape_both_names(world):
    with tenant(world["org"]):
        merge = customers_merge(
            survivor=world["parent"], merged=world["child"], choices={}, by=world["owner"]
        )
    owner = logged_in(world["owner"])
    for url in ("/app/evil/customers/merges/", f"/app/evil/customers/merges/{merge.pk}/undo/"):
        assert_escaped(owner.get(url), url)


def test_custom_field_edit_page_escapes_label_help_and_options(world):
    with tenant(world["org"]):
        field = CustomField.objects.get(type=FieldType.CHOICE)
    url = f"/app/evil/settings/custom-fields/{field.pk}/"
    assert_escaped(logged_in(world["owner"]).get(url), url)


def test_intake_form_settings_page_escapes_the_title(world):
    with tenant(world["org"]):
        form = IntakeForm.objects.get()
    url = f"/app/evil/settings/forms/{form.pk}/"
    assert_escaped(logged_in(world["owner"]).get(url), url)


@pytest.mark.parametrize(
    "page",
    [
        "/evil/signup/booking/",
        "/evil/signup/store/",
        "/evil/forms/guests/",
        "/evil/store/",
        "/evil/store/{package}/",
    ],
)
def test_public_pages_escape_what_the_tenant_wrote(world, client, page):
    url = page.format(package=world["package"].pk)
    assert_escaped(client.get(url), url)


@pytest.mark.parametrize(
    "page",
    [
        "/evil/account/",
        "/evil/account/family/",
        "/evil/account/family/{child}/",
        "/evil/account/payments/",
        "/evil/account/my-data/",
    ],
)
def test_portal_pages_escape_what_the_tenant_and_customers_wrote(world, page):
    url = page.format(child=world["child"].pk)
    assert_escaped(logged_in(world["parent_user"]).get(url), url)


def test_workspaces_page_escapes_the_organization_name(world):
    assert_escaped(
        logged_in(world["owner"]).get("/accounts/organizations/?all=1"), "/accounts/organizations/"
    )


def test_tenant_blocks_on_public_pages_sit_inside_hx_disable(world, client):
    """Even if an escape were missed, htmx ignores whatever sits inside an hx-disable element."""
    body = client.get("/evil/forms/guests/").content.decode()
    assert "hx-disable" in body
    assert body.index("hx-disable") < body.index(html.escape(evil("Welcome", HTMX), quote=False)[:10])


def test_htmx_evaluates_no_code_from_the_page(client, db):
    """Defence in depth behind escaping: no hx-on, js: or trigger filters; requests to our own origin only.
    (Script tags in swapped content stay allowed: the metrics tab brings its chart script; the CSP's nonce
    keeps out any inline script.)"""
    config = client.get("/accounts/login/").text.split('name="htmx-config" content=\'')[1].split("'")[0]
    settings = json.loads(config)
    assert (settings["allowEval"], settings["selfRequestsOnly"]) == (False, True)


def test_organization_name_is_escaped_in_the_page_title(world):
    body = logged_in(world["owner"]).get("/app/evil/customers/").content.decode()
    title = body.split("<title>")[1].split("</title>")[0]
    assert META not in title and "&lt;meta" in title


def test_other_organization_staff_never_see_the_probe_organization(world, alice, org_a):
    assert Organization.objects.filter(slug="evil").exists()
    assert logged_in(alice).get("/app/evil/customers/").status_code == 404


def test_package_edit_page_escapes_name_and_description(world):
    with tenant(world["org"]):
        package = Package.objects.get()
    url = f"/app/evil/settings/packages/{package.pk}/"
    assert_escaped(logged_in(world["owner"]).get(url), url)


def test_punch_card_pages_escape_the_pass_and_the_undo_reason(world):
    with tenant(world["org"]):
        ten = package_save(
            package=Package(name=evil("Pass"), kind="class_pass", visits=3, price=100, currency="USD"),
            by=world["owner"],
        )
        owner, child, parent = world["owner"], world["child"], world["parent"]
        sale_record(package=ten, customer=child, payer=parent, method="cash", by=owner)
        card = PunchCard.objects.get()
        punch = punch_use(card=card, by=world["owner"])
        punch_undo(punch=punch, reason=evil("Oops", HTMX), by=world["owner"])
    child = world["child"].pk
    for url in (f"/app/evil/customers/{child}/", f"/app/evil/customers/{child}/punch-cards/{card.pk}/"):
        body = logged_in(world["owner"]).get(url)
        assert_escaped(body, url)
    assert html.escape(evil("Oops", HTMX), quote=False) in body.content.decode()
    assert_escaped(logged_in(world["parent_user"]).get("/evil/account/payments/"), "/evil/account/payments/")


def test_external_subscription_pages_escape_the_provider_name_and_reference(world):
    with tenant(world["org"]):
        subscription = external_subscription_save(
            subscription=ExternalSubscription(
                customer=world["child"],
                provider=evil("PayPal", HTMX),
                name=evil("Swim team", META),
                amount=4500,
                starts_on=date(2026, 1, 5),
                reference=evil("ref"),
                note=evil("Note", HTMX),
            ),
            by=world["owner"],
        )
    child = world["child"].pk
    owner = logged_in(world["owner"])
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
    assert_escaped(logged_in(world["parent_user"]).get("/evil/account/payments/"), "/evil/account/payments/")


def test_membership_pages_escape_the_package_and_the_people(world):
    with tenant(world["org"]):
        club = package_save(
            package=Package(
                name=evil("Club", HTMX), kind="membership", interval="month", price=100, currency="USD"
            ),
            by=world["owner"],
        )
        child, parent = world["child"], world["parent"]
        subscription = Subscription.objects.create(  # as a sale makes it; the probe has no Stripe account
            package=club,
            member=child,
            member_label=child.full_name,
            payer=parent,
            payer_label=parent.full_name,
            price=100,
            currency="USD",
            interval="month",
            channel="staff",
            stripe_subscription="sub_evil",
            status="past_due",
        )
    owner = logged_in(world["owner"])
    for url in (
        f"/app/evil/customers/{child.pk}/",
        f"/app/evil/customers/{child.pk}/memberships/{subscription.pk}/",
        "/app/evil/customers/?membership=past_due",
        "/app/evil/memberships/?status=&source=roster",
    ):
        body = owner.get(url)
        assert_escaped(body, url)
        assert html.escape(evil("Club", HTMX), quote=False) in body.content.decode() or "customers/?" in url
    assert_escaped(logged_in(world["parent_user"]).get("/evil/account/payments/"), "/evil/account/payments/")


def test_package_invite_pages_escape_the_note_the_reasons_and_the_wording(world):
    with tenant(world["org"]):
        PackageInviteSettings.objects.create(subject=evil("Come"), body=evil("Join us: {{ link }}", HTMX))
        [declined], _ = package_invites_send(
            package=world["package"],
            customer_ids=[world["parent"].pk],
            by=world["owner"],
            note=evil("See you", HTMX),
        )
        token = package_invite_tokens_issue(invite_ids=[declined], reminder=False)
        package_invite_reject(invite=PackageInvite.objects.get(pk=declined), reason=evil("Too far", META))
    owner = logged_in(world["owner"])
    for url in (
        "/app/evil/invites/",
        f"/app/evil/invites/{world['package'].pk}/",
        f"/app/evil/customers/{world['parent'].pk}/",
        f"/app/evil/customers/{world['parent'].pk}/activity/",
        "/app/evil/settings/package-invites/",
    ):
        assert_escaped(owner.get(url), url)
    url = f"/evil/invite/{token[declined]}/"
    assert_escaped(logged_in(world["parent_user"]).get(url), url)


def test_waitlist_pages_escape_the_package_the_people_and_the_reasons(world):
    owner, parent, child = world["owner"], world["parent"], world["child"]
    with tenant(world["org"]):
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
    customer_client = logged_in(world["parent_user"])
    for url in (
        f"/evil/waitlist/offer/{token}/",
        "/evil/account/waitlists/",
        f"/evil/waitlist/join/{camp.pk}/",
    ):
        assert_escaped(customer_client.get(url), url)


def test_waiver_pages_escape_the_waiver_the_people_and_the_reasons(world):
    owner, parent, child = world["owner"], world["parent"], world["child"]
    with tenant(world["org"]):
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
        customer_client = logged_in(world["parent_user"])
        for url in ("/evil/account/waivers/", f"/evil/waivers/{waiver.pk}/sign/"):
            assert_escaped(customer_client.get(url), url)
        url = f"/evil/waivers/link/{token}/"
        assert_escaped(Client().get(url), url)
    finally:
        unregister_requirement(party)


def test_booking_pages_escape_the_rooms_the_party_the_people_and_the_notes(world):
    owner = world["owner"]
    saturday = next_saturday()
    with tenant(world["org"]):
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
            customer=world["child"],
            booked_by=world["parent"],
            guests=5,
            note=evil("Nuts", META),
            by=owner,
        )
    staff, parent = logged_in(owner), logged_in(world["parent_user"])
    for url in (
        "/app/evil/settings/booking/",
        f"/app/evil/settings/booking/parties/{party.pk}/",
        f"/app/evil/bookings/?date={saturday}",
        f"/app/evil/bookings/?view=week&date={saturday}",
        f"/app/evil/bookings/{booking.pk}/",
        f"/app/evil/customers/{world['child'].pk}/bookings/",
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


def test_class_pages_escape_the_course_and_the_people(world):
    owner, parent, child = world["owner"], world["parent"], world["child"]
    with tenant(world["org"]):
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
        [session] = class_services.sessions_schedule(
            course=course,
            weekdays=[date.today().weekday()],
            starts=time(10),
            minutes=45,
            first_date=date.today() + timedelta(days=7),
            weeks=1,
            by=owner,
        )
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
    parent_client = logged_in(world["parent_user"])
    for url in ("/evil/classes/", f"/evil/classes/sessions/{session.pk}/register/"):
        response = parent_client.get(url)
        assert_escaped(response, url)
        assert name in response.content.decode(), url


def test_webhook_pages_escape_the_url_the_description_the_event_and_the_answer(world):
    org, owner = world["org"], world["owner"]
    with tenant(org):
        hook, _ = webhook_services.endpoint_create(
            url="https://evil.example/" + HTMX.replace(" ", "%20") + "?" + BOLD,
            description=evil("CRM", HTMX),
            events=["customer.created"],
            by=owner,
        )
        payload = event_payload(org, "customer.created", {"customer": customer_data(world["parent"])})
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


def test_scheduled_report_pages_escape_names_of_the_segment_the_creator_and_the_recipients(world):
    org, owner = world["org"], world["owner"]
    admin = make_member(org, Role.ADMIN, "adm@evil.example", first_name=evil("Ada", HTMX), last_name=META)
    with tenant(org):
        schedule = scheduled_report_create(
            report_key="customers",
            query={"range": "last_week", "every": "week", "segment": str(world["segment"].pk)},
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
        f"{base}new/?report=customers&segment={world['segment'].pk}",
        f"{base}{schedule.pk}/",
        f"{base}{schedule.pk}/delete/",
    ):
        assert_escaped(staff.get(url), url)
    assert html.escape(evil("Ada", HTMX), quote=False) in staff.get(base).content.decode()


def test_duplicates_page_and_profile_box_escape_the_names_and_addresses(world):
    with tenant(world["org"]):
        twin = customer(
            first_name=evil("Pat"),
            last_name=evil("Parent", HTMX),
            email="pat+twin@home.example",
            address_line1=evil("1 Elm"),
        )
        duplicates_flag(customer=twin)
    client = logged_in(world["owner"])
    for url in ("/app/evil/settings/duplicates/", f"/app/evil/customers/{twin.pk}/"):
        assert_escaped(client.get(url), url)
    assert "Possible duplicate of" in client.get(f"/app/evil/customers/{twin.pk}/").text
