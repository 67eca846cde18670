"""A person's data: staff export it (and a customer their own, from the portal), admins erase it with a
certificate, and Settings → Privacy sets how long things are kept."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import TenantModel, tenant
from billing import services as billing_services
from billing.models import Package, Purchase
from customers import merge_services
from customers import services as customer_services
from customers.events import customer_data, event_payload
from customers.extend import PersonErasure, registered
from customers.models import Activity, Customer
from families import services as family_services
from families.models import GuardianLink, Relationship
from imports import services as import_services
from imports.models import ImportJob
from metrics import services as metric_services
from metrics.models import Metric
from notes import services as note_services
from notes.models import Note, Visibility
from privacy import services
from privacy.models import ErasureRecord, PersonExport, PrivacySettings
from tags import services as tag_services
from tags.models import CustomerTag, Tag
from tests.conftest import PASSWORD, logged_in, make_user
from tests.customer_helpers import beta_customer, roster_url  # noqa: F401
from tests.factories import customer
from tests.inbox import emailed_path
from tests.test_api import call, make_key
from tests.waiver_helpers import signature_png
from waivers import services as waiver_services
from waivers.models import Channel as WaiverChannel
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "Zebulon Quixby", "zeb.quixby@example.com", "(312) 555-0199"


def test_every_customer_foreign_key_is_covered_by_an_erasure_part():
    covered = {name for part in registered(PersonErasure) for name in part.covers}
    customer_keys = {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is Customer
    }
    assert customer_keys - covered == set()
    assert covered - customer_keys == set()  # no part names a key that is not there


# The world of one person --------------------------------------------------------------------------------


def a_person_everywhere(owner) -> dict:
    """Zebulon with data in every app: custom profile, notes of each visibility, a tag, a metric, a child, a
    sale, a signed waiver, a webhook delivery and an audit entry that name him, and an earlier entry of his
    merged into this one."""
    zeb = customer(by=owner, first_name="Zebulon", last_name="Quixby", email=EMAIL, phone=PHONE)
    twin = customer(by=owner, first_name="Zeb", last_name="Quixby", phone=PHONE, city="Shelbyville")
    merge_services.customers_merge(survivor=zeb, merged=twin, choices={}, by=owner)
    customer_services.customer_update(
        customer=zeb,
        data={"city": "Springfield", "birthday": timezone.localdate().replace(year=1990)},
        by=owner,
    )
    customer_services.customer_do_not_solicit_set(customer=zeb, do_not_solicit=True, by=owner)
    note_services.note_add(
        customer=zeb, text="Likes the blue room", visibility=Visibility.STAFF, pinned=False, by=owner
    )
    note_services.note_add(
        customer=zeb, text="Owes a favour", visibility=Visibility.PRIVATE, pinned=False, by=owner
    )
    note_services.note_add(
        customer=zeb, text="Admins know", visibility=Visibility.ADMINS, pinned=False, by=owner
    )
    tag = tag_services.tag_save(tag=Tag(name="Regular"), by=owner)
    tag_services.tag_add(customer=zeb, tag=tag, by=owner)
    laps = metric_services.metric_save(metric=Metric(name="Laps", unit="laps"), by=owner)
    metric_services.entry_record(
        customer=zeb, metric=laps, value=12, recorded_on=timezone.localdate(), comment="", by=owner
    )
    kid = family_services.guest_create(
        guardian=zeb,
        data={"first_name": "Kiki", "last_name": "Quixby"},
        relationship=Relationship.PARENT,
        is_primary=True,
        by=owner,
    )
    party = billing_services.package_save(package=Package(name="Party", price=2500, currency="USD"), by=owner)
    billing_services.sale_record(
        package=party, customer=kid, payer=zeb, method="cheque", reference=f"cheque from {NAME}", by=owner
    )
    waiver = waiver_services.waiver_template_create(
        name="Trampoline", text="Risks.", validity_months=12, guardian_signs_for_minors=True, by=owner
    )
    waiver_services.waiver_sign(
        template=waiver,
        version=waiver.current_version,
        signer=zeb,
        people=[zeb, kid],
        typed_name=NAME,
        signature_png=signature_png(),
        channel=WaiverChannel.DESK,
        ip=None,
        by=owner,
    )
    organization = zeb.organization
    webhook_services.endpoint_create(
        url="https://hooks.example/x", description="", events=["customer.created"], by=owner
    )
    webhook_services.deliveries_queue(
        organization=organization,
        payloads=[event_payload(organization, "customer.created", {"customer": customer_data(zeb)})],
    )
    return {"zeb": zeb, "kid": kid}


def zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


# Export -------------------------------------------------------------------------------------------------


def export_built(client, org, person, *, include_notes: bool) -> PersonExport:
    """Start an export from the profile and build it as the worker does."""
    data = {"include_notes": "on"} if include_notes else {}
    assert client.post(f"/app/{org.slug}/customers/{person.pk}/privacy/export/", data).status_code == 302
    with tenant(org):
        export = PersonExport.objects.latest("pk")
    services.export_build(organization=org, export_id=export.pk)
    with tenant(org):
        export.refresh_from_db()
    return export


def test_staff_export_a_person_as_a_zip_of_each_part_with_a_readme(alice_client, alice, org_a, org_b):
    with tenant(org_a):
        world = a_person_everywhere(alice)
    zeb = world["zeb"]
    page = alice_client.get(f"/app/{org_a.slug}/customers/{zeb.pk}/privacy/").text
    assert "Export their data" in page and "No exports yet" in page
    export = export_built(alice_client, org_a, zeb, include_notes=True)
    assert export.status == "ready" and export.percent == 100
    assert "Download ZIP" in alice_client.get(f"/app/{org_a.slug}/customers/{zeb.pk}/privacy/").text
    archive = zip_of(alice_client.get(f"/app/{org_a.slug}/customers/privacy-exports/{export.pk}/download/"))
    names = set(archive.namelist())
    parts = [
        "profile",
        "custom_fields",
        "consents",
        "family",
        "notes",
        "tags",
        "metrics",
        "purchases",
        "payments",
    ]
    for part in [*parts, "waivers", "activity"]:
        assert {f"{part}.json", f"{part}.csv"} <= names
    readme = archive.read("README.txt").decode()
    assert "profile.json, profile.csv: Profile (1)" in readme and "notes.json" in readme
    profile = json.loads(archive.read("profile.json"))[0]
    assert (profile["first_name"], profile["email"], profile["city"]) == ("Zebulon", EMAIL, "Springfield")
    assert json.loads(archive.read("consents.json"))[1] == {
        "consent": "Do not solicit (set by staff)",
        "given": True,
    }
    assert [row["relationship"] for row in json.loads(archive.read("family.json"))] == ["Parent"]
    assert [row["tag__name"] for row in json.loads(archive.read("tags.json"))] == ["Regular"]
    assert json.loads(archive.read("metrics.json"))[0]["value"] == 12
    assert json.loads(archive.read("purchases.json"))[0]["payer_label"] == NAME
    assert json.loads(archive.read("waivers.json"))[0]["typed_name"] == NAME
    assert "Likes the blue room" in archive.read("notes.csv").decode("utf-8-sig")
    with tenant(org_a):
        assert AuditEvent.objects.filter(action="privacy.export_started").count() == 1
        assert AuditEvent.objects.filter(action="privacy.export_downloaded").count() == 1


def test_notes_come_only_when_asked_and_never_private_or_admin_only(alice_client, alice, org_a, org_b):
    with tenant(org_a):
        zeb = a_person_everywhere(alice)["zeb"]
    without = export_built(alice_client, org_a, zeb, include_notes=False)
    archive = zip_of(alice_client.get(f"/app/{org_a.slug}/customers/privacy-exports/{without.pk}/download/"))
    assert json.loads(archive.read("notes.json")) == []
    assert "blue room" not in "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    with_notes = export_built(alice_client, org_a, zeb, include_notes=True)
    archive = zip_of(
        alice_client.get(f"/app/{org_a.slug}/customers/privacy-exports/{with_notes.pk}/download/")
    )
    assert [note["text"] for note in json.loads(archive.read("notes.json"))] == ["Likes the blue room"]
    everything = "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    assert "Owes a favour" not in everything and "Admins know" not in everything


def test_staff_role_may_not_export_erase_or_change_retention(carol_client, alice, org_a, org_b):
    with tenant(org_a):
        zeb = customer(first_name="Zebulon", last_name="Quixby")
    base = f"/app/{org_a.slug}/customers/{zeb.pk}/privacy/"
    assert carol_client.get(base).status_code == 403
    assert carol_client.post(f"{base}export/").status_code == 403
    assert carol_client.post(f"{base}erase/", {"name": "Zebulon Quixby"}).status_code == 403
    assert carol_client.get(f"/app/{org_a.slug}/settings/privacy/").status_code == 403
    assert 'data-tab="privacy"' not in carol_client.get(f"/app/{org_a.slug}/customers/{zeb.pk}/").text
    with tenant(org_a):
        assert not PersonExport.objects.exists() and Customer.objects.get(pk=zeb.pk).first_name == "Zebulon"


def test_another_organizations_customer_export_and_certificate_are_404(
    alice_client,
    bob,
    org_a,
    org_b,
    beta_customer,  # noqa: F811
):
    base = f"/app/{org_a.slug}/customers/{beta_customer.pk}/privacy/"
    assert alice_client.get(base).status_code == 404
    assert alice_client.post(f"{base}export/").status_code == 404
    assert alice_client.get(f"{base}erase/").status_code == 404
    with tenant(org_b):
        record = services.customer_erase(customer=customer(first_name="Other", last_name="Person"), by=bob)
        export = services.export_request(customer=beta_customer, by=bob, include_notes=False)
    assert (
        alice_client.get(
            f"/app/{org_a.slug}/settings/privacy/erasures/{record.pk}/certificate.json"
        ).status_code
        == 404
    )
    assert (
        alice_client.get(f"/app/{org_a.slug}/customers/privacy-exports/{export.pk}/download/").status_code
        == 404
    )


# The customer's own request -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_customer_asks_for_their_data_again_with_password_and_the_link_works_once(
    celery_worker, smtp_server, org_a, org_b
):
    email = "my-data-request@example.com"
    user = make_user(email)
    with tenant(org_a):
        person = customer(first_name="Ada", last_name="Lovelace", email=email)
        Customer.objects.filter(pk=person.pk).update(user=user)
        note_services.note_add(
            customer=person, text="Staff only", visibility=Visibility.STAFF, pinned=False, by=None
        )
    client = logged_in(user)
    page = client.get(f"/{org_a.slug}/account/my-data/")
    assert page.status_code == 200 and "type your password again" in page.text
    refused = client.post(f"/{org_a.slug}/account/my-data/", {"password": "not-it"})
    assert "That is not your password." in refused.text
    with tenant(org_a):
        assert not PersonExport.objects.exists()
    asked = client.post(f"/{org_a.slug}/account/my-data/", {"password": PASSWORD})
    assert asked.status_code == 302
    path = emailed_path(smtp_server.wait_for(email), rf"/{org_a.slug}/my-data/[\w-]+/")
    anonymous = logged_in(make_user("someone-else@example.com"))
    download = anonymous.get(path)
    assert download.status_code == 200
    archive = zip_of(download)
    assert json.loads(archive.read("profile.json"))[0]["email"] == email
    assert json.loads(archive.read("notes.json")) == []  # staff notes are not the customer's to ask for
    assert client.get(path).status_code == 404  # once
    assert "works once" in client.get(path).text
    assert client.get(f"/{org_b.slug}/my-data/{path.rsplit('/', 2)[1]}/").status_code == 404


def test_an_expired_link_is_refused(org_a, org_b):
    with tenant(org_a):
        person = customer(first_name="Ada", last_name="Lovelace", email="late@example.com")
        export = services.export_request(customer=person, by=None, include_notes=False, by_customer=True)
    services.export_build(organization=org_a, export_id=export.pk)
    with tenant(org_a):
        token = services.export_link_issue(export=export)
        PersonExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert logged_in(make_user("late@example.com")).get(f"/{org_a.slug}/my-data/{token}/").status_code == 404


# Erasure ------------------------------------------------------------------------------------------------


def texts_naming(organization, needles: list[str]) -> dict[str, list[str]]:
    """Every text or JSON column of every tenant table that holds one of `needles`, as the app sees it."""
    found = {}
    with tenant(organization):
        for model in apps.get_models():
            if not issubclass(model, TenantModel):
                continue
            columns = [
                field.name
                for field in model._meta.concrete_fields
                if isinstance(field, models.CharField | models.TextField | models.JSONField)
            ]
            for column in columns:
                condition = Q()
                for needle in needles:
                    condition |= Q(as_text__icontains=needle)
                rows = model.objects.annotate(as_text=Cast(column, TextField())).filter(condition)
                if rows.exists():
                    found.setdefault(model._meta.label, []).append(column)
    return found


SIGNED_WAIVER_NAMES = {"waivers.WaiverSignature": ["customer_name", "signer_name", "typed_name"]}


def test_erasure_leaves_the_person_nowhere_but_their_signed_waivers(
    client, alice_client, alice, org_a, org_b, django_capture_on_commit_callbacks
):
    with tenant(org_a):
        world = a_person_everywhere(alice)
    zeb, kid = world["zeb"], world["kid"]
    needles = [NAME, EMAIL, "3125550199", PHONE]
    assert len(texts_naming(org_a, needles)) > 5

    confirm = alice_client.get(f"/app/{org_a.slug}/customers/{zeb.pk}/privacy/erase/").text
    assert "Erase Zebulon Quixby?" in confirm
    assert "Signed waivers" in confirm and "legal records" in confirm and "Accounting records" in confirm
    with tenant(org_a):
        assert Note.objects.filter(customer=zeb).count() == 3  # the preview changed nothing
    wrong = alice_client.post(f"/app/{org_a.slug}/customers/{zeb.pk}/privacy/erase/", {"name": "Zebulon"})
    assert "not the customer&#x27;s name" in wrong.text
    with django_capture_on_commit_callbacks() as callbacks:
        erased = alice_client.post(
            f"/app/{org_a.slug}/customers/{zeb.pk}/privacy/erase/", {"name": " zebulon  quixby "}
        )
    assert erased.status_code == 302
    heard = [payload for callback in callbacks if hasattr(callback, "args") for payload in callback.args[1]]
    [told] = [payload for payload in heard if payload["type"] == "customer.updated"]  # webhooks hear it
    anonymized = {"id": zeb.pk, "first_name": "Erased", "last_name": "customer", "email": ""}
    assert told["data"] == {"customer": anonymized, "changed": ["erased"]}

    assert texts_naming(org_a, needles) == SIGNED_WAIVER_NAMES
    key = make_key(org_a, alice, ("customers:read", "activity:read"))
    read = call(client, "get", f"/api/v1/customers/{zeb.pk}/", key).json()
    assert (read["first_name"], read["last_name"], read["email"], read["phone"]) == (
        "Erased",
        "customer",
        "",
        "",
    )
    listed = call(client, "get", "/api/v1/customers/?archived=any", key).content.decode()
    assert zeb.pk in [item["id"] for item in json.loads(listed)["items"]]
    history = call(client, "get", f"/api/v1/customers/{kid.pk}/activity/", key).content.decode()
    assert not any(needle.lower() in text.lower() for needle in needles for text in (listed, history))
    for query in ("Quixby, Zebulon", "zeb.quixby", "555-0199", "Zebulon"):
        roster = alice_client.get(roster_url(org_a, f"q={query}")).text
        assert "Zebulon" not in roster and EMAIL not in roster
    activity = alice_client.get(f"/app/{org_a.slug}/customers/{kid.pk}/activity/").text
    assert (
        "Zebulon" not in activity and NAME not in alice_client.get(f"/app/{org_a.slug}/settings/audit/").text
    )
    with tenant(org_a):
        row = Customer.objects.get(pk=zeb.pk)
        assert (row.full_name, row.email, row.phone, row.birthday, row.user_id) == (
            "Erased customer",
            "",
            "",
            None,
            None,
        )
        assert row.is_archived and row.name_key == "erased customer" and row.phone_rev == ""
        assert not GuardianLink.objects.exists() and not CustomerTag.objects.exists()
        assert not Note.objects.filter(customer=zeb).exists()
        purchase = Purchase.objects.get()
        assert purchase.payer_id == zeb.pk and purchase.payer_label == "Erased customer"  # kept, anonymized
        assert WebhookDelivery.objects.count() == 1
        assert Activity.objects.filter(customer=zeb, kind="erased").exists()
        record = ErasureRecord.objects.get()
    assert NAME not in record.certificate and EMAIL not in record.certificate
    again = alice_client.get(f"/app/{org_a.slug}/customers/{zeb.pk}/privacy/erase/", follow=True)
    assert "erased already" in again.text and "Erase…" not in again.text  # once


def test_certificate_json_hashes_to_the_hash_it_states_and_the_pdf_prints_it(
    alice_client, alice, org_a, org_b
):
    with tenant(org_a):
        zeb = a_person_everywhere(alice)["zeb"]
    alice_client.post(f"/app/{org_a.slug}/customers/{zeb.pk}/privacy/erase/", {"name": NAME})
    settings_page = alice_client.get(f"/app/{org_a.slug}/settings/privacy/").text
    with tenant(org_a):
        record = ErasureRecord.objects.get()
    assert record.reference in settings_page and "Alice" in settings_page
    base = f"/app/{org_a.slug}/settings/privacy/erasures/{record.pk}/certificate"
    document = alice_client.get(f"{base}.json")
    assert hashlib.sha256(document.content).hexdigest() == record.sha256
    certificate = json.loads(document.content)
    assert certificate["organization"] == org_a.name and certificate["reference"] == record.reference
    lines = {line["what"]: line for line in certificate["parts"]}
    assert lines["Signed waivers"]["action"] == "kept" and "claim" in lines["Signed waivers"]["why"]
    notes = lines["Notes (with their earlier texts, deleted ones included)"]
    assert (notes["part"], notes["action"], notes["count"], notes["why"]) == ("Notes", "erased", 3, "")
    assert lines["Payments and refunds"]["action"] == "kept"
    pdf = alice_client.get(f"{base}.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert alice_client.get(f"{base}.txt").status_code == 404  # only the two formats


# Retention ----------------------------------------------------------------------------------------------


def test_retention_deletes_only_what_is_past_its_time(alice_client, alice, org_a, org_b):
    form = alice_client.post(
        f"/app/{org_a.slug}/settings/privacy/",
        {"archived_erase_months": "0", "import_file_days": "30", "export_days": "7"},
    )
    assert "Enter a number from 1 to 3650." in form.text
    saved = alice_client.post(
        f"/app/{org_a.slug}/settings/privacy/",
        {"archived_erase_months": "6", "import_file_days": "30", "export_days": "7"},
    )
    assert saved.status_code == 302
    now = timezone.now()
    with tenant(org_a):
        assert PrivacySettings.objects.get().archived_erase_months == 6
        long_gone = customer(first_name="Long", last_name="Gone")
        lately = customer(first_name="Lately", last_name="Archived")
        active = customer(first_name="Still", last_name="Here")
        Customer.objects.filter(pk=long_gone.pk).update(archived_at=now - timedelta(days=200))
        Customer.objects.filter(pk=lately.pk).update(archived_at=now - timedelta(days=20))
        old_export = services.export_request(customer=active, by=alice, include_notes=False)
        new_export = services.export_request(customer=active, by=alice, include_notes=False)
    for export in (old_export, new_export):
        services.export_build(organization=org_a, export_id=export.pk)
    with tenant(org_a):
        PersonExport.objects.filter(pk=old_export.pk).update(expires_at=now - timedelta(hours=1))
        jobs = []
        for _ in range(2):
            jobs.append(
                import_services.job_create(
                    file=ContentFile(b"First name\nAnn\n"), file_name="a.csv", by=alice
                )
            )
        ImportJob.objects.filter(pk__in=[job.pk for job in jobs]).update(status="done")
        ImportJob.objects.filter(pk=jobs[0].pk).update(created_at=now - timedelta(days=31))
        done = services.retention_apply()
        assert done == {"exports": 1, "import_files": 1, "customers_erased": 1}
        assert Customer.objects.get(pk=long_gone.pk).full_name == "Erased customer"
        assert Customer.objects.get(pk=lately.pk).full_name == "Lately Archived"
        assert PersonExport.objects.get(pk=old_export.pk).status == "expired"
        assert PersonExport.objects.get(pk=new_export.pk).status == "ready"
        assert [job.file.name == "" for job in ImportJob.objects.order_by("created_at")] == [True, False]
        event = AuditEvent.objects.get(action="privacy.retention_run")
        assert event.detail == "1 archived customers erased, 1 import files and 1 exports deleted"
        assert services.retention_apply() == {"exports": 0, "import_files": 0, "customers_erased": 0}
        assert AuditEvent.objects.filter(action="privacy.retention_run").count() == 1
