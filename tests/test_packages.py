"""Settings → Packages: what a business sells, priced in minor units of its currency, archived not deleted,
every change in the audit log, and no other organization or role reaching it."""

import pytest
from django.db import IntegrityError

from accounts.models import AuditEvent
from accounts.tenancy import tenant
from billing import services
from billing.models import Package, PackageAudit

PACKAGES = "/app/{slug}/settings/packages/"


def form(**fields) -> dict:
    return {
        "name": "Birthday party — Classic",
        "description": "Two hours, twelve kids.",
        "kind": "one_time",
        "price_amount": "299.00",
        "tax_rate": "8.25",
        "capacity": "40",
        "visibility": "public",
        "for_whom": "child",
        "min_age": "3",
        "max_age": "12",
        "sale_starts_at": "",
        "sale_ends_at": "",
        "visits": "",
        "interval": "",
    } | fields


@pytest.fixture
def party(org_a, alice):
    with tenant(org_a):
        return services.package_save(
            package=Package(name="Open jump", price=1800, currency=org_a.currency), by=alice
        )


def test_an_admin_adds_a_package_priced_in_minor_units_of_the_organization_currency(alice_client, org_a):
    response = alice_client.post(PACKAGES.format(slug=org_a.slug) + "new/", form(), follow=True)
    assert "“Birthday party — Classic” saved." in response.text
    with tenant(org_a):
        package = Package.objects.get()
        assert (package.price, package.currency, str(package.tax_rate)) == (29900, org_a.currency, "8.250")
        event = AuditEvent.objects.get()
        assert (event.action, event.target, event.detail) == (PackageAudit.CREATED, package.name, "$299.00")
    page = alice_client.get(PACKAGES.format(slug=org_a.slug)).text
    assert "$299.00" in page and "Children 3–12" in page and "8.25%" in page and "Online store" in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"price_amount": "-1"}, "price_amount", "A price can&#x27;t be negative."),
        ({"price_amount": "12.345"}, "price_amount", "Use at most two decimals"),
        ({"price_amount": "abc"}, "price_amount", "Enter a price"),
        ({"price_amount": "2000000"}, "price_amount", "Enter a price up to 1,000,000."),
        ({"kind": "class_pass", "visits": ""}, "visits", "Say how many visits the pass gives."),
        ({"kind": "membership", "interval": ""}, "interval", "Say how often the membership renews."),
        ({"min_age": "12", "max_age": "3"}, "max_age", "The oldest age can&#x27;t be below the youngest."),
        (
            {"sale_starts_at": "2027-06-01T10:00", "sale_ends_at": "2027-05-01T10:00"},
            "sale_ends_at",
            "The sale has to end after it starts.",
        ),
        ({"tax_rate": "101"}, "tax_rate", "less than or equal to 100"),
        ({"name": "  "}, "name", "This field is required."),
    ],
)
def test_a_wrong_package_is_refused_with_the_reason_beside_its_field(
    alice_client, org_a, fields, field, message
):
    response = alice_client.post(PACKAGES.format(slug=org_a.slug) + "new/", form(**fields))
    assert response.status_code == 200
    assert message in response.text
    assert f'id="id_{field}"' in response.text and "is-invalid" in response.text
    with tenant(org_a):
        assert not Package.objects.exists() and not AuditEvent.objects.exists()


def test_a_name_is_taken_once_whatever_its_case_archived_ones_included(alice_client, org_a, party, alice):
    with tenant(org_a):
        services.package_archive(package=party, by=alice)
    response = alice_client.post(PACKAGES.format(slug=org_a.slug) + "new/", form(name="OPEN  jump"))
    assert "Another package has this name (archived ones included)." in response.text
    with tenant(org_a), pytest.raises(IntegrityError):
        Package.objects.create(name="open JUMP", price=1, currency="USD")


def test_fields_of_another_kind_or_audience_are_not_kept(alice_client, org_a):
    alice_client.post(
        PACKAGES.format(slug=org_a.slug) + "new/",
        form(kind="membership", interval="month", visits="10", for_whom="adult"),
    )
    with tenant(org_a):
        package = Package.objects.get()
    assert (package.interval, package.visits, package.min_age, package.max_age) == ("month", None, None, None)
    assert package.terms == "renews every month" and package.audience == "Adults"


def test_editing_records_what_changed_and_archive_and_restore_keep_the_package(
    alice_client, org_a, party, alice
):
    url = PACKAGES.format(slug=org_a.slug) + f"{party.pk}/"
    alice_client.post(url, form(name="Open jump", price_amount="20.00", for_whom="anyone"))
    alice_client.post(url + "archive/")
    page = alice_client.get(PACKAGES.format(slug=org_a.slug)).text
    assert "Archived packages" in page and "No packages yet" in page
    alice_client.post(url + "restore/")
    with tenant(org_a):
        party.refresh_from_db()
        assert party.price == 2000 and party.archived_at is None
        events = list(AuditEvent.objects.order_by("id").values_list("action", "changes"))
    assert [action for action, _ in events] == [
        PackageAudit.CREATED,
        PackageAudit.CHANGED,
        PackageAudit.ARCHIVED,
        PackageAudit.RESTORED,
    ]
    assert events[1][1]["Price"] == ["$18.00", "$20.00"]


def test_only_admins_manage_packages_and_another_organization_never_reaches_them(
    carol_client, bob_client, org_a, org_b, party
):
    base = PACKAGES.format(slug=org_a.slug)
    assert carol_client.get(base).status_code == 403
    assert carol_client.post(base + "new/", form()).status_code == 403
    assert bob_client.get(base).status_code == 404
    beta = PACKAGES.format(slug=org_b.slug)
    assert bob_client.get(beta + f"{party.pk}/").status_code == 404
    assert bob_client.post(beta + f"{party.pk}/archive/").status_code == 404
    assert "Open jump" not in bob_client.get(beta).text
    with tenant(org_a):
        assert Package.objects.get().archived_at is None


def test_the_empty_list_says_what_to_add(alice_client, org_a):
    page = alice_client.get(PACKAGES.format(slug=org_a.slug)).text
    assert "No packages yet" in page and f"/app/{org_a.slug}/settings/packages/new/" in page
