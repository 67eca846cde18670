"""Org A's canaries for the tenant wall's sweep: a row of every tenant model, made through the apps' services,
with "canary" in its texts so a page that leaks one to another organization gives itself away."""

import datetime
import uuid
from datetime import date, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Membership, Organization, Role, User
from api import services as api_services
from billing import account_services as billing_accounts
from billing import card_services as billing_cards
from billing import credit_services as billing_credit
from billing import external_services as billing_external
from billing import gateway, punch_services
from billing import services as billing_services
from billing.models import ExternalSubscription, Package, PunchCard
from bookings import class_services
from bookings import services as booking_services
from bookings.models import BookingSettings, Course, PartyPackage, Room
from customers import duplicate_services
from customers import services as customer_services
from customers import tasks as customer_tasks
from customers.merge_services import customers_merge
from customers.models import STAFF_AUDIENCES, Audience, FieldType
from customers.rules import Channel, Rule
from families import services as family_services
from families.models import AffiliatedOrganization, AffiliationRole, Relationship
from imports import services as import_services
from imports import work_services as import_work
from intake import services as intake
from intake.models import IntakeForm
from invites import claim_services, package_selectors, package_services, waitlist_services
from invites import selectors as invite_selectors
from metrics import services as metric_services
from metrics.models import Metric
from notes import services as note_services
from notes.models import Visibility
from portal import signups
from portal.email_change import email_change_token
from privacy import services as privacy_services
from privacy.models import PrivacySettings
from reports import services as report_services
from tags import services as tag_services
from tags.models import Tag
from tests.conftest import PASSWORD
from tests.custom_field_helpers import make_field
from tests.store_helpers import browser_sets_up_card
from tests.waiver_helpers import signature_png
from waivers import services as waiver_services
from waivers.models import Channel as WaiverChannel
from webhooks import services as webhook_services

IMPORT_FILE = (
    "First name,Last name,Email\n"
    "Canary,Imported,canary-imported@alpha.example\n"
    "Canary,Misspelt,canary-at-alpha.example\n"  # refused: an import issue
)


def canaries_seed(*, organization: Organization, owner: User) -> dict[str, str]:
    """Seed the current organization (`organization`, entered by the caller); returns what opens its rows
    from outside the staff pages: {"join", "claim", "signup", "email_change", "package_invite",
    "waitlist_offer"} tokens and the intake form's slug."""
    # The invitation (and the API key below) write the audit log's canaries too.
    invitation = account_services.staff_invite(
        email="canary-invitee@alpha.example", role=Role.ADMIN, by=owner
    )
    everyone = [*STAFF_AUDIENCES, Audience.CUSTOMER]
    colour = make_field(
        "Canary colour", FieldType.CHOICE, options=["Canary yellow"], help_text="canary", visible_to=everyone
    )
    song = make_field("Canary song", FieldType.TEXT, visible_to=everyone, editable_by=everyone)
    canary = customer_services.customer_create(
        data={
            "first_name": "Canary",
            "last_name": "Customer",
            "email": "canary@alpha.example",
            colour.name: colour.options.get().pk,
            song.name: "Canary trill",
        },
        by=owner,
    )
    customer_services.field_rules_save(rules={("birthday", Channel.ONLINE_BOOKING): Rule.REQUIRED}, by=owner)
    customer_services.segment_save(owner=owner, name="Canary segment", query="q=canary", shared=True)
    party = billing_services.package_save(
        package=Package(name="Canary party", description="canary", price=2500, currency="USD"), by=owner
    )
    purchase = billing_services.sale_record(
        package=party, customer=canary, payer=canary, method="cheque", reference="canary 1", by=owner
    )
    billing_services.payment_refund(payment=purchase.payments.get(), amount=500, reason="canary", by=owner)
    billing_services.spot_hold(package=party, customer=canary, until=timezone.now() + timedelta(days=1))
    # A class sold out, its line, and the offer a refund gives the next in it (with the offer's history).
    canary_class = billing_services.package_save(
        package=Package(name="Canary class", description="canary", price=2000, currency="USD", capacity=1),
        by=owner,
    )
    seat = billing_services.sale_record(
        package=canary_class, customer=canary, payer=canary, method="cash", by=owner
    )
    waiter = customer_services.customer_create(
        data={"first_name": "Canary", "last_name": "Waiter", "email": "canary-waiter@alpha.example"}, by=owner
    )
    waitlist_services.waitlist_join(package=canary_class, customer=waiter, joined_by=waiter)
    seat_payment = seat.payments.get()
    billing_services.payment_refund(
        payment=seat_payment, amount=seat_payment.refundable, reason="canary", by=owner
    )
    [waitlist_offer] = waitlist_services.waitlist_promote(package=canary_class)
    billing_credit.credit_issue(customer=canary, amount=1000, kind="gift", reason="Canary credit", by=owner)
    canary_pass = billing_services.package_save(
        package=Package(
            name="Canary pass", kind="class_pass", visits=5, valid_days=365, price=5000, currency="USD"
        ),
        by=owner,
    )
    billing_services.sale_record(package=canary_pass, customer=canary, payer=canary, method="cash", by=owner)
    punch = punch_services.punch_use(card=PunchCard.objects.get(), by=owner)
    punch_services.punch_undo(punch=punch, reason="canary", by=owner)
    # A class taking the pass, a session of it and the canary's place in it.
    canary_course = class_services.course_save(
        course=Course(name="Canary tumble", description="canary", instructor="Canary coach", capacity=4),
        passes=[canary_pass],
        by=owner,
    )
    [canary_session] = class_services.sessions_schedule(
        course=canary_course,
        weekdays=[date.today().weekday()],
        starts=time(10),
        minutes=45,
        first_date=date.today() + timedelta(days=7),
        weeks=1,
        by=owner,
    )
    class_services.registration_create(session=canary_session, customer=canary, paid_with="pass", by=owner)
    billing_external.external_subscription_save(
        subscription=ExternalSubscription(
            customer=canary,
            provider="Canary School",
            name="Canary swim team",
            amount=4500,
            starts_on=date(2025, 1, 6),
            reference="canary-ref",
            note="canary",
        ),
        by=owner,
    )
    billing_accounts.payment_account_connect(
        secret_key="rk_test_canary_0000000000000000",
        publishable_key="pk_test_canary_0000000000000000",
        webhook_secret="whsec_canary_0000000000000000",
        by=owner,
    )
    # A store checkout, and the Stripe customer made for its payer.
    billing_cards.store_checkout_start(package=party, customer=canary, payer=canary)
    set_up = billing_cards.card_setup_start(customer=canary)
    card = billing_cards.card_save(
        customer=canary,
        setup_intent=browser_sets_up_card(
            set_up.client_secret, publishable_key="pk_test_canary_0000000000000000"
        ),
        by=owner,
    )
    # A party room, a party package (and its deposit), the rules, a closed day and two bookings: one made at
    # the desk, one held online while its deposit is paid.
    booking_services.booking_settings_save(
        rules=BookingSettings(),
        hours={day: (datetime.time(8), datetime.time(20)) for day in range(7)},
        by=owner,
    )
    room = booking_services.room_save(room=Room(name="Canary room", guests=20), by=owner)
    party_package = booking_services.party_package_save(
        package=PartyPackage(name="Canary party package", description="canary", price=9000, deposit=3000),
        rooms=[room],
        by=owner,
    )
    party_day = timezone.localdate(timezone=ZoneInfo(organization.time_zone)) + timedelta(days=2)
    booking_services.blackout_set(
        date=party_day + timedelta(days=1), reason="Canary day", closed=True, by=owner
    )
    booking_services.booking_create(
        package=party_package,
        room=room,
        starts_at=datetime.datetime.combine(party_day, datetime.time(9), ZoneInfo(organization.time_zone)),
        customer=canary,
        booked_by=canary,
        guests=5,
        note="canary",
        by=owner,
    )
    booking_services.booking_online_start(
        package=party_package,
        room=room,
        starts_at=datetime.datetime.combine(party_day, datetime.time(14), ZoneInfo(organization.time_zone)),
        customer=canary,
        booked_by=canary,
        guests=5,
        note="canary online",
    )
    canary_club = billing_services.package_save(
        package=Package(name="Canary club", kind="membership", interval="month", price=3000, currency="USD"),
        by=owner,
    )
    billing_services.sale_record(
        package=canary_club,
        customer=canary,
        payer=canary,
        method="card",
        card=card,
        attempt=uuid.uuid4(),
        by=owner,
    )
    billing_accounts.stripe_event_receive(
        event=gateway.StripeEvent(
            id="evt_canary",
            type="payment_intent.succeeded",
            created=1_790_000_000,
            object={"id": "pi_canary", "object": "payment_intent", "description": "canary"},
        )
    )
    form = intake.intake_form_save(
        intake=IntakeForm(
            title="Canary camp form",
            slug="canary-camp",
            intro="Canary camp",
            fields=[
                {"name": name, "required": True} for name in ("first_name", "last_name", "email", song.name)
            ],
            created_by=owner,
        ),
        by=owner,
    )
    # The same address with other answers: they wait for staff as pending changes.
    intake.intake_submit(
        intake=form,
        data={
            "first_name": "Canary-renamed",
            "last_name": "Customer",
            "email": "canary@alpha.example",
            song.name: "Canary warble",
        },
    )
    fledgling = family_services.guest_create(
        guardian=canary,
        data={"first_name": "Canary", "last_name": "Fledgling"},
        relationship=Relationship.PARENT,
        is_primary=True,
        by=owner,
    )
    aviary = family_services.affiliated_organization_save(
        item=AffiliatedOrganization(name="Canary Aviary School", notes="canary")
    )
    family_services.affiliation_add(
        customer=fledgling, affiliated=aviary, role=AffiliationRole.MEMBER, by=owner
    )
    note = note_services.note_add(
        customer=canary, text="Canary note", visibility=Visibility.STAFF, pinned=True, by=owner
    )
    note_services.note_edit(
        note=note, text="Canary note, revised", visibility=Visibility.STAFF, pinned=True, by=owner
    )
    tag = tag_services.tag_save(tag=Tag(name="Canary tag", description="canary"), by=owner)
    tag_services.tag_add(customer=canary, tag=tag, by=owner)
    metric = metric_services.metric_save(metric=Metric(name="Canary laps", unit="canary laps"), by=owner)
    metric_services.entry_record(
        customer=canary, metric=metric, value=3, recorded_on=date(2025, 5, 1), comment="canary", by=owner
    )
    job = import_services.job_create(file=ContentFile(IMPORT_FILE.encode()), file_name="canary.csv", by=owner)
    import_work.job_work(organization=organization, job_id=job.pk)  # read: columns mapped
    job.refresh_from_db()
    import_services.job_map(
        job=job,
        mapping=job.mapping,
        date_format="auto",
        match_key="email",
        mode="upsert",
        skip_errors=True,
        tag_ids=[],
        template_name="Canary template",
        by=owner,
    )
    import_work.job_work(organization=organization, job_id=job.pk)  # dry run: the issue
    import_services.job_start(job=job, by=owner)
    import_work.job_work(organization=organization, job_id=job.pk)  # run: the record of what it made
    api_services.key_create(name="Canary key", scopes=["imports:write"], by=owner)
    hook, _ = webhook_services.endpoint_create(
        url="https://canary.alpha.example/hooks", description="Canary webhook", events=["tag.added"], by=owner
    )
    webhook_services.endpoint_ping(endpoint=hook, by=owner)  # a delivery in its log
    report_services.scheduled_report_create(
        report_key="customers",
        query={"range": "last_month", "every": "week"},
        frequency="monthly",
        weekday=None,
        day_of_month=1,
        hour=6,
        recipients=[Membership.objects.get(user=owner)],
        by=owner,
    )
    invite_settings = invite_selectors.invite_settings()
    invite_settings.subject = "Canary invitation"
    claim_services.invite_settings_save(settings=invite_settings, by=owner)
    invite = claim_services.invite_send(customer=canary, by=owner)
    package_invite_wording = package_selectors.package_invite_settings()
    package_invite_wording.subject = "Canary package invitation"
    package_services.package_invite_settings_save(settings=package_invite_wording, by=owner)
    [package_invite], _ = package_services.package_invites_send(
        package=party, customer_ids=[canary.pk], by=owner
    )
    waiver = waiver_services.waiver_template_create(
        name="Canary waiver", text="canary", validity_months=12, guardian_signs_for_minors=True, by=owner
    )
    waiver_services.waiver_sign(
        template=waiver,
        version=waiver.current_version,
        signer=canary,
        people=[canary, fledgling],
        typed_name="Canary Customer",
        signature_png=signature_png(),
        channel=WaiverChannel.DESK,
        ip=None,
        by=owner,
    )
    [waiver_request] = waiver_services.waiver_request_send(template=waiver, customer=canary, by=owner)
    # The party package and the class need it.
    booking_services.party_package_save(package=party_package, rooms=[room], waivers=[waiver], by=owner)
    class_services.course_save(course=canary_course, passes=[canary_pass], waivers=[waiver], by=owner)
    signup = signups.signup_request(
        email="canary-signup@alpha.example",
        password=PASSWORD,
        channel=Channel.ONLINE_BOOKING,
        details={"first_name": "Canary", "last_name": "Signup"},
    )
    # Canary entered twice (+tag on the same address): the scan pairs them.
    customer_services.customer_create(
        data={"first_name": "Canary", "last_name": "Customer", "email": "canary+twin@alpha.example"}, by=owner
    )
    with mock.patch.object(customer_tasks.duplicates_scan, "delay_on_commit"):
        scan = duplicate_services.duplicates_scan_start(by=owner)
    duplicate_services.duplicates_scan_run(organization=organization, scan_id=scan.pk)
    privacy_services.privacy_settings_save(settings=PrivacySettings(export_days=14), by=owner)
    privacy_services.export_request(customer=canary, by=owner, include_notes=True)
    privacy_services.customer_erase(
        customer=customer_services.customer_create(
            data={"first_name": "Canary", "last_name": "Erased"}, by=owner
        ),
        by=owner,
    )
    with mock.patch.object(customer_services, "BULK_INLINE_LIMIT", 0):  # large enough to be queued
        operation = customer_services.customers_bulk(action="archive", customer_ids=[fledgling.pk], by=owner)
    customer_services.bulk_operation_run(organization=organization, operation_id=operation.pk)
    # A second entry of the canary, merged into it: only the names, so the canary keeps all it has.
    twin = customer_services.customer_create(data={"first_name": "Canary", "last_name": "Customer"}, by=owner)
    customers_merge(survivor=canary, merged=twin, choices={}, by=owner)
    return {
        "join": account_services.staff_invitation_issue_token(invitation=invitation),
        "claim": claim_services.invite_issue_token(invite=invite, reminder=False),
        "package_invite": package_services.package_invite_tokens_issue(
            invite_ids=[package_invite], reminder=False
        )[package_invite],
        "signup": signups.signup_issue_token(signup=signup),
        "email_change": email_change_token(customer=canary, new_email="canary-new@alpha.example"),
        "form_slug": form.slug,
        "waitlist_offer": waitlist_services.waitlist_offer_issue_token(offer=waitlist_offer),
        "waiver_link": waiver_services.waiver_request_issue_token(request=waiver_request),
    }
