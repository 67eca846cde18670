"""Merging two customers: every app's rows move through its handler, the merged-away entry becomes a tombstone
whose links lead to the survivor, and an undo within 30 days puts every row back."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tenancy import TenantModel, tenant
from customers import merge_services
from customers import services as customer_services
from customers.merge import handlers
from customers.models import Activity, Customer, FieldType, Merge
from families import services as family_services
from families.models import GuardianLink, Relationship
from notes import services as note_services
from notes.models import Note, Visibility
from tags import services as tag_services
from tags.models import CustomerTag, Tag
from tests.canaries import canaries_seed
from tests.conftest import logged_in, make_member, make_user
from tests.custom_field_helpers import make_field
from tests.factories import customer
from tests.test_api import call, make_key


def merge_url(org, a, b) -> str:
    return reverse("customers:merge", kwargs={"org_slug": org.slug, "pk": a.pk, "other_pk": b.pk})


def tenant_rows() -> dict[str, dict]:
    """Every row of every tenant table of the current organization: {model: {pk: {column: value}}}."""
    return {
        model._meta.label: {row["id"]: row for row in model._base_manager.values()}
        for model in apps.get_models()
        if issubclass(model, TenantModel)
    }


@pytest.fixture
def pair(org_a, alice):
    """Two entries of one person in Alpha: Pat (older, the survivor on the page) and Patricia (newer)."""
    with tenant(org_a):
        pat = customer(by=alice, first_name="Pat", last_name="Lee", phone="555-0100", city="Austin")
        patricia = customer(by=alice, first_name="Patricia", last_name="Lee", email="pat@example.com")
        vip = tag_services.tag_save(tag=Tag(name="VIP"), by=alice)
        tag_services.tag_add(customer=pat, tag=vip, by=alice)
        tag_services.tag_add(customer=patricia, tag=vip, by=alice)
        tag_services.tag_add(
            customer=patricia, tag=tag_services.tag_save(tag=Tag(name="Swim"), by=alice), by=alice
        )
        note_services.note_add(
            customer=pat, text="Likes slides", visibility=Visibility.STAFF, pinned=False, by=alice
        )
        note_services.note_add(
            customer=patricia, text="Peanut allergy", visibility=Visibility.STAFF, pinned=False, by=alice
        )
    return pat, patricia


def test_every_foreign_key_to_a_customer_has_a_merge_handler():
    owned = {(label, name) for handler in handlers() for label, name in handler.fields}
    keys = {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is Customer
    }
    assert keys - owned == set(), (
        "register a customers.extend.MergeHandler for these in the app's extensions.py"
    )
    assert owned - keys == set(), "a handler names a key that does not exist"


def test_preview_shows_both_sides_and_the_merge_applies_the_picked_fields(org_a, alice, alice_client, pair):
    pat, patricia = pair
    with tenant(org_a):
        size = make_field("T-shirt size", FieldType.TEXT)
        customer_services.customer_update(customer=patricia, data={size.name: "M"}, by=alice)
    page = alice_client.get(merge_url(org_a, pat, patricia))
    html = page.content.decode()
    assert page.status_code == 200
    assert "pat@example.com" in html and "555-0100" in html and "T-shirt size" in html
    assert 'name="field_email" value="b" id="field_email_b" checked' in html  # the only email wins by default

    response = alice_client.post(
        merge_url(org_a, pat, patricia),
        {
            "keep": "a",
            "field_first_name": "b",
            "field_last_name": "a",
            "field_city": "a",
            f"field_{size.name}": "b",
        },
    )
    assert response.status_code == 302
    with tenant(org_a):
        pat.refresh_from_db()
        tombstone = Customer.objects.with_tombstones().get(pk=patricia.pk)
        assert (pat.first_name, pat.email, pat.phone, pat.city) == (
            "Patricia",
            "pat@example.com",
            "555-0100",
            "Austin",
        )
        assert tombstone.merged_into_id == pat.pk and tombstone.email == ""
        assert sorted(CustomerTag.objects.filter(customer=pat).values_list("tag__name", flat=True)) == [
            "Swim",
            "VIP",
        ]
        assert Note.objects.filter(customer=pat).count() == 2
        assert Activity.objects.filter(customer=pat, kind="merged").exists()
    profile = alice_client.get(reverse("profile_notes:tab", kwargs={"org_slug": org_a.slug, "pk": pat.pk}))
    assert "Peanut allergy" in profile.content.decode() and "Likes slides" in profile.content.decode()


def test_a_tombstone_leaves_the_roster_and_its_links_lead_to_the_survivor(org_a, alice, alice_client, pair):
    pat, patricia = pair
    with tenant(org_a):
        merge_services.customers_merge(survivor=pat, merged=patricia, choices={}, by=alice)
    roster = alice_client.get(
        reverse("customers:roster", kwargs={"org_slug": org_a.slug}), {"q": "pat@example"}
    )
    assert f"/customers/{patricia.pk}/" not in roster.content.decode()
    with tenant(org_a):
        assert list(Customer.objects.values_list("pk", flat=True)) == [pat.pk]
    old = reverse("customers:profile", kwargs={"org_slug": org_a.slug, "pk": patricia.pk})
    response = alice_client.get(old + "activity/?kind=profile")
    assert response.status_code == 302
    assert response["Location"] == f"/app/{org_a.slug}/customers/{pat.pk}/activity/?kind=profile"
    assert alice_client.post(old + "archive/")["Location"] == f"/app/{org_a.slug}/customers/{pat.pk}/"
    # A tab asked by htmx from the gone customer's page loads the survivor's whole page.
    tab = alice_client.get(old + "notes/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="profile-panel")
    assert tab.status_code == 200 and tab["HX-Redirect"] == f"/app/{org_a.slug}/customers/{pat.pk}/notes/"
    action = alice_client.post(old + "notes/add/", {"text": "Hi"}, HTTP_HX_REQUEST="true")
    assert action["HX-Redirect"] == f"/app/{org_a.slug}/customers/{pat.pk}/"


def test_two_logins_need_the_staff_member_to_pick_one_and_the_other_is_unlinked(
    org_a, alice, alice_client, pair
):
    pat, patricia = pair
    pats_login, patricias_login = make_user("pat@login.example"), make_user("patricia@login.example")
    with tenant(org_a):
        Customer.objects.filter(pk=pat.pk).update(user=pats_login)
        Customer.objects.filter(pk=patricia.pk).update(user=patricias_login)
    assert "Login for the portal" in alice_client.get(merge_url(org_a, pat, patricia)).content.decode()
    refused = alice_client.post(merge_url(org_a, pat, patricia), {"keep": "a"})
    assert "choose which one keeps the portal" in refused.content.decode()
    alice_client.post(merge_url(org_a, pat, patricia), {"keep": "a", "login": "b"})
    with tenant(org_a):
        assert Customer.objects.get(pk=pat.pk).user == patricias_login
        assert Customer.objects.with_tombstones().get(pk=patricia.pk).user is None
    assert pats_login.__class__.objects.filter(pk=pats_login.pk).exists()  # unlinked, not deleted


def test_a_merge_that_would_make_a_family_circle_is_refused_with_the_reason(org_a, alice, alice_client, pair):
    pat, patricia = pair
    with tenant(org_a):
        kid = customer(by=alice, first_name="Kid", last_name="Lee")
        family_services.link_add(guardian=pat, dependant=kid, relationship=Relationship.PARENT, by=alice)
        family_services.link_add(guardian=kid, dependant=patricia, relationship=Relationship.OTHER, by=alice)
    page = alice_client.get(merge_url(org_a, pat, patricia)).content.decode()
    assert "would make a circle" in page
    response = alice_client.post(merge_url(org_a, pat, patricia), {"keep": "a"})
    assert "would make a circle" in response.content.decode()
    with tenant(org_a):
        assert Customer.objects.filter(pk=patricia.pk).exists()
        assert GuardianLink.objects.filter(guardian=kid, dependant=patricia).exists()


def test_another_organizations_customer_and_merge_are_404(org_a, org_b, alice, bob, bob_client, pair):
    pat, patricia = pair
    with tenant(org_a):
        record = merge_services.customers_merge(survivor=pat, merged=patricia, choices={}, by=alice)
    with tenant(org_b):
        bobs = customer(by=bob, first_name="Bo", last_name="B")
    assert bob_client.get(merge_url(org_b, bobs, pat)).status_code == 404
    assert bob_client.post(merge_url(org_b, bobs, pat), {"keep": "a"}).status_code == 404
    undo = reverse("customers:merge_undo", kwargs={"org_slug": org_b.slug, "merge_pk": record.pk})
    assert bob_client.post(undo).status_code == 404
    assert bob_client.get(f"/app/{org_b.slug}/customers/{patricia.pk}/").status_code == 404


def test_staff_without_the_merge_permission_are_refused(org_a, carol, carol_client, pair):
    pat, patricia = pair
    assert carol_client.get(merge_url(org_a, pat, patricia)).status_code == 403
    assert carol_client.post(merge_url(org_a, pat, patricia), {"keep": "a"}).status_code == 403
    assert "Merge with" not in carol_client.get(f"/app/{org_a.slug}/customers/{pat.pk}/").content.decode()


def test_undo_puts_every_row_of_every_table_back_and_keeps_what_was_added_since(org_a, alice, alice_client):
    make_member(org_a, Role.STAFF, "canary-staff@alpha.example")
    with tenant(org_a):
        canaries_seed(organization=org_a, owner=alice)
        canary = Customer.objects.get(email="canary@alpha.example")
        sam = customer(by=alice, first_name="Sam", last_name="Canary", email="sam@alpha.example")
        tag_services.tag_add(customer=sam, tag=Tag.objects.get(name="Canary tag"), by=alice)
        before = tenant_rows()
        merge_services.customers_merge(survivor=sam, merged=canary, choices={"email": "merged"}, by=alice)
        moved = tenant_rows()
    # Nothing of any app still points at the tombstone but merges (the canary's twin was merged into it) and
    # its own event.
    leftovers = [
        (label, field.name)
        for model in apps.get_models()
        if issubclass(model, TenantModel)
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is Customer
        for label in [model._meta.label]
        for row in moved[label].values()
        if row[field.attname] == canary.pk
    ]
    assert sorted(set(leftovers)) == [
        ("customers.Activity", "customer"),
        ("customers.Merge", "merged"),
        ("customers.Merge", "survivor"),
    ]
    assert {row["merged_into_id"] for row in moved["customers.Customer"].values()} == {None, sam.pk}

    alice_client.post(
        reverse("customers:edit", kwargs={"org_slug": org_a.slug, "pk": sam.pk}),
        {"first_name": "Samuel", "last_name": "Canary", "email": "canary@alpha.example"},
    )
    with tenant(org_a):
        note = note_services.note_add(
            customer=sam, text="Added after the merge", visibility=Visibility.STAFF, pinned=False, by=alice
        )
        record = Merge.objects.get(merged=canary)
    page = alice_client.get(
        reverse("customers:merge_undo", kwargs={"org_slug": org_a.slug, "merge_pk": record.pk})
    )
    assert "Notes: 1" in page.content.decode()
    alice_client.post(reverse("customers:merge_undo", kwargs={"org_slug": org_a.slug, "merge_pk": record.pk}))

    with tenant(org_a):
        after = tenant_rows()
        assert Note.objects.get(pk=note.pk).customer_id == sam.pk
    bookkeeping = {"updated_at", "last_activity_at"}
    for label, rows in before.items():
        for pk, row in rows.items():
            now = after[label].get(pk)
            if label == "customers.Customer":
                row = {k: v for k, v in row.items() if k not in bookkeeping}
                now = now and {k: v for k, v in now.items() if k not in bookkeeping}
            assert now == row, f"{label} #{pk} differs after the undo"
    added = {label for label, rows in after.items() if set(rows) - set(before[label])}
    assert added <= {
        "customers.Activity",
        "customers.Merge",
        "accounts.AuditEvent",
        "notes.Note",
        "notes.NoteWord",
    }


def test_an_undo_after_30_days_is_refused(org_a, alice, alice_client, pair):
    pat, patricia = pair
    with tenant(org_a):
        record = merge_services.customers_merge(survivor=pat, merged=patricia, choices={}, by=alice)
        Merge.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(days=31))
    url = reverse("customers:merge_undo", kwargs={"org_slug": org_a.slug, "merge_pk": record.pk})
    assert "this one is final" in alice_client.get(url).content.decode()
    response = alice_client.post(url)
    assert "30 days only" in response.content.decode()
    with tenant(org_a):
        assert Customer.objects.with_tombstones().get(pk=patricia.pk).merged_into_id == pat.pk


def test_merging_a_customer_into_itself_or_a_tombstone_is_refused(org_a, alice, alice_client, pair):
    pat, patricia = pair
    assert "cannot be merged with themselves" in alice_client.get(merge_url(org_a, pat, pat)).content.decode()
    with tenant(org_a):
        merge_services.customers_merge(survivor=pat, merged=patricia, choices={}, by=alice)
        kim = customer(by=alice, first_name="Kim", last_name="Lee")
        with pytest.raises(merge_services.MergeRefused):
            merge_services.customers_merge(survivor=kim, merged=patricia, choices={}, by=alice)
    assert logged_in(alice).get(merge_url(org_a, kim, patricia)).status_code == 404  # gone from the roster


def test_the_api_leaves_a_tombstone_out_of_lists_and_points_at_the_survivor(client, org_a, alice, pair):
    pat, patricia = pair
    key = make_key(org_a, alice, ("customers:read",))
    with tenant(org_a):
        merge_services.customers_merge(survivor=pat, merged=patricia, choices={}, by=alice)
    listed = call(client, "get", "/api/v1/customers/", key).json()
    assert [item["id"] for item in listed["items"]] == [pat.pk]
    gone = call(client, "get", f"/api/v1/customers/{patricia.pk}/", key)
    assert gone.status_code == 404 and gone["Location"] == f"/api/v1/customers/{pat.pk}/"
    assert gone.json()["detail"] == f"This customer was merged into customer {pat.pk}."
