"""Families: guardian links and their rules (at the service and in the database), the permission question,
guest members, the People box, the family view, affiliated organizations, exports — and the other tenant."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant
from billing import services as billing
from billing.models import Package
from customers.models import Activity, Customer
from families import services
from families.models import (
    DEFAULT_PERMISSIONS,
    AffiliatedOrganization,
    Affiliation,
    FamilyEvent,
    GuardianLink,
    GuardianPermission,
    Relationship,
)
from families.selectors import guardian_may, household
from tests.factories import customer
from tests.inbox import csv_rows
from tests.test_required_fields import save_grid


def link(guardian, dependant, relationship=Relationship.PARENT, **kwargs):
    return services.link_add(
        guardian=guardian, dependant=dependant, relationship=relationship, by=None, **kwargs
    )


@pytest.fixture
def doe(org_a):
    """Ann and Bob Doe, their children Cy and Di, in org A."""
    with tenant(org_a):
        people = {
            name: customer(
                first_name=name, last_name="Doe", email=f"{name.lower()}@doe.example" if adult else ""
            )
            for name, adult in (("Ann", True), ("Bob", True), ("Cy", False), ("Di", False))
        }
        link(people["Ann"], people["Cy"], is_primary=True)
        link(people["Ann"], people["Di"])
        link(people["Bob"], people["Cy"])
        return people


def test_no_self_links_duplicates_or_cycles(org_a, doe):
    with tenant(org_a):
        grandma = customer(first_name="Gran", last_name="Doe")
        link(grandma, doe["Ann"], Relationship.GRANDPARENT)
        refusals = {
            "own guardian": (doe["Ann"], doe["Ann"]),
            "already a guardian": (doe["Ann"], doe["Cy"]),
            "go round in a circle": (doe["Cy"], grandma),  # Gran → Ann → Cy → Gran
        }
        for message, (guardian, dependant) in refusals.items():
            with pytest.raises(services.FamilyError, match=message):
                link(guardian, dependant)
        # The database refuses them too, whoever writes.
        for guardian, dependant in refusals.values():
            with pytest.raises(IntegrityError), transaction.atomic():
                GuardianLink.objects.create(guardian=guardian, dependant=dependant, relationship="other")
        assert GuardianLink.objects.count() == 4


def test_one_primary_guardian_per_dependant(org_a, doe):
    with tenant(org_a):
        services.link_update(
            link=GuardianLink.objects.get(guardian=doe["Bob"], dependant=doe["Cy"]),
            relationship=Relationship.PARENT,
            is_primary=True,
            permissions=["view_profile"],
            by=None,
        )
        primaries = GuardianLink.objects.filter(dependant=doe["Cy"], is_primary=True)
        assert [item.guardian.first_name for item in primaries] == ["Bob"]
        with pytest.raises(IntegrityError), transaction.atomic():
            GuardianLink.objects.filter(guardian=doe["Ann"], dependant=doe["Cy"]).update(is_primary=True)


@pytest.mark.parametrize("relationship", Relationship.values)
@pytest.mark.parametrize("permission", GuardianPermission.values)
def test_what_a_guardian_may_do(org_a, relationship, permission):
    with tenant(org_a):
        guardian, child, stranger = (customer(first_name=name) for name in ("Gina", "Kid", "Stranger"))
        link(guardian, child, relationship)
        expected = permission in DEFAULT_PERMISSIONS[relationship]
        assert guardian_may(guardian, permission, child) is expected
        assert guardian_may(child, permission, guardian) is False  # not the other way round
        assert guardian_may(stranger, permission, child) is False
        child.archived_at = child.created_at
        assert guardian_may(guardian, permission, child) is False


def test_grandparents_do_not_inherit_through_parents(org_a, doe):
    with tenant(org_a):
        gran = customer(first_name="Gran", last_name="Doe")
        link(gran, doe["Ann"], Relationship.GRANDPARENT)
        assert guardian_may(gran, "book", doe["Ann"]) and not guardian_may(gran, "book", doe["Cy"])


def test_another_organizations_customer_cannot_be_linked(alice_client, org_a, org_b, doe):
    with tenant(org_b):
        theirs = customer(first_name="Zed")
    url = f"/app/{org_a.slug}/families/people/{doe['Ann'].pk}/add/"
    data = {"direction": "dependant", "mode": "existing", "person": theirs.pk, "relationship": "parent"}
    response = alice_client.post(url, data)
    assert "Select a valid choice" in response.text
    assert alice_client.post(f"/app/{org_a.slug}/families/people/{theirs.pk}/add/", data).status_code == 404
    with tenant(org_a):
        assert GuardianLink.objects.count() == 3
        # Even written straight to the database inside org A, the other organization's id is refused.
        with pytest.raises(IntegrityError), transaction.atomic():
            GuardianLink.objects.create(guardian=doe["Ann"], dependant_id=theirs.pk, relationship="parent")
        with pytest.raises(IntegrityError), transaction.atomic():
            Affiliation.objects.create(
                customer_id=theirs.pk, affiliated=AffiliatedOrganization.objects.create(name="Lincoln")
            )


def test_staff_add_a_guest_child_and_an_existing_guardian(alice_client, org_a, doe):
    profile = f"/app/{org_a.slug}/customers/{doe['Ann'].pk}/"
    add = f"/app/{org_a.slug}/families/people/{doe['Ann'].pk}/add/"
    save_grid(
        alice_client, org_a, phone__staff="required", email__staff="required", birthday__staff="required"
    )
    form = alice_client.get(add, headers={"HX-Request": "true"}).text
    assert 'value="Doe"' in form  # the family name is suggested
    guest = {"direction": "dependant", "mode": "new", "relationship": "parent", "guest-first_name": "Eli"}
    response = alice_client.post(add, guest | {"guest-last_name": "Doe"})
    assert "This field is required." in response.text  # the birthday, as the Staff Portal requires
    response = alice_client.post(add, guest | {"guest-last_name": "Doe", "guest-birthday": "2019-02-03"})
    assert response.status_code == 302  # phone and email are not asked of a guest
    with tenant(org_a):
        eli = Customer.objects.get(first_name="Eli")
        assert (eli.email, eli.user) == ("", None)
        assert GuardianLink.objects.filter(guardian=doe["Ann"], dependant=eli).exists()
    page = alice_client.get(profile).text
    assert "Eli Doe" in page and "guest" in page and "Book for them" in page
    # A second guardian, chosen from the roster, from the child's profile.
    with tenant(org_a):
        gran = customer(first_name="Gran", last_name="Doe")
    search = alice_client.get(f"/app/{org_a.slug}/families/people/{eli.pk}/search/?q=gran").text
    assert f'value="{gran.pk}"' in search
    data = {"direction": "guardian", "mode": "existing", "person": gran.pk, "relationship": "grandparent"}
    assert alice_client.post(f"/app/{org_a.slug}/families/people/{eli.pk}/add/", data).status_code == 302
    with tenant(org_a):
        assert guardian_may(gran, "book", eli) and not guardian_may(gran, "edit_profile", eli)
        details = set(
            Activity.objects.filter(kind=FamilyEvent.FAMILY).values_list("customer__first_name", "detail")
        )
    assert ("Eli", "Guardian added: Gran Doe (grandparent)") in details
    assert ("Gran", "Now responsible for Eli Doe (grandparent)") in details


def test_staff_edit_permissions_and_remove_a_link(alice_client, org_a, doe):
    with tenant(org_a):
        bob_cy = GuardianLink.objects.get(guardian=doe["Bob"], dependant=doe["Cy"])
    url = f"/app/{org_a.slug}/families/links/{bob_cy.pk}/"
    assert "This guardian may" in alice_client.get(url).text
    alice_client.post(url, {"relationship": "guardian", "permissions": ["view_profile", "pay"]})
    with tenant(org_a):
        assert guardian_may(doe["Bob"], "pay", doe["Cy"]) and not guardian_may(doe["Bob"], "book", doe["Cy"])
    assert "Pay with own saved cards" in alice_client.get(f"/app/{org_a.slug}/customers/{doe['Cy'].pk}/").text
    alice_client.post(f"{url}remove/")
    with tenant(org_a):
        assert not GuardianLink.objects.filter(pk=bob_cy.pk).exists()
        assert Customer.objects.filter(pk=doe["Bob"].pk).exists()


def test_archiving_a_child_asks_about_the_family_and_a_guardian_keeps_links(alice_client, org_a, doe):
    archive = f"/app/{org_a.slug}/customers/{doe['Cy'].pk}/archive/"
    prompt = alice_client.post(archive)
    assert prompt.status_code == 200 and "is part of a family" in prompt.text and "Ann Doe" in prompt.text
    with tenant(org_a):
        assert Customer.objects.get(pk=doe["Cy"].pk).archived_at is None
    assert alice_client.post(archive, {"confirmed": "1"}).status_code == 302
    assert alice_client.post(f"/app/{org_a.slug}/customers/{doe['Bob'].pk}/archive/").status_code == 302
    with tenant(org_a):
        assert Customer.objects.get(pk=doe["Cy"].pk).archived_at is not None
        assert GuardianLink.objects.filter(guardian=doe["Bob"]).exists()


def test_family_view_shows_the_household_both_ways(alice_client, org_a, doe):
    with tenant(org_a):
        assert set(household(doe["Di"]).people) == {
            person.pk for person in doe.values()
        }  # Di → Ann → Cy → Bob
    page = alice_client.get(f"/app/{org_a.slug}/customers/{doe['Di'].pk}/family/").text
    for name in ("Ann Doe", "Bob Doe", "Cy Doe", "Di Doe"):
        assert name in page
    assert "primary" in page


def test_affiliated_organizations_people_filter_and_export(alice_client, org_a, org_b, doe):
    response = alice_client.post(
        f"/app/{org_a.slug}/families/organizations/new/",
        {
            "name": "Lincoln Elementary",
            "kind": "school",
            "contact_name": "Dana",
            "email": "office@lincoln.example",
        },
    )
    assert response.status_code == 302
    with tenant(org_a):
        lincoln = AffiliatedOrganization.objects.get()
    duplicate = alice_client.post(
        f"/app/{org_a.slug}/families/organizations/new/", {"name": "lincoln elementary", "kind": "school"}
    )
    assert "already an organization with this name" in duplicate.text
    alice_client.post(
        f"/app/{org_a.slug}/families/people/{doe['Bob'].pk}/affiliations/add/",
        {"affiliated": lincoln.pk, "role": "teacher"},
    )
    alice_client.post(
        f"/app/{org_a.slug}/families/people/{doe['Cy'].pk}/affiliations/add/",
        {"affiliated": lincoln.pk, "role": "member"},
    )
    page = alice_client.get(f"/app/{org_a.slug}/families/organizations/{lincoln.pk}/").text
    assert "Bob Doe" in page and "Teacher" in page and "Cy Doe" in page
    roster = alice_client.get(
        f"/app/{org_a.slug}/customers/?affiliation={lincoln.pk}",
        headers={"HX-Request": "true", "HX-Target": "results"},
    ).text
    assert "Doe, Bob" in roster and "Doe, Cy" in roster and "Doe, Ann" not in roster
    rows = {row[0]: row for row in csv_rows(alice_client.get(f"/app/{org_a.slug}/customers/export.csv"))}
    header = rows["First name"]
    cy = dict(zip(header, rows["Cy"], strict=True))
    assert cy["Guardians"] == "Ann Doe (Parent); Bob Doe (Parent)"
    assert cy["Affiliations"] == "Lincoln Elementary (Member)"


def test_other_organizations_affiliations_are_out_of_reach(alice_client, bob_client, org_a, org_b):
    with tenant(org_a):
        lincoln = AffiliatedOrganization.objects.create(name="Lincoln Elementary")
    with tenant(org_b):
        zed = customer(first_name="Zed")
    assert bob_client.get(f"/app/{org_b.slug}/families/organizations/{lincoln.pk}/").status_code == 404
    response = bob_client.post(
        f"/app/{org_b.slug}/families/people/{zed.pk}/affiliations/add/",
        {"affiliated": lincoln.pk, "role": "member"},
    )
    assert response.status_code == 302
    with tenant(org_b):
        assert not Affiliation.objects.exists()
    assert alice_client.get(f"/app/{org_b.slug}/families/").status_code == 404


def test_family_view_lists_every_payment_of_the_household_with_its_total(alice_client, alice, org_a, doe):
    with tenant(org_a):
        camp = billing.package_save(package=Package(name="Camp", price=20000, currency="USD"), by=alice)
        gala = billing.package_save(
            package=Package(name="Stranger gala", price=9900, currency="USD"), by=alice
        )
        childs = billing.sale_record(
            package=camp, customer=doe["Cy"], payer=doe["Ann"], method="cash", by=alice
        )
        billing.payment_refund(payment=childs.payments.get(), amount=5000, reason="Sick day", by=alice)
        billing.sale_record(
            package=camp, customer=doe["Bob"], payer=doe["Bob"], method="cheque", reference="77", by=alice
        )
        stan = customer(first_name="Stan", last_name="Stranger")
        billing.sale_record(package=gala, customer=stan, payer=stan, method="cash", by=alice)
    page = alice_client.get(f"/app/{org_a.slug}/customers/{doe['Di'].pk}/family/").text
    assert "will show here" not in page
    assert "Household total <strong>$350.00</strong>" in page
    assert "($400.00 paid in 2 payments, $50.00 refunded)" in page
    rows = page.split('<table class="table table-sm align-middle family-payments">')[1].split("<tbody>")[1]
    newest, oldest = rows.split("</tr>")[:2]
    assert "Cheque 77" in newest and 'payments/">Bob Doe</a>' in newest
    assert f'/customers/{doe["Cy"].pk}/payments/">Cy Doe</a>' in oldest
    assert f'/customers/{doe["Ann"].pk}/payments/">Ann Doe</a>' in oldest
    assert "$200.00" in oldest and "$50.00" in oldest and "Cash" in oldest
    assert "Stranger" not in page  # not in the family: neither Stan nor his gala


def test_family_payments_take_the_same_queries_however_many_and_page(alice_client, alice, org_a, doe):
    url = f"/app/{org_a.slug}/customers/{doe['Di'].pk}/family/"
    with tenant(org_a):
        camp = billing.package_save(package=Package(name="Camp", price=1000, currency="USD"), by=alice)

        def sell(times):
            for number in range(times):
                child = doe["Cy"] if number % 2 else doe["Di"]
                billing.sale_record(package=camp, customer=child, payer=doe["Ann"], method="cash", by=alice)

        sell(2)
    with CaptureQueriesContext(connection) as few:
        alice_client.get(url)
    with tenant(org_a):
        sell(23)
    with CaptureQueriesContext(connection) as many:
        page = alice_client.get(url).text
    assert len(many) == len(few)
    assert "Household total <strong>$250.00</strong>" in page and "1–20 of 25" in page
    older = alice_client.get(url, {"payments_page": "2"}).text
    assert "21–25 of 25" in older and older.count("<td>Camp</td>") == 5
    assert alice_client.get(url, {"payments_page": "lots"}).status_code == 200
