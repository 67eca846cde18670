"""External subscriptions: staff record on a profile the memberships a customer pays for elsewhere (another
processor, a school contract), validated, each add and change in the Activity Log and the audit log; the
customer (and a guardian who sees their payments) reads them in the portal; the Memberships report lists
every membership with its source, filters by status and source, totals the monthly equivalent per currency
and downloads as CSV. Nothing charges them."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from playwright.sync_api import expect

from accounts.models import AuditEvent, Role
from accounts.permissions import ROLE_PERMISSIONS
from accounts.tenancy import tenant
from billing import external_services
from billing.external_views import external_add, external_edit
from billing.models import ExternalAudit, ExternalEvent, ExternalSubscription, Payment
from billing.report import membership_monthly_totals, membership_rows, minor_rounded, monthly_equivalent
from customers.models import Activity, Customer
from families.services import link_add
from tests.conftest import logged_in, make_user
from tests.factories import customer
from tests.inbox import csv_rows
from tests.test_browser_journey import log_in, watch_console

MEMBERSHIPS = "/app/{slug}/memberships/"


@pytest.fixture
def members(org_a, org_b, alice, bob):
    """Alpha: Pat looks after Kim (with *see bookings and payments*), Sam is on their own; Beta: Stan, with a
    subscription of Beta's."""
    with tenant(org_a):
        pat = customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice)
        kim = customer(first_name="Kim", last_name="Parent", by=alice)
        sam = customer(first_name="Sam", last_name="Solo", email="sam@alpha.example", by=alice)
        link_add(guardian=pat, dependant=kim, relationship="parent", by=alice)
    with tenant(org_b):
        stan = customer(first_name="Stan", last_name="Beta", by=bob)
        beta = record(stan, by=bob, provider="Beta secret provider", name="Beta secret plan")
    return {"pat": pat, "kim": kim, "sam": sam, "stan": stan, "beta": beta}


def record(person, *, by, **fields) -> ExternalSubscription:
    """An external subscription through the service staff use (inside the person's organization)."""
    values = {
        "provider": "School contract",
        "name": "Swim team",
        "amount": 4500,
        "interval": "month",
        "starts_on": date(2026, 1, 5),
    } | fields
    return external_services.external_subscription_save(
        subscription=ExternalSubscription(customer=person, **values), by=by
    )


def add_url(org, person) -> str:
    return f"/app/{org.slug}/customers/{person.pk}/external/new/"


def edit_url(org, subscription) -> str:
    return f"/app/{org.slug}/customers/{subscription.customer_id}/external/{subscription.pk}/"


FORM = {
    "provider": "  PayPal  ",
    "name": "Climbing   club",
    "amount_major": "30.00",
    "interval": "month",
    "starts_on": "2026-02-01",
    "ends_on": "",
    "status": "active",
    "reference": "I-8Y2K4",
    "note": "",
}


def test_staff_add_one_from_the_profile_and_the_box_shows_it(carol_client, org_a, members, carol):
    pat = members["pat"]
    profile = f"/app/{org_a.slug}/customers/{pat.pk}/"
    empty = carol_client.get(profile).text
    assert "External subscriptions" in empty and "None recorded. When Pat pays for a membership" in empty
    form_page = carol_client.get(add_url(org_a, pat)).text
    assert "Add an external subscription" in form_page and "Roster never charges it" in form_page
    response = carol_client.post(add_url(org_a, pat), FORM, follow=True)
    assert "“Climbing club” (PayPal) saved for Pat Parent." in response.text
    with tenant(org_a):
        subscription = ExternalSubscription.objects.get()
    assert (subscription.provider, subscription.name, subscription.amount) == (
        "PayPal",
        "Climbing club",
        3000,
    )
    assert (subscription.currency, subscription.created_by, subscription.reference) == (
        "USD",
        carol,
        "I-8Y2K4",
    )
    box = carol_client.get(profile).text
    assert "Climbing club" in box and 'PayPal · <span class="text-nowrap">$30.00 / month</span>' in box
    assert "From Feb 1, 2026" in box and "ref. I-8Y2K4" in box and 'text-bg-success">Active<' in box
    assert edit_url(org_a, subscription) in box
    with tenant(org_a):
        assert not Payment.objects.exists()  # recorded, never charged


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount_major": "0"}, "amount_major", "Enter an amount above zero."),
        ({"amount_major": "-5"}, "amount_major", "Enter an amount above zero."),
        ({"amount_major": "1000000.01"}, "amount_major", "Enter an amount up to 1,000,000."),
        ({"amount_major": "2.555"}, "amount_major", "Use at most two decimals, e.g. 25.50."),
        ({"amount_major": "lots"}, "amount_major", "Enter an amount, e.g. 25.00."),
        ({"ends_on": "2026-01-31"}, "ends_on", "The end can&#x27;t be before the start."),
        ({"starts_on": ""}, "starts_on", "This field is required."),
        ({"starts_on": "31/02/2026"}, "starts_on", "Enter a date, e.g. 2027-01-31."),
        ({"ends_on": "9999-01-01"}, "ends_on", "Enter a date between 1900 and 2999."),
        ({"provider": "   "}, "provider", "This field is required."),
        ({"name": "x" * 121}, "name", "Ensure this value has at most 120 characters"),
        ({"interval": "fortnight"}, "interval", "Select a valid choice."),
        ({"status": "trialing"}, "status", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_next_to_its_field(carol_client, org_a, members, change, field, message):
    response = carol_client.post(add_url(org_a, members["pat"]), FORM | change)
    assert response.status_code == 422
    html = response.text
    assert message in html
    # The error sits under its own field: after that field's input, before the next field's label.
    assert html.index(f'name="{field}"') < html.index(message)
    with tenant(org_a):
        assert not ExternalSubscription.objects.exists()
        assert not Activity.objects.filter(kind=ExternalEvent.ADDED).exists()


def test_the_database_refuses_an_end_before_the_start_and_a_zero_amount(org_a, members, alice):
    for fields in ({"starts_on": date(2026, 3, 1), "ends_on": date(2026, 2, 1)}, {"amount": 0}):
        with tenant(org_a), pytest.raises(IntegrityError), transaction.atomic():
            record(members["pat"], by=alice, **fields)


def test_an_edit_records_what_changed_in_the_activity_log_and_the_audit_log(
    carol_client, org_a, members, carol
):
    with tenant(org_a):
        subscription = record(members["kim"], by=carol)
    edit = edit_url(org_a, subscription)
    page = carol_client.get(edit).text
    assert "Edit “Swim team”" in page and 'value="45.00"' in page
    change = FORM | {"provider": "School contract", "name": "Swim team", "amount_major": "50.00"}
    change |= {"status": "paused", "starts_on": "2026-01-05", "ends_on": "2026-06-30", "reference": ""}
    response = carol_client.post(edit, change, follow=True)
    assert "“Swim team” (School contract) saved for Kim Parent." in response.text
    assert 'text-bg-warning">Paused<' in response.text and "to Jun 30, 2026" in response.text
    carol_client.post(edit, change)  # the same again changes nothing, and records nothing
    with tenant(org_a):
        added = Activity.objects.get(kind=ExternalEvent.ADDED)
        changed = Activity.objects.get(kind=ExternalEvent.CHANGED)
        audits = {event.action: event for event in AuditEvent.objects.filter(action__startswith="external.")}
    assert added.customer_id == members["kim"].pk and added.subject_id == subscription.pk
    assert added.detail == "“Swim team” · School contract · $45.00 / month · Active"
    expected = {
        "Amount": ["$45.00", "$50.00"],
        "Ends on": [None, "2026-06-30"],
        "Status": ["Active", "Paused"],
    }
    assert changed.changes == expected and changed.actor == carol
    assert set(audits) == {ExternalAudit.ADDED, ExternalAudit.CHANGED}
    assert audits[ExternalAudit.CHANGED].changes == expected
    assert audits[ExternalAudit.CHANGED].target == "Kim Parent"
    log = carol_client.get(f"/app/{org_a.slug}/customers/{members['kim'].pk}/activity/").text
    assert "External subscription changed" in log and "External subscriptions" in log


def test_another_organizations_customer_or_subscription_is_not_found(
    alice_client, bob_client, org_a, org_b, members, alice
):
    with tenant(org_a):
        pats = record(members["pat"], by=alice)
        sams = record(members["sam"], by=alice, name="Sam's own")
    beta = members["beta"]
    # Bob: Alpha's ids in Beta's pages, and Alpha's pages.
    for url in (
        f"/app/{org_b.slug}/customers/{members['pat'].pk}/external/new/",
        f"/app/{org_b.slug}/customers/{members['stan'].pk}/external/{pats.pk}/",
        f"/app/{org_b.slug}/customers/{members['pat'].pk}/external/{pats.pk}/",
        edit_url(org_a, pats),
    ):
        assert bob_client.get(url).status_code == 404, url
        assert bob_client.post(url, FORM).status_code == 404, url
    # Alice: Beta's subscription under her own customer, and Sam's under Pat.
    for url in (
        f"/app/{org_a.slug}/customers/{members['pat'].pk}/external/{beta.pk}/",
        f"/app/{org_a.slug}/customers/{members['pat'].pk}/external/{sams.pk}/",
    ):
        assert alice_client.post(url, FORM).status_code == 404, url
    with tenant(org_a):
        assert ExternalSubscription.objects.get(pk=pats.pk).provider == "School contract"
        assert ExternalSubscription.objects.get(pk=sams.pk).customer_id == members["sam"].pk


def test_a_role_without_customers_change_is_refused(org_a, members, carol, monkeypatch):
    assert external_add.required_permission == external_edit.required_permission == "customers.change"
    # Every role edits customers today: take the permission off the staff role to see the refusal.
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.STAFF, ROLE_PERMISSIONS[Role.STAFF] - {"customers.change"})
    with tenant(org_a):
        subscription = record(members["pat"], by=carol)
    desk = logged_in(carol)
    assert desk.get(add_url(org_a, members["pat"])).status_code == 403
    assert desk.post(add_url(org_a, members["pat"]), FORM).status_code == 403
    assert desk.post(edit_url(org_a, subscription), FORM).status_code == 403
    profile = desk.get(f"/app/{org_a.slug}/customers/{members['pat'].pk}/").text
    assert "Swim team" in profile and "Add an external subscription" not in profile  # seen, not changed


def test_the_customer_and_a_guardian_who_sees_payments_read_them_in_the_portal(org_a, members, alice):
    pat, kim, sam = members["pat"], members["kim"], members["sam"]
    with tenant(org_a):
        record(pat, by=alice, provider="PayPal", name="Parents' gym", amount=12000, interval="year")
        record(kim, by=alice, ends_on=date(2026, 6, 30), status="cancelled")
        record(sam, by=alice, name="Sam's private plan")
        gran = customer(first_name="Gran", last_name="Parent", email="gran@alpha.example", by=alice)
        link_add(guardian=gran, dependant=kim, relationship="other", by=alice)  # no "see payments"
        for person in (pat, gran):
            Customer.objects.filter(pk=person.pk).update(user=make_user(person.email))
            person.refresh_from_db()
    page = logged_in(pat.user).get(f"/{org_a.slug}/account/payments/").text
    assert "Other memberships" in page and "Parents&#x27; gym" in page and "$120.00 / year" in page
    assert "Swim team" in page and "for Kim Parent" in page and "Jan 5, 2026 – Jun 30, 2026" in page
    assert "Cancelled" in page and "Sam&#x27;s private plan" not in page and "Beta secret" not in page
    assert "Other memberships" not in logged_in(gran.user).get(f"/{org_a.slug}/account/payments/").text


@pytest.fixture
def book(org_a, members, alice):
    """Alpha's memberships: Pat's monthly and yearly ones, Kim's paused one, Sam's ended one and a yearly one
    kept in euros (recorded before the organization changed its currency)."""
    with tenant(org_a):
        return {
            "monthly": record(members["pat"], by=alice, provider="PayPal", name="Gym", amount=3000),
            "yearly": record(
                members["pat"],
                by=alice,
                name="Season pass",
                amount=12000,
                interval="year",
                starts_on=date(2026, 3, 1),
            ),
            "paused": record(members["kim"], by=alice, name="Swim team", amount=4500, status="paused"),
            "ended": record(
                members["sam"],
                by=alice,
                provider="Mindbody",
                name="Yoga",
                amount=999,
                status="ended",
                starts_on=date(2025, 1, 1),
                ends_on=date(2025, 12, 31),
            ),
            "euros": record(
                members["sam"],
                by=alice,
                provider="Mindbody",
                name="Pilates",
                amount=1001,
                currency="EUR",
                interval="year",
                starts_on=date(2025, 6, 1),
            ),
        }


def test_the_report_lists_active_memberships_with_their_source_and_monthly_total(alice_client, org_a, book):
    page = alice_client.get(MEMBERSHIPS.format(slug=org_a.slug)).text
    assert ">Memberships</a>" in page
    rows = page.split('class="membership-row"')[1:]
    assert len(rows) == 3  # active only, by default
    assert (
        "External · School contract" in rows[0] and "Season pass" in rows[0] and "$120.00 / year" in rows[0]
    )
    assert "$10.00" in rows[0] and "Pat Parent" in rows[0]  # a year's amount counts a twelfth a month
    assert "External · PayPal" in rows[1] and "Gym" in rows[1] and "$30.00 / month" in rows[1]
    assert "External · Mindbody" in rows[2] and "Pilates" in rows[2] and "€0.83" in rows[2]
    assert 'data-total="monthly-USD">$40.00<' in page and 'data-total="monthly-EUR">€0.83<' in page
    assert 'data-total="count">3<' in page


def test_the_report_filters_by_status_and_source(alice_client, org_a, book):
    url = MEMBERSHIPS.format(slug=org_a.slug)
    everything = alice_client.get(url, {"status": "", "source": ""}).text
    assert (
        everything.count('class="membership-row"') == 5 and 'data-total="monthly-USD">$94.99<' in everything
    )
    paused = alice_client.get(url, {"status": "paused", "source": ""}).text
    assert paused.count('class="membership-row"') == 1 and "Swim team" in paused
    mindbody = alice_client.get(url, {"status": "", "source": "external:Mindbody"}).text
    # Read in the rows: the page's random CSP nonce and CSRF token may spell "Gym" too.
    listed = mindbody.split('class="membership-row"', 1)[1].split("</table>")[0]
    assert mindbody.count('class="membership-row"') == 2 and "Yoga" in listed and "Gym" not in listed
    assert '<option value="external:PayPal">External · PayPal</option>' in mindbody
    none = alice_client.get(url, {"status": "cancelled", "source": "external"}).text
    assert "No memberships match these filters." in none
    wrong = alice_client.get(url, {"status": "bogus"})
    assert wrong.status_code == 200 and "Select a valid choice." in wrong.text
    with tenant(org_a):
        assert membership_rows(status="ended").count() == 1
        assert membership_monthly_totals(status="", source="external:Mindbody") == {"EUR": 83, "USD": 999}


def test_weekly_amounts_count_52_twelfths_a_month():
    assert minor_rounded(monthly_equivalent(1200, "week")) == 5200
    assert minor_rounded(monthly_equivalent(1200, "week", every=2)) == 2600
    assert minor_rounded(monthly_equivalent(1001, "year")) == 83
    assert minor_rounded(monthly_equivalent(1002, "year")) == 84  # 83.5 rounds half up


def test_the_report_pages_fifty_at_a_time_in_constant_queries(
    alice_client, org_a, members, alice, django_assert_max_num_queries
):
    with tenant(org_a):
        for number in range(55):
            record(
                members["pat"], by=alice, name=f"Plan {number:02d}", starts_on=date(2026, 1, 1 + number % 28)
            )
    url = MEMBERSHIPS.format(slug=org_a.slug)
    with django_assert_max_num_queries(20):
        first = alice_client.get(url).text
    assert first.count('class="membership-row"') == 50 and "Page 1 of 2" in first
    assert alice_client.get(url, {"page": 2}).text.count('class="membership-row"') == 5


def test_the_report_downloads_as_csv_with_formulas_neutralized(alice_client, org_a, members, book, alice):
    with tenant(org_a):
        record(members["sam"], by=alice, provider="=HYPERLINK(1)", name="+cmd", amount=100)
    response = alice_client.get(MEMBERSHIPS.format(slug=org_a.slug), {"status": "", "download": "csv"})
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    rows = csv_rows(response)
    assert rows[0] == [
        "Source",
        "Member",
        "Membership",
        "Amount",
        "Currency",
        "Per",
        "Monthly equivalent",
        "Status",
        "Starts on",
        "Ends on",
    ]
    assert len(rows) == 7
    assert [
        "External · Mindbody",
        "Sam Solo",
        "Yoga",
        "9.99",
        "USD",
        "month",
        "9.99",
        "Ended",
        "2025-01-01",
        "2025-12-31",
    ] in rows
    assert [
        "External · School contract",
        "Pat Parent",
        "Season pass",
        "120.00",
        "USD",
        "year",
        "10.00",
        "Active",
        "2026-03-01",
        "",
    ] in rows
    assert [
        "External · =HYPERLINK(1)",
        "Sam Solo",
        "'+cmd",
        "1.00",
        "USD",
        "month",
        "1.00",
        "Active",
        "2026-01-05",
        "",
    ] in rows


def test_staff_without_reports_may_not_read_it_and_beta_sees_only_its_own(
    carol_client, bob_client, org_a, org_b, book
):
    assert carol_client.get(MEMBERSHIPS.format(slug=org_a.slug)).status_code == 403
    assert ">Memberships</a>" not in carol_client.get(f"/app/{org_a.slug}/customers/").text
    assert bob_client.get(MEMBERSHIPS.format(slug=org_a.slug)).status_code == 404
    beta = bob_client.get(MEMBERSHIPS.format(slug=org_b.slug)).text
    assert "Beta secret plan" in beta and "Season pass" not in beta and "PayPal" not in beta
    csv_text = b"".join(
        bob_client.get(MEMBERSHIPS.format(slug=org_b.slug), {"download": "csv"}).streaming_content
    ).decode()
    assert "Beta secret plan" in csv_text and "Season pass" not in csv_text


def test_an_empty_report_says_where_memberships_come_from(alice_client, org_a, members):
    page = alice_client.get(MEMBERSHIPS.format(slug=org_a.slug)).text
    assert "No memberships yet. Record a membership paid elsewhere" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_record_and_edit_one_in_the_browser_and_read_the_report(
    browser_page, live_server, org_a, members, alice, screenshot
):
    pat = members["pat"]
    with tenant(org_a):
        record(members["kim"], by=alice, provider="Mindbody", name="Junior yoga", amount=1500)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{pat.pk}/")
    box = page.locator(".external-box")
    expect(box).to_contain_text("None recorded.")
    box.get_by_role("link", name="Add an external subscription").click()
    page.get_by_label("Provider").fill("School contract")
    page.get_by_label("Name").fill("Swim team, spring term")
    page.get_by_label("Amount").fill("0")
    page.get_by_label("Starts on").fill("2026-03-01")
    page.get_by_label("Ends on").fill("2026-02-01")
    page.get_by_role("button", name="Add subscription").click()
    expect(page.get_by_text("Enter an amount above zero.")).to_be_visible()
    expect(page.get_by_text("The end can't be before the start.")).to_be_visible()
    screenshot(page, "98-external-form-errors")
    page.get_by_label("Amount").fill("45.00")
    page.get_by_label("Ends on").fill("2026-06-30")
    page.get_by_role("button", name="Add subscription").click()
    expect(
        page.get_by_text("“Swim team, spring term” (School contract) saved for Pat Parent.")
    ).to_be_visible()
    expect(box).to_contain_text("$45.00 / month")
    box.get_by_role("link", name="Edit Swim team, spring term").click()
    page.get_by_label("Status").select_option("paused")
    page.get_by_role("button", name="Save changes").click()
    expect(box.locator(".external-status")).to_have_text("Paused")
    screenshot(page, "98-external-box")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.locator(".report-tabs").get_by_role("link", name="Memberships").click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    page.get_by_label("Status").select_option("")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".membership-row")).to_have_count(2)
    expect(page.locator("[data-total=monthly-USD]")).to_have_text("$60.00")
    screenshot(page, "98-memberships-report")
    assert [error for error in errors if "status of 422" not in error] == []  # 422: the refused form
