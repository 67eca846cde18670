"""The fuzz test's world (tests/test_fuzz.py): two small organizations built by the demo loaders, and a
fingerprint of an organization's rows to prove a request left them alone. Which of their ids fill each URL of
the resolver is tests/fuzz_routes.py."""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services as account_services
from accounts.models import Membership, Organization, Role, User
from accounts.tenancy import tenant
from api.services import key_create
from billing.credit_services import credit_issue
from billing.demo import demo_packages
from billing.external_services import external_subscription_save
from billing.models import ExternalSubscription, Package
from billing.punch_services import punch_use
from billing.services import package_save, sale_record
from bookings.class_demo import demo_classes
from bookings.class_services import registration_create
from bookings.demo import demo_parties
from bookings.models import Course, PartyPackage, Session
from bookings.services import booking_create
from customers import services as customer_services
from customers.demo import demo_custom_fields, demo_customers
from customers.merge_services import customers_merge
from customers.models import BulkOperation, Customer, CustomField, DuplicatePair, DuplicateScan, Segment
from families import services as family_services
from families.demo import demo_families
from families.models import AffiliatedOrganization, Affiliation, Relationship
from imports.demo import demo_import
from imports.models import ImportJob
from intake.demo import demo_intake_form
from intake.models import IntakeForm, PendingChange
from intake.services import intake_submit
from invites import claim_services, package_services
from invites.waitlist_services import waitlist_join
from metrics.demo import demo_metrics
from metrics.models import Metric, MetricEntry
from notes import services as note_services
from notes.demo import demo_notes
from notes.models import Visibility
from privacy.services import customer_erase, export_request
from reports.services import scheduled_report_create
from tags import services as tag_services
from tags.demo import demo_tags
from tags.models import Tag
from tests.conftest import make_member, make_user
from tests.subscription_helpers import recorded_subscription
from tests.test_tenant_wall import tenant_models
from tests.waiver_helpers import signature_png
from waivers import services as waiver_services
from waivers.models import Channel as WaiverChannel
from webhooks.services import endpoint_create, endpoint_ping

# ---------------------------------------------------------------------------------------------- the world


@dataclass
class World:
    organization: Organization
    ids: dict[str, int | str]  # a row of every kind (and links with their tokens), by what it is
    users: dict[str, User]  # by role: owner, admin, staff, and the customer with a portal login
    emails: list[str]
    api_secret: str


def build_world(organization: Organization, owner, *, seed: int, prefix: str) -> World:
    """A small organization with a row of every kind, built by the demo's loaders and the services."""
    staff = make_member(organization, Role.STAFF, f"staff@{prefix}.example")
    admin = make_member(organization, Role.ADMIN, f"admin@{prefix}.example")
    portal_user = make_user(f"pat@{prefix}.example")
    with tenant(organization):
        customers = Customer.objects.bulk_create(demo_customers(count=24, seed=seed))
        demo_custom_fields(customers, seed=seed)
        demo_intake_form()
        demo_packages()
        demo_families(customers, seed=seed)
        demo_tags(customers, seed=seed)
        demo_notes(customers, [owner, staff], seed=seed)
        demo_metrics(customers, seed=seed)
        demo_import(by=owner)
        pat = customer_services.customer_create(
            data={"first_name": "Pat", "last_name": "Fuzz", "email": f"pat@{prefix}.example"}, by=owner
        )
        Customer.objects.filter(pk=pat.pk).update(user=portal_user)
        kid = customer_services.customer_create(data={"first_name": "Kid", "last_name": "Fuzz"}, by=owner)
        link = family_services.link_add(
            guardian=pat, dependant=kid, relationship=Relationship.PARENT, by=None
        )
        invited = customer_services.customer_create(
            data={"first_name": "Ivy", "last_name": "Fuzz", "email": f"ivy@{prefix}.example"}, by=owner
        )
        claim = claim_services.invite_send(customer=invited, by=owner)
        offered = Package.objects.exclude(visibility="staff").filter(archived_at=None).order_by("pk").first()
        [package_invite], _ = package_services.package_invites_send(
            package=offered, customer_ids=[invited.pk], by=owner
        )
        invitation = account_services.staff_invite(
            email=f"invitee@{prefix}.example", role=Role.STAFF, by=owner
        )
        main = next(person for person in customers if person.email)
        intake = IntakeForm.objects.get()
        intake_submit(intake=intake, data={"email": main.email, "first_name": "Changed", "last_name": "Fuzz"})
        note = note_services.note_add(
            customer=main, text="Fuzz note", visibility=Visibility.STAFF, pinned=True, by=owner
        )
        tag = Tag.objects.order_by("pk").first()
        tag_services.tag_add(customer=main, tag=tag, by=owner)
        segment = Segment.objects.create(name="Fuzz segment", query="q=a", owner=owner)
        bulk = BulkOperation.objects.create(
            action="archive", customer_ids=[customers[-1].pk], total=1, created_by=owner
        )
        api_key, secret = key_create(name="Fuzz", scopes=["imports:write"], by=owner)
        hook, _ = endpoint_create(
            url="https://fuzz.example/hooks", description="Fuzz", events=["tag.added"], by=owner
        )
        ping = endpoint_ping(endpoint=hook, by=owner)
        scheduled = scheduled_report_create(
            report_key="customers",
            query={"range": "last_week", "every": "week"},
            frequency="weekly",
            weekday=0,
            day_of_month=None,
            hour=7,
            recipients=[Membership.objects.get(user=owner)],
            by=owner,
        )
        open_jump = Package.objects.filter(capacity=None, for_whom="anyone").order_by("pk").first()
        payment = sale_record(
            package=open_jump, customer=main, payer=main, method="cash", by=owner
        ).payments.get()
        credit_entry = credit_issue(customer=main, amount=1000, kind="gift", reason="Fuzz credit", by=owner)
        class_pass = Package.objects.filter(kind="class_pass").order_by("pk").first()
        card = sale_record(package=class_pass, customer=main, payer=main, method="cash", by=owner).punch_card
        punch = punch_use(card=card, by=owner)
        club = Package.objects.filter(kind="membership").order_by("pk").first()
        subscription = recorded_subscription(club, main, main, stripe_id="sub_fuzz", status="active")
        waitlisted = package_save(  # sold out, with Pat in its line
            package=Package(name="Fuzz class", price=1500, currency="USD", capacity=1), by=owner
        )
        sale_record(package=waitlisted, customer=main, payer=main, method="cash", by=owner)
        waitlist_entry = waitlist_join(package=waitlisted, customer=pat, joined_by=pat)
        demo_classes([owner, staff], seed=seed)
        session = Session.objects.order_by("starts_at", "pk").first()
        registration = registration_create(session=session, customer=kid, paid_with="desk", by=owner)
        external = external_subscription_save(
            subscription=ExternalSubscription(
                customer=main,
                provider="Fuzz school",
                name="Fuzz team",
                amount=3000,
                starts_on=date(2025, 1, 1),
            ),
            by=owner,
        )
        waiver = waiver_services.waiver_template_create(
            name="Fuzz waiver", text="Fuzz", validity_months=12, guardian_signs_for_minors=True, by=owner
        )
        [waiver_signature] = waiver_services.waiver_sign(
            template=waiver,
            version=waiver.current_version,
            signer=pat,
            people=[kid],
            typed_name="Pat Fuzz",
            signature_png=signature_png(),
            channel=WaiverChannel.ONLINE,
            ip=None,
        )
        [waiver_request] = waiver_services.waiver_request_send(template=waiver, customer=pat, by=owner)
        twin = customer_services.customer_create(data={"first_name": "Mia", "last_name": "Fuzz"}, by=owner)
        merge = customers_merge(survivor=kid, merged=twin, choices={}, by=owner)
        scan = DuplicateScan.objects.create(started_by=owner)
        pair = DuplicatePair.objects.create(
            customer_a=customers[0],
            customer_b=customers[1],
            score=85,
            reasons=["email"],
            found_at=timezone.now(),
        )
        export = export_request(customer=main, by=owner, include_notes=False)
        erased = customer_services.customer_create(data={"first_name": "Eve", "last_name": "Fuzz"}, by=owner)
        erasure = customer_erase(customer=erased, by=owner)
        demo_parties(by=owner, seed=seed, count=6)
        party = PartyPackage.objects.order_by("pk").first()
        booking = booking_create(
            package=party,
            room=party.rooms.order_by("pk").first(),
            starts_at=timezone.now().replace(microsecond=0) + timedelta(days=400),
            customer=kid,
            booked_by=pat,
            guests=5,
            by=owner,
        )
        ids = {
            "room": booking.room_id,
            "party": party.pk,
            "booking": booking.pk,
            "customer": main.pk,
            "other_customer": customers[1].pk,
            "merge": merge.pk,
            "duplicate_scan": scan.pk,
            "duplicate_pair": pair.pk,
            "person_export": export.pk,
            "erasure": erasure.pk,
            "waiver_template": waiver.pk,
            "waiver_signature": waiver_signature.pk,
            "waiver_token": waiver_services.waiver_request_issue_token(request=waiver_request),
            "change": PendingChange.objects.get(customer=main, field="first_name").pk,
            "note": note.pk,
            "tag": tag.pk,
            "custom_field": CustomField.objects.order_by("pk").first().pk,
            "intake_form": intake.pk,
            "form_slug": intake.slug,
            "membership": Membership.objects.get(user=staff).pk,
            "invitation": invitation.pk,
            "staff_token": account_services.staff_invitation_issue_token(invitation=invitation),
            "claim_token": claim_services.invite_issue_token(invite=claim, reminder=False),
            "package_invite": package_invite,
            "package_invite_token": package_services.package_invite_tokens_issue(
                invite_ids=[package_invite], reminder=False
            )[package_invite],
            "segment": segment.pk,
            "bulk": bulk.pk,
            "link": link.pk,
            "dependant": kid.pk,
            "affiliation": Affiliation.objects.order_by("pk").first().pk,
            "affiliated": AffiliatedOrganization.objects.order_by("pk").first().pk,
            "import_job": ImportJob.objects.order_by("pk").first().pk,
            "api_key": api_key.pk,
            "webhook_endpoint": hook.pk,
            "webhook_delivery": ping.pk,
            "scheduled_report": scheduled.pk,
            "metric": Metric.objects.order_by("pk").first().pk,
            "package": Package.objects.order_by("pk").first().pk,
            "payment": payment.pk,
            "credit_entry": credit_entry.pk,
            "punch_card": card.pk,
            "punch": punch.pk,
            "subscription": subscription.pk,
            "external_subscription": external.pk,
            "waitlisted_package": waitlisted.pk,
            "waitlist_entry": waitlist_entry.pk,
            "course": Course.objects.order_by("pk").first().pk,
            "session": session.pk,
            "registration": registration.pk,
            "metric_entry": MetricEntry.objects.order_by("pk").first().pk,
            "uidb64": urlsafe_base64_encode(force_bytes(portal_user.pk)),
            "reset_token": default_token_generator.make_token(portal_user),
        }
    return World(
        organization,
        ids,
        users={"owner": owner, "admin": admin, "staff": staff, "customer": portal_user},
        emails=[owner.email, admin.email, staff.email, portal_user.email, invited.email],
        api_secret=secret,
    )


# ------------------------------------------------------------------------------------------- fingerprints


def fingerprint(world: World) -> str:
    """A digest of every row the organization owns, its own row and its people's logins."""
    digest = "md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), ''))"
    tables = [model._meta.db_table for model in tenant_models()]
    query = " UNION ALL ".join(
        [f"SELECT '{table}', {digest} FROM \"{table}\" t" for table in tables]  # noqa: S608 (our own names)
        + [
            f"SELECT 'users', {digest} FROM accounts_user t WHERE id = ANY(%s)",  # noqa: S608
            f"SELECT 'organization', {digest} FROM accounts_organization t WHERE id = %s",  # noqa: S608
        ]
    )
    with tenant(world.organization), connection.cursor() as cursor:
        cursor.execute(query, [[user.pk for user in world.users.values()], world.organization.pk])
        rows = sorted(cursor.fetchall())
    return hashlib.md5(repr(rows).encode(), usedforsecurity=False).hexdigest()


def rows_written() -> int:
    """How many rows this transaction has inserted, updated or deleted so far, by PostgreSQL's count (aborted
    savepoints included): while it stands still, no fingerprint can change."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
        )
        return cursor.fetchone()[0]


def cache_forget() -> None:
    """Drop the application's cached entries (rate counters, field registries): the example's rows were
    rolled back, so must be what it cached. Sessions (another key prefix) stay."""
    client = cache._cache.get_client(None, write=True)
    keys = list(client.scan_iter(match=":*"))
    if keys:
        client.delete(*keys)
