"""Waivers: admins write them (a new text is a new version that keeps or voids earlier signatures); customers
sign online for themselves and the children they may book for, at the front desk, or from an emailed link;
signed copies are immutable and download as PDF; other apps say what a customer needs and the profile and the
roster show what is missing; the daily beat reminds before a signature ends and records its end."""

import re
import time
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import tenant
from customers import services as customer_services
from customers.demo import demo_customers
from customers.models import Activity, Customer
from families.demo import demo_families
from families.services import link_add
from tests.conftest import logged_in, make_user
from tests.factories import customer
from tests.waiver_helpers import png_data_url, signature_png
from waivers import extend as waivers_extend
from waivers import services
from waivers.demo import demo_waivers
from waivers.extend import register_requirement, unregister_requirement
from waivers.models import Channel, Status, WaiverAudit, WaiverEvent, WaiverRequest, WaiverSignature
from waivers.selectors import missing_waivers, status_of, with_missing_waivers
from waivers.tasks import waivers_daily

TEXT = "Jumping is fun and has risks.\nFollow the staff's rules."


def signed_form(world, people, **extra) -> dict:
    return {
        "signer": world["pat"].pk,
        "people": [person.pk for person in people],
        "typed_name": "Pat Parent",
        "agree": "on",
        "signature": png_data_url(),
        "version": world["template"].current_version_id,
        **extra,
    }


def sign_directly(template, person, signer, *, signed_at, valid_until):
    """A signed copy dated in the past, as the beat finds it a year on (signing stamps now)."""
    return WaiverSignature.objects.create(
        version=template.current_version,
        customer=person,
        customer_name=person.full_name,
        signer=signer,
        signer_name=signer.full_name,
        typed_name=signer.full_name,
        signature_png=signature_png(),
        signed_at=signed_at,
        valid_until=valid_until,
        channel=Channel.DESK,
    )


@pytest.fixture
def world(org_a, org_b, alice, bob):
    """Alpha's "Play waiver" (a year; a guardian signs for children); Pat (a portal login) looks after Kim
    (7); Sam's child Lou is a stranger's child to Pat. Beta has a waiver and a customer of its own."""
    pat_user = make_user("pat@alpha.example")
    with tenant(org_a):
        template = services.waiver_template_create(
            name="Play waiver", text=TEXT, validity_months=12, guardian_signs_for_minors=True, by=alice
        )
        pat = customer_services.customer_create(
            data={"first_name": "Pat", "last_name": "Parent", "email": "pat@alpha.example"},
            by=alice,
            user=pat_user,
        )
        kim = customer(first_name="Kim", last_name="Parent", birthday=date(2018, 5, 1), by=alice)
        link_add(guardian=pat, dependant=kim, relationship="parent", by=alice)
        sam = customer(first_name="Sam", last_name="Stone", email="sam@alpha.example", by=alice)
        lou = customer(first_name="Lou", last_name="Stone", birthday=date(2017, 1, 1), by=alice)
        link_add(guardian=sam, dependant=lou, relationship="parent", by=alice)
    with tenant(org_b):
        beta_template = services.waiver_template_create(
            name="Beta waiver", text="Beta", validity_months=None, guardian_signs_for_minors=False, by=bob
        )
        beta_customer = customer(first_name="Bea", last_name="Beta", by=bob)
    return {
        "org": org_a,
        "template": template,
        "pat": pat,
        "pat_user": pat_user,
        "kim": kim,
        "lou": lou,
        "beta_template": beta_template,
        "beta_customer": beta_customer,
    }


def desk_sign(world, person, signer):
    return services.waiver_sign(
        template=world["template"],
        version=world["template"].current_version,
        signer=signer,
        people=[person],
        typed_name=signer.full_name,
        signature_png=signature_png(),
        channel=Channel.DESK,
        ip="127.0.0.1",
    )


def test_a_new_text_is_a_new_version_that_keeps_or_voids_earlier_signatures(alice_client, world, org_a):
    page = alice_client.get("/app/alpha/settings/waivers/")
    assert "Play waiver" in page.text and "12 months" in page.text
    created = alice_client.post(
        "/app/alpha/settings/waivers/new/",
        {"name": "Camp release", "text": "Camp", "validity_months": "", "guardian_signs_for_minors": "on"},
    )
    assert created.status_code == 302
    refused = alice_client.post("/app/alpha/settings/waivers/new/", {"name": "play WAIVER", "text": " "})
    assert "Another waiver has this name" in refused.text and "This field is required" in refused.text
    template = world["template"]
    with tenant(org_a):
        desk_sign(world, world["kim"], world["pat"])
        assert status_of(world["kim"], template) == Status.VALID
    edit = f"/app/alpha/settings/waivers/{template.pk}/"
    form = {"name": "Play waiver", "validity_months": "12", "guardian_signs_for_minors": "on"}
    alice_client.post(edit, form | {"text": TEXT + "\nSocks on.", "on_change": "keep"})
    with tenant(org_a):
        template.refresh_from_db()
        assert template.current_version.number == 2 and template.accepted_from == 1
        assert status_of(world["kim"], template) == Status.VALID  # a clarification: still counts
    response = alice_client.post(edit, form | {"text": "All new rules.", "on_change": "resign"}, follow=True)
    assert "version 3 saved: everyone signs it again" in response.text
    with tenant(org_a):
        template.refresh_from_db()
        assert template.current_version.number == 3 and template.accepted_from == 3
        assert status_of(world["kim"], template) == Status.EXPIRED
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert {WaiverAudit.CREATED, WaiverAudit.VERSION} <= actions
    tab = alice_client.get(f"/app/alpha/customers/{world['kim'].pk}/waivers/").text
    assert "Re-signing required" in tab and "Sign now at the desk" in tab
    # The same settings without a new text make no version.
    alice_client.post(edit, form | {"text": "All new rules.", "on_change": "resign", "validity_months": "6"})
    with tenant(org_a):
        template.refresh_from_db()
        assert template.current_version.number == 3 and template.validity_months == 6
    alice_client.post(f"/app/alpha/settings/waivers/{template.pk}/archive/")
    assert "Archived waivers" in alice_client.get("/app/alpha/settings/waivers/").text


def test_staff_without_settings_may_sign_at_the_desk_but_not_edit_waivers(carol_client, world):
    assert carol_client.get("/app/alpha/settings/waivers/").status_code == 403
    assert carol_client.get("/app/alpha/waivers/sign/?q=parent").status_code == 200


def test_a_guardian_signs_online_for_a_child_and_is_refused_for_a_strangers_child(world, org_a):
    pat = logged_in(world["pat_user"])
    url = f"/alpha/waivers/{world['template'].pk}/sign/"
    page = pat.get(url, {"next": "/alpha/account/"}).text
    assert "Kim Parent" in page and "Lou Stone" not in page and "Jumping is fun" in page
    refused = pat.post(url, signed_form(world, [world["lou"]]))
    assert "Select a valid choice" in refused.text
    done = pat.post(url, signed_form(world, [world["kim"]], next="/alpha/account/"))
    assert done.status_code == 302 and done.url == "/alpha/account/"
    elsewhere = pat.post(url, signed_form(world, [world["pat"]], next="https://evil.example/"))
    assert elsewhere.url == "/alpha/account/waivers/"
    with tenant(org_a):
        signature = WaiverSignature.objects.get(customer=world["kim"])
        how = (signature.signer_id, signature.channel, signature.ip)
        assert how == (world["pat"].pk, "online", "127.0.0.1")
        assert signature.valid_until.date() > (timezone.now() + timedelta(days=360)).date()
        assert Activity.objects.filter(customer=world["kim"], kind=WaiverEvent.SIGNED).exists()
        assert not WaiverSignature.objects.filter(customer=world["lou"]).exists()
        with pytest.raises(services.WaiverError, match="may not sign for Lou Stone"):
            desk_sign(world, world["lou"], world["pat"])
        with pytest.raises(services.WaiverError, match="A guardian signs this waiver"):
            desk_sign(world, world["kim"], world["kim"])
    mine = pat.get("/alpha/account/waivers/").text
    assert "Play waiver for Kim Parent" in mine and "Play waiver for Pat Parent" in mine


def test_the_other_organizations_ids_are_not_found(bob_client, world, org_a, org_b, alice):
    with tenant(org_a):
        [signature] = desk_sign(world, world["kim"], world["pat"])
    template = world["template"]
    for url in (
        f"/app/beta/settings/waivers/{template.pk}/",
        f"/app/beta/settings/waivers/{template.pk}/signatures/",
        f"/app/beta/customers/waivers/signatures/{signature.pk}/pdf/",
        f"/app/beta/customers/{world['kim'].pk}/waivers/",
        f"/app/beta/waivers/sign/{world['beta_customer'].pk}/{template.pk}/",
        f"/app/beta/waivers/sign/{world['kim'].pk}/{world['beta_template'].pk}/",
        f"/app/alpha/settings/waivers/{template.pk}/",
    ):
        assert bob_client.get(url).status_code == 404, url
    assert bob_client.post(f"/app/beta/settings/waivers/{template.pk}/archive/").status_code == 404
    # In the portal, a signed copy is only for whom it was signed (or by whom).
    with tenant(org_a):
        stranger = make_user("stranger@alpha.example")
        customer_services.customer_create(
            data={"first_name": "Stan", "last_name": "Ger", "email": "stranger@alpha.example"},
            by=alice,
            user=stranger,
        )
    assert logged_in(stranger).get(f"/alpha/account/waivers/{signature.pk}/pdf/").status_code == 404


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("", "Draw your signature in the box."),
        (png_data_url(blank=True), "Draw your signature in the box."),
        ("data:image/jpeg;base64,/9j/4AAQSkZJRg==", "must be a PNG image"),
        ("data:image/png;base64,R0lGODlhbm90IGEgcG5n", "must be a PNG image"),
        ("data:image/png;base64,%%%not-base64", "must be a PNG image"),
        (png_data_url(noise=True), "too large"),
        (png_data_url(size=(3000, 100)), "too large"),
    ],
    ids=["missing", "empty", "jpeg", "not-an-image", "garbage", "too-many-bytes", "too-wide"],
)
def test_bad_signature_images_are_refused(alice_client, world, org_a, signature, message):
    url = f"/app/alpha/waivers/sign/{world['kim'].pk}/{world['template'].pk}/"
    response = alice_client.post(url, signed_form(world, [world["kim"]], signature=signature))
    assert response.status_code == 200 and message in response.text
    with tenant(org_a):
        assert not WaiverSignature.objects.exists()


def test_staff_hand_over_the_kiosk_where_a_guardian_signs_for_a_child(alice_client, world, org_a):
    picked = alice_client.get("/app/alpha/waivers/sign/", {"q": "kim parent"}).text
    kiosk_url = f"/app/alpha/waivers/sign/{world['kim'].pk}/{world['template'].pk}/"
    assert kiosk_url in picked
    kiosk = alice_client.get(kiosk_url).text
    assert "Waiver for Kim Parent" in kiosk and "Pat Parent" in kiosk
    assert 'aria-label="Main"' not in kiosk and "/customers/" not in kiosk  # no menu, no way to the roster
    # Kim is 7: a guardian signs.
    assert re.search(rf'<option value="{world["kim"].pk}"[^>]*>Kim', kiosk) is None
    done = alice_client.post(kiosk_url, signed_form(world, [world["kim"]]))
    assert "Done — next person" in done.text and "is signed for Kim Parent" in done.text
    with tenant(org_a):
        signature = WaiverSignature.objects.get()
        assert signature.channel == "desk" and signature.witnessed_by.email == "alice@alpha.example"
    # Lou's guardian is not Pat: Pat can't be chosen to sign for Lou.
    lou_url = f"/app/alpha/waivers/sign/{world['lou'].pk}/{world['template'].pk}/"
    assert "Select a valid choice" in alice_client.post(lou_url, signed_form(world, [world["lou"]])).text


def test_signed_copies_are_immutable(world, org_a):
    with tenant(org_a):
        [signature] = desk_sign(world, world["kim"], world["pat"])
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            WaiverSignature.objects.filter(pk=signature.pk).update(typed_name="Someone else")
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            WaiverSignature.objects.filter(pk=signature.pk).update(valid_until=None)
        # Bookkeeping changes, once.
        WaiverSignature.objects.filter(pk=signature.pk).update(reminded_at=timezone.now())
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            WaiverSignature.objects.filter(pk=signature.pk).update(reminded_at=None)
        # Deleting the signer clears the link; the name stays.
        customer_services.customer_delete(customer=world["pat"], by=None)
        signature.refresh_from_db()
        assert signature.signer_id is None and signature.signer_name == "Pat Parent"


def test_signed_copies_download_as_pdf_for_staff_and_the_guardian(alice_client, world, org_a):
    with tenant(org_a):
        [signature] = services.waiver_sign(
            template=world["template"],
            version=world["template"].current_version,
            signer=world["pat"],
            people=[world["kim"]],
            typed_name="Pat Parent",
            signature_png=signature_png(),
            channel=Channel.ONLINE,
            ip="203.0.113.9",
        )
    staff = alice_client.get(f"/app/alpha/customers/waivers/signatures/{signature.pk}/pdf/")
    assert staff["Content-Type"] == "application/pdf" and staff.content.startswith(b"%PDF")
    assert "attachment" in staff["Content-Disposition"]
    guardian = logged_in(world["pat_user"]).get(f"/alpha/account/waivers/{signature.pk}/pdf/")
    assert guardian.content.startswith(b"%PDF")
    tab = alice_client.get(f"/app/alpha/customers/{world['kim'].pk}/waivers/").text
    assert "Pat Parent" in tab and f"/signatures/{signature.pk}/pdf/" in tab and "Valid" in tab


def test_missing_waivers_come_from_what_other_apps_require(
    alice_client, world, org_a, django_assert_num_queries, monkeypatch
):
    template = world["template"]
    monkeypatch.setattr(waivers_extend, "_REQUIREMENTS", [])  # only this test's requirement, not bookings'

    def party_guests(customer_ids):
        return {pk: [(template, "Party on Sat 12 Dec")] for pk in customer_ids if pk in guests}

    guests = {world["kim"].pk, world["pat"].pk}
    register_requirement(party_guests)
    try:
        with tenant(org_a):
            assert set(missing_waivers([world["kim"].pk, world["pat"].pk, world["lou"].pk])) == guests
            desk_sign(world, world["kim"], world["pat"])
            assert missing_waivers(list(guests)) == {world["pat"].pk: [(template, "Party on Sat 12 Dec")]}
            rows = [world["kim"], world["pat"], world["lou"]]
            with django_assert_num_queries(1):  # one for the statuses of the whole page
                with_missing_waivers(rows, None)
            assert [len(row.missing_waivers) for row in rows] == [0, 1, 0]
        roster = alice_client.get("/app/alpha/customers/", {"q": "parent"}).text
        assert roster.count("missing waiver") == 1 and "Play waiver (Party on Sat 12 Dec)" in roster
        tab = alice_client.get(f"/app/alpha/customers/{world['pat'].pk}/waivers/").text
        assert "Party on Sat 12 Dec" in tab and "Sign now at the desk" in tab
    finally:
        unregister_requirement(party_guests)


@pytest.mark.django_db(transaction=True)
def test_an_emailed_link_lets_the_guardian_sign_once_without_logging_in(
    celery_worker, smtp_server, alice_client, world, org_a, client
):
    kim, template = world["kim"], world["template"]
    response = alice_client.post(f"/app/alpha/customers/{kim.pk}/waivers/{template.pk}/email/", follow=True)
    assert "on its way to pat@alpha.example" in response.text
    message = smtp_server.wait_for("pat@alpha.example", subject="Please sign: Play waiver")
    body = message.get_payload(decode=True).decode()
    assert "Hello Pat" in body and "for Kim Parent" in body
    path = re.search(r"https?://[^/\s]+(/alpha/waivers/link/[^\s]+/)", body).group(1)
    assert "Hello Pat, please read and sign" in client.get(path).text
    assert client.get(path.replace("/alpha/", "/beta/")).status_code == 404  # another organization's link
    signed = client.post(path, signed_form(world, [kim]))
    assert "is signed for Kim Parent" in signed.text
    with tenant(org_a):
        assert WaiverSignature.objects.get(customer=kim).channel == "email"
        assert WaiverRequest.objects.get().used_at is not None
        assert Activity.objects.filter(customer=kim, kind=WaiverEvent.REQUESTED).exists()
    assert client.get(path).status_code == 404  # single use


@pytest.mark.django_db(transaction=True)
def test_the_daily_beat_reminds_before_a_signature_ends_and_records_its_end_once(
    celery_worker, smtp_server, world, org_a
):
    now = timezone.now()
    template, kim, pat, lou = world["template"], world["kim"], world["pat"], world["lou"]
    with tenant(org_a):
        days = timedelta(days=1)
        sign_directly(template, kim, pat, signed_at=now - 355 * days, valid_until=now + 10 * days)
        sign_directly(template, lou, lou, signed_at=now - 400 * days, valid_until=now - 35 * days)
        later = sign_directly(template, pat, pat, signed_at=now - 5 * days, valid_until=now + 360 * days)
        # Replaced by a later signature: neither reminded nor recorded as expired.
        sign_directly(template, pat, pat, signed_at=now - 380 * days, valid_until=now - 15 * days)
    before = len(smtp_server.messages)
    assert waivers_daily() == {"reminded": 1, "expired": 1}
    reminder = smtp_server.wait_for("pat@alpha.example", subject="Time to renew: Play waiver")
    assert "Kim's signed" in reminder.get_payload(decode=True).decode()
    with tenant(org_a):
        expired = Activity.objects.get(kind=WaiverEvent.EXPIRED)
        assert expired.customer_id == lou.pk
        assert WaiverSignature.objects.get(pk=later.pk).reminded_at is None
    assert waivers_daily() == {"reminded": 0, "expired": 0}
    time.sleep(2)  # whatever a second run might have queued has reached the mail server
    assert len(smtp_server.messages) - before == 1


def test_the_demo_waiver_is_signed_for_children_one_expiring_and_one_expired(org_a, alice):
    with tenant(org_a):
        people = Customer.objects.bulk_create(demo_customers(count=120, seed=3))
        demo_families(people, seed=3)
        demo_waivers(people, seed=3, by=alice, count=12)
        signatures = list(WaiverSignature.objects.select_related("version__template"))
        assert len(signatures) == 12
        assert all(signature.customer.age < 18 for signature in signatures)
        found = [status_of(signature.customer, signature.version.template) for signature in signatures]
        assert found.count(Status.EXPIRING) == 1 and found.count(Status.EXPIRED) == 1
