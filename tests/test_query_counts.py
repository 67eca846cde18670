"""Every list page runs the same number of queries whether it shows 2 rows or 8: a page that asks the database
once per row (an N+1) slows down as an organization grows, so each page here is counted at both sizes."""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Membership, Role
from accounts.tenancy import tenant
from api import services as api_services
from billing import credit_services, punch_services
from billing import external_services as billing_external
from billing import services as billing_services
from billing.models import ExternalSubscription, Package, PunchCard
from bookings import services as booking_services
from bookings.models import PartyPackage, Room
from customers import services as customer_services
from customers.merge_services import customers_merge
from customers.models import FieldType
from families import services as family_services
from families.models import AffiliatedOrganization, AffiliationRole, Relationship
from intake import services as intake
from intake.models import IntakeForm
from invites import package_services, waitlist_services
from metrics import services as metric_services
from metrics.models import Metric
from notes import services as note_services
from notes.models import Visibility
from privacy import services as privacy_services
from reports import services as report_services
from tags import services as tag_services
from tags.models import Tag
from tests.conftest import logged_in, make_member
from tests.custom_field_helpers import make_field
from tests.factories import customer
from tests.store_helpers import with_login
from tests.waiver_helpers import signature_png
from waivers import services as waiver_services
from waivers.models import Channel as WaiverChannel
from webhooks import services as webhook_services

FEW, MANY = 2, 8


@dataclass
class Page:
    """A list page: `path` (formatted with what `setup` returns) under the staff area, or the portal's when
    `portal`; `add` makes the i-th row and returns the text the page shows for it."""

    name: str
    path: str
    add: Callable
    setup: Callable = lambda org, by: {}
    portal: bool = False


def _person(org, by):
    return {"person": customer(first_name="Pia", last_name="Page", by=by)}


def _portal_person(org, by):
    return {
        "person": with_login(customer(first_name="Pia", last_name="Page", email=f"pia@{org.slug}.x", by=by))
    }


def _package(org, by):
    return {
        "package": billing_services.package_save(
            package=Package(name="Tumble", price=1000, currency="USD"), by=by
        )
    }


def _merge(org, by, ctx, label):
    survivor = customer(first_name=label, last_name="Kept", by=by)
    merged = customer(
        first_name=label, last_name="Kept", email=f"{label.replace(' ', '').lower()}@x.example", by=by
    )
    customers_merge(survivor=survivor, merged=merged, choices={}, by=by)
    return label


def _tag(org, by, ctx, label):
    tag = tag_services.tag_save(tag=Tag(name=label), by=by)
    tag_services.tag_add(customer=ctx.setdefault("person", customer(by=by)), tag=tag, by=by)
    return label


def _metric(org, by, ctx, label):
    metric = metric_services.metric_save(metric=Metric(name=label, unit="laps"), by=by)
    metric_services.entry_record(
        customer=ctx.setdefault("person", customer(by=by)),
        metric=metric,
        value=3,
        recorded_on=date(2025, 5, 1),
        comment="",
        by=by,
    )
    return label


def _waiver(org, by, ctx, label):
    template = waiver_services.waiver_template_create(
        name=label, text="Rules", validity_months=12, guardian_signs_for_minors=True, by=by
    )
    person = ctx.setdefault("person", customer(by=by))
    waiver_services.waiver_sign(
        template=template,
        version=template.current_version,
        signer=person,
        people=[person],
        typed_name="Jane Doe",
        signature_png=signature_png(),
        channel=WaiverChannel.DESK,
        ip=None,
        by=by,
    )
    return label


def _signature(org, by, ctx, label):
    if "template" not in ctx:
        ctx["template"] = waiver_services.waiver_template_create(
            name="Pool rules", text="Rules", validity_months=12, guardian_signs_for_minors=True, by=by
        )
    template = ctx["template"]
    person = customer(first_name=label, last_name="Signer", by=by)
    waiver_services.waiver_sign(
        template=template,
        version=template.current_version,
        signer=person,
        people=[person],
        typed_name=f"{label} Signer",
        signature_png=signature_png(),
        channel=WaiverChannel.DESK,
        ip=None,
        by=by,
    )
    return label


def _sale(org, by, ctx, label):
    package = billing_services.package_save(package=Package(name=label, price=1000, currency="USD"), by=by)
    person = ctx["person"]
    billing_services.sale_record(package=package, customer=person, payer=person, method="cash", by=by)
    return label


def _dependant(org, by, ctx, label):
    family_services.guest_create(
        guardian=ctx["person"],
        data={"first_name": label, "last_name": "Page"},
        relationship=Relationship.PARENT,
        is_primary=False,
        by=by,
    )
    return label


def _family(org, by, ctx, label):
    guardian = customer(first_name=label, last_name="Guardian", by=by)
    family_services.guest_create(
        guardian=guardian,
        data={"first_name": label, "last_name": "Child"},
        relationship=Relationship.PARENT,
        is_primary=True,
        by=by,
    )
    return label


def _affiliated(org, by, ctx, label):
    school = family_services.affiliated_organization_save(item=AffiliatedOrganization(name=f"{label} School"))
    family_services.affiliation_add(
        customer=customer(first_name=label, last_name="Pupil", by=by),
        affiliated=school,
        role=AffiliationRole.MEMBER,
        by=by,
    )
    return label


def _slug(label):
    return label.replace(" ", "-").lower()


def _erased(org, by, ctx, label):
    return privacy_services.customer_erase(customer=customer(first_name=label, by=by), by=by).reference


def _scheduled(org, by, ctx, label):
    report_services.scheduled_report_create(
        report_key="customers",
        query={"range": "last_month", "every": "week"},
        frequency="monthly",
        weekday=None,
        day_of_month=1,
        hour=6,
        recipients=[
            Membership.objects.get(user=make_member(org, Role.ADMIN, f"{_slug(label)}@reports.example"))
        ],
        by=by,
    )
    return f"{_slug(label)}@reports.example"


def _room(org, by, ctx, label):
    return booking_services.room_save(room=Room(name=label, guests=20), by=by).name


def _booking(org, by, ctx, label):
    """A party in a room of its own tomorrow at 10:00, for the page's person or a new one named `label`."""
    room = booking_services.room_save(room=Room(name=f"{label} room", guests=20), by=by)
    package = booking_services.party_package_save(
        package=PartyPackage(name=f"{label} party", price=9000, deposit=0), rooms=[room], by=by
    )
    person = ctx.get("person") or customer(first_name=label, last_name="Host", by=by)
    day = timezone.localdate(timezone=ZoneInfo(org.time_zone)) + timedelta(days=1)
    booking_services.booking_create(
        package=package,
        room=room,
        starts_at=datetime.combine(day, time(10), ZoneInfo(org.time_zone)),
        customer=person,
        booked_by=person,
        guests=5,
        by=by,
    )
    return label


def _form(org, by, ctx, label):
    return intake.intake_form_save(
        intake=IntakeForm(
            title=label,
            slug=_slug(label),
            fields=[{"name": name, "required": True} for name in ("first_name", "last_name", "email")],
            created_by=by,
        ),
        by=by,
    ).title


def _field(org, by, ctx, label):
    return make_field(label, FieldType.TEXT).label


def _profile_tag(org, by, ctx, label):
    tag = tag_services.tag_save(tag=Tag(name=label), by=by)
    tag_services.tag_add(customer=ctx["person"], tag=tag, by=by)
    note_services.note_add(
        customer=ctx["person"], text=f"{label} note", visibility=Visibility.STAFF, pinned=True, by=by
    )
    return label


def _package_invite(org, by, ctx, label):
    person = customer(first_name=label, last_name="Invitee", email=f"{_slug(label)}@invitee.example", by=by)
    package_services.package_invites_send(package=ctx["package"], customer_ids=[person.pk], by=by)
    return label


def _invited_package(org, by, ctx, label):
    package = billing_services.package_save(package=Package(name=label, price=1000, currency="USD"), by=by)
    person = customer(first_name=label, last_name="Invitee", email=f"{_slug(label)}@invitee.example", by=by)
    package_services.package_invites_send(package=package, customer_ids=[person.pk], by=by)
    return label


def _full_package(org, by):
    package = billing_services.package_save(
        package=Package(name="Tiny class", price=1000, currency="USD", capacity=1), by=by
    )
    holder = customer(first_name="Seat", last_name="Holder", by=by)
    billing_services.sale_record(package=package, customer=holder, payer=holder, method="cash", by=by)
    return {"package": package}


def _waiting(org, by, ctx, label):
    person = customer(first_name=label, last_name="Waiting", by=by)
    waitlist_services.waitlist_join(package=ctx["package"], customer=person, joined_by=person)
    return label


def _my_waitlist(org, by, ctx, label):
    package = billing_services.package_save(
        package=Package(name=label, price=1000, currency="USD", capacity=1), by=by
    )
    holder = customer(first_name="Seat", last_name="Holder", by=by)
    billing_services.sale_record(package=package, customer=holder, payer=holder, method="cash", by=by)
    waitlist_services.waitlist_join(package=package, customer=ctx["person"], joined_by=ctx["person"])
    return label


def _ping(org, by, ctx, label):
    if "endpoint" not in ctx:
        ctx["endpoint"], _ = webhook_services.endpoint_create(
            url="https://hooks.example/in", description="Hook", events=["tag.added"], by=by
        )
    webhook_services.endpoint_ping(endpoint=ctx["endpoint"], by=by)
    return ""  # every ping reads the same: the count is what matters


def _pass(org, by):
    pass_ = billing_services.package_save(
        package=Package(
            name="Ten visits", kind="class_pass", visits=20, valid_days=365, price=5000, currency="USD"
        ),
        by=by,
    )
    person = customer(first_name="Pia", last_name="Page", by=by)
    billing_services.sale_record(package=pass_, customer=person, payer=person, method="cash", by=by)
    return {"person": person, "card": PunchCard.objects.get(holder=person)}


def _punch(org, by, ctx, label):
    punch_services.punch_use(card=ctx["card"], by=by)
    return ""


def _invitation(org, by, ctx, label):
    return account_services.staff_invite(
        email=f"{_slug(label)}@invited.example", role=Role.STAFF, by=by
    ).email


def _party(org, by, ctx, label):
    room = booking_services.room_save(room=Room(name=f"{label} room", guests=20), by=by)
    booking_services.party_package_save(
        package=PartyPackage(name=f"{label} party", price=9000, deposit=0), rooms=[room], by=by
    )
    return f"{label} party"


def _school(org, by):
    return {
        "school": family_services.affiliated_organization_save(item=AffiliatedOrganization(name="Oak School"))
    }


def _pupil(org, by, ctx, label):
    family_services.affiliation_add(
        customer=customer(first_name=label, last_name="Pupil", by=by),
        affiliated=ctx["school"],
        role=AffiliationRole.MEMBER,
        by=by,
    )
    return label


def _external(org, by, ctx, label):
    billing_external.external_subscription_save(
        subscription=ExternalSubscription(
            customer=customer(first_name=label, last_name="Swimmer", by=by),
            provider="Swim School",
            name=f"{label} swim team",
            amount=4500,
            starts_on=date(2025, 1, 6),
        ),
        by=by,
    )
    return f"{label} swim team"


def _export(org, by, ctx, label):
    privacy_services.export_request(customer=ctx["person"], by=by, include_notes=False)
    return ""


def _kiosk(org, by):
    waiver_services.waiver_template_create(
        name="Pool rules", text="Rules", validity_months=12, guardian_signs_for_minors=True, by=by
    )
    return {}


def _kiosk_match(org, by, ctx, label):
    return customer(first_name=label, last_name="Kiosk", by=by).first_name


PAGES = [
    Page(
        "staff",
        "settings/staff/",
        lambda org, by, ctx, label: (
            make_member(
                org,
                Role.STAFF,
                f"{label.replace(' ', '').lower()}@staff.example",
                first_name=label,
                last_name="Staff",
            ).email
        ),
    ),
    Page(
        "segments",
        "customers/segments/",
        lambda org, by, ctx, label: (
            customer_services.segment_save(owner=by, name=label, query="q=a", shared=True)[0].name
        ),
    ),
    Page("merges", "customers/merges/", _merge),
    Page("tags", "settings/tags/", _tag),
    Page(
        "notes tab",
        "customers/{person.pk}/notes/",
        lambda org, by, ctx, label: (
            note_services.note_add(
                customer=ctx["person"], text=label, visibility=Visibility.STAFF, pinned=False, by=by
            ).text
        ),
        _person,
    ),
    Page("metric settings", "settings/metrics/", _metric),
    Page("metric reports", "metrics/", _metric),
    Page(
        "packages",
        "settings/packages/",
        lambda org, by, ctx, label: (
            billing_services.package_save(package=Package(name=label, price=1000, currency="USD"), by=by).name
        ),
    ),
    Page(
        "credit tab",
        "customers/{person.pk}/credit/",
        lambda org, by, ctx, label: (
            credit_services.credit_issue(customer=ctx["person"], amount=100, kind="gift", reason=label, by=by)
            and label
        ),
        _person,
    ),
    Page("waiver settings", "settings/waivers/", _waiver),
    Page("waivers tab", "customers/{person.pk}/waivers/", _waiver, _person),
    Page("signatures", "settings/waivers/{template.pk}/signatures/", _signature),
    Page(
        "api keys",
        "settings/api-keys/",
        lambda org, by, ctx, label: (
            api_services.key_create(name=label, scopes=["imports:write"], by=by)[0].name
        ),
    ),
    Page(
        "webhooks",
        "settings/webhooks/",
        lambda org, by, ctx, label: (
            webhook_services.endpoint_create(
                url=f"https://hooks.example/{label.replace(' ', '')}",
                description=label,
                events=["tag.added"],
                by=by,
            )[0].description
        ),
    ),
    Page("families", "families/", _family),
    Page("affiliated organizations", "families/organizations/", _affiliated),
    Page("sales report", "sales/", _sale, _person),
    Page("portal family", "account/family/", _dependant, _portal_person, portal=True),
    Page("portal payments", "account/payments/", _sale, _portal_person, portal=True),
    Page("staff invitations", "settings/staff/", _invitation),
    Page("erasures", "settings/privacy/", _erased),
    Page("scheduled reports", "reports/scheduled/", _scheduled),
    Page("rooms", "settings/booking/", _room),
    Page("calendar", "bookings/", _booking),
    Page("bookings tab", "customers/{person.pk}/bookings/", _booking, _person),
    Page("forms", "settings/forms/", _form),
    Page("custom fields", "settings/custom-fields/", _field),
    Page("profile", "customers/{person.pk}/", _profile_tag, _person),
    Page("activity", "customers/{person.pk}/activity/", _profile_tag, _person),
    Page("package invites", "invites/", _invited_package),
    Page("a package's invites", "invites/{package.pk}/", _package_invite, _package),
    Page("waitlist", "waitlists/{package.pk}/", _waiting, _full_package),
    Page("deliveries", "settings/webhooks/{endpoint.pk}/", _ping),
    Page("punch card", "customers/{person.pk}/punch-cards/{card.pk}/", _punch, _pass),
    Page("portal bookings", "book/mine/", _booking, _portal_person, portal=True),
    Page("portal waitlists", "account/waitlists/", _my_waitlist, _portal_person, portal=True),
    Page("portal waivers", "account/waivers/", _waiver, _portal_person, portal=True),
    Page("party packages", "settings/booking/", _party),
    Page("an affiliated organization", "families/organizations/{school.pk}/", _pupil, _school),
    Page("memberships report", "memberships/", _external),
    Page("privacy tab", "customers/{person.pk}/privacy/", _export, _person),
    Page("kiosk search", "waivers/sign/?q=Kiosk", _kiosk_match, _kiosk),
    Page(
        "portal store",
        "store/",
        lambda org, by, ctx, label: _sale(org, by, ctx, label),
        _portal_person,
        portal=True,
    ),
]


def _counted(client, url) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    # Numbers stripped, so a query asked once per row shows up as one query repeated.
    return [re.sub(r"\d+", "N", query["sql"]) for query in queries.captured_queries], response.text


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_a_list_page_runs_as_many_queries_for_8_rows_as_for_2(page, org_a, org_b, alice, bob):
    with tenant(org_b):
        theirs = page.setup(org_b, bob)
        for i in range(FEW):
            page.add(org_b, bob, theirs, f"Beta {i}")
    with tenant(org_a):
        ours = page.setup(org_a, alice)
        shown = [page.add(org_a, alice, ours, f"Alpha {i}") for i in range(FEW)]
    client = logged_in(ours["person"].user if page.portal else alice)
    url = f"/{org_a.slug}/{page.path}" if page.portal else f"/app/{org_a.slug}/{page.path}"
    url = url.format(**ours)
    client.get(url)  # fills per-organization caches (field registry, menus) so both counts start warm
    few, _ = _counted(client, url)
    with tenant(org_a):
        shown += [page.add(org_a, alice, ours, f"Alpha {i}") for i in range(FEW, MANY)]
    many, text = _counted(client, url)
    repeated = {sql: n for sql, n in Counter(many).items() if n > Counter(few)[sql]}
    assert len(many) == len(few), f"{len(few)} → {len(many)} queries; repeated: {repeated}"
    assert [label for label in shown if label not in text] == []
    assert "Beta 0" not in text
