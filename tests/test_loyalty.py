"""The profile's Loyalty tab and the Do not solicit flag: what a customer paid for as the payer, by package
kind and by package over a period, net of refunds, with lifetime value and first and last purchase; staff
mark a customer Do not solicit (activity + audit), the profile says so, the roster filters on it and exports
leave them out unless asked."""

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent
from accounts.tenancy import tenant
from billing import account_services, loyalty_views, services, views
from billing.models import Package, PackageKind, Payment, Purchase
from customers.models import Activity, Customer, CustomerAudit
from customers.services import segment_save
from families.services import link_add
from tests.factories import customer
from tests.store_helpers import ALPHA_KEYS
from tests.subscription_helpers import saved_card
from tests.test_browser_journey import log_in, watch_console


def tab(org, person) -> str:
    return f"/app/{org.slug}/customers/{person.pk}/loyalty/"


def figure(page: str, name: str) -> str:
    return re.search(rf'data-figure="{name}">([^<]*)<', page).group(1)


def rows_of(page: str, table: str) -> list[list[str]]:
    """The body rows of one of the tab's tables, as the cells' text."""
    body = re.search(rf'class="table table-sm {table}">.*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    return [
        [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def paid_on(purchase: Purchase, day: date) -> Payment:
    """Date a sale back to noon of `day` in Chicago (Alpha's time zone)."""
    at = datetime(day.year, day.month, day.day, 18, tzinfo=UTC)
    Purchase.objects.filter(pk=purchase.pk).update(created_at=at)
    Payment.objects.filter(purchase=purchase).update(created_at=at)
    return purchase.payments.get()


@pytest.fixture
def sales(org_a, alice):
    """Pat buys a party for himself in January, a class pass for Kim and a membership for himself in March,
    and gets $20 of the class pass back. Kim's own tab has nothing; Stan, a stranger, buys a party too."""
    with tenant(org_a):

        def package(name, kind, price, **fields):
            return services.package_save(
                package=Package(name=name, kind=kind, price=price, currency="USD", **fields), by=alice
            )

        party = package("Party", PackageKind.ONE_TIME, 10000)
        card = package("Ten visits", PackageKind.CLASS_PASS, 5000, visits=10)
        club = package("Club", PackageKind.MEMBERSHIP, 3000, interval="month")
        pat = customer(first_name="Pat", last_name="Parent", email="pat@alpha.example", by=alice)
        kim = customer(first_name="Kim", last_name="Parent", birthday=date(2018, 5, 1), by=alice)
        stan = customer(first_name="Stan", last_name="Stranger", by=alice)
        link_add(guardian=pat, dependant=kim, relationship="parent", by=alice)

        def sell(package, buyer, payer, day, **paid):
            paid = {"method": "cash"} | paid
            purchase = services.sale_record(package=package, customer=buyer, payer=payer, by=alice, **paid)
            return paid_on(purchase, day)

        sell(party, pat, pat, date(2026, 1, 10))
        pass_payment = sell(card, kim, pat, date(2026, 3, 5))
        account_services.payment_account_connect(**ALPHA_KEYS, by=alice)  # a membership renews by card
        sell(club, pat, pat, date(2026, 3, 20), method="card", card=saved_card(pat), attempt=uuid.uuid4())
        sell(party, stan, stan, date(2026, 3, 6))
        services.payment_refund(payment=pass_payment, amount=2000, reason="Moved away", by=alice)
    return {"pat": pat, "kim": kim, "stan": stan}


def test_the_tab_sums_what_the_payer_paid_by_kind_and_package_with_refunds_taken_off(
    carol_client, org_a, sales
):
    page = carol_client.get(tab(org_a, sales["pat"])).text
    assert "as the payer" in page and ">Loyalty" in page
    assert figure(page, "lifetime") == "$160.00"  # 100 + 50 − 20 + 30; Stan's party is not Pat's
    assert (figure(page, "first"), figure(page, "last")) == ("Jan 10, 2026", "Mar 20, 2026")
    assert (figure(page, "orders"), figure(page, "revenue"), figure(page, "average")) == (
        "3",
        "$160.00",
        "$53.33",
    )
    assert "All time" in page
    assert rows_of(page, "loyalty-by-kind") == [
        [["One-time", "package"], ["1"], ["$100.00"]],
        [["Class", "pass", "(punch", "card)"], ["1"], ["$30.00"]],
        [["Membership"], ["1"], ["$30.00"]],
    ]
    assert rows_of(page, "loyalty-by-package") == [
        [["Party", "One-time", "package"], ["1"], ["$100.00"]],
        [["Club", "Membership"], ["1"], ["$30.00"]],
        [["Ten", "visits", "Class", "pass", "(punch", "card)"], ["1"], ["$30.00"]],
    ]


def test_a_period_counts_only_the_payments_taken_in_it_and_lifetime_stays(carol_client, org_a, sales):
    march = carol_client.get(tab(org_a, sales["pat"]), {"start": "2026-03-01", "end": "2026-03-31"}).text
    assert "Mar 1, 2026 – Mar 31, 2026" in march
    assert (figure(march, "orders"), figure(march, "revenue"), figure(march, "average")) == (
        "2",
        "$60.00",
        "$30.00",
    )
    assert figure(march, "lifetime") == "$160.00"
    assert rows_of(march, "loyalty-by-kind")[0] == [["One-time", "package"], ["0"], ["$0.00"]]
    # Whole days in the organization's time zone: the last day counts to its end.
    to_the_day = carol_client.get(tab(org_a, sales["pat"]), {"end": "2026-03-20"}).text
    assert "Up to Mar 20, 2026" in to_the_day and figure(to_the_day, "orders") == "3"
    since = carol_client.get(tab(org_a, sales["pat"]), {"start": "2026-03-21"}).text
    assert figure(since, "orders") == "0" and "No purchases in this period." in since


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-13-01"}, "start", "Enter a valid date."),
        ({"end": "soon"}, "end", "Enter a valid date."),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end", "The period has to end after it starts."),
        ({"end": "9999-12-31"}, "end", "Enter a date between 1900 and 2999."),
        ({"start": "0001-01-01"}, "start", "Enter a date between 1900 and 2999."),
    ],
)
def test_bad_dates_are_refused_beside_their_field_and_all_time_is_shown(
    carol_client, org_a, sales, query, field, message
):
    response = carol_client.get(tab(org_a, sales["pat"]), query)
    assert response.status_code == 200
    assert f'id="id_{field}-error">{message}</div>' in response.text
    assert f'class="form-control is-invalid" aria-describedby="id_{field}-error"' in response.text
    assert "All time" in response.text and figure(response.text, "orders") == "3"


def test_someone_who_paid_for_nothing_is_told_what_to_do(carol_client, org_a, sales):
    page = carol_client.get(tab(org_a, sales["kim"])).text  # Kim's class pass was paid by Pat
    assert "No purchases yet — sell a package from the" in page and "Payments tab" in page
    assert 'data-figure="lifetime"' not in page


def test_another_organization_reaches_neither_the_tab_nor_the_flag(bob_client, org_b, sales):
    pat = sales["pat"]
    assert bob_client.get(tab(org_b, pat)).status_code == 404
    assert bob_client.post(tab(org_b, pat) + "do-not-solicit/", {"do_not_solicit": "1"}).status_code == 404
    assert bob_client.get(f"/app/alpha/customers/{pat.pk}/loyalty/").status_code == 404  # not a member


def test_the_tab_asks_what_the_payments_tab_asks_and_the_flag_what_editing_a_customer_asks(
    client, org_a, sales
):
    assert loyalty_views.loyalty_tab.required_permission == views.payments_tab.required_permission
    assert loyalty_views.do_not_solicit.required_permission == "customers.change"
    url = tab(org_a, sales["pat"])
    assert client.get(url).status_code == 302  # logged out: to the log-in page
    assert client.post(url + "do-not-solicit/", {"do_not_solicit": "1"}).status_code == 302
    with tenant(org_a):
        assert not Customer.objects.get(pk=sales["pat"].pk).do_not_solicit


def test_staff_mark_a_customer_do_not_solicit_and_it_is_logged_shown_and_undone(
    carol_client, carol, org_a, sales
):
    pat, url = sales["pat"], tab(org_a, sales["pat"])
    assert "Mark Do not solicit" in carol_client.get(url).text
    assert carol_client.get(url + "do-not-solicit/").status_code == 405
    assert carol_client.post(url + "do-not-solicit/", {"do_not_solicit": "yes"}).status_code == 400
    response = carol_client.post(url + "do-not-solicit/", {"do_not_solicit": "1"}, follow=True)
    assert "Pat Parent is marked Do not solicit." in response.text
    assert "do-not-solicit-badge" in carol_client.get(f"/app/{org_a.slug}/customers/{pat.pk}/").text
    carol_client.post(url + "do-not-solicit/", {"do_not_solicit": "1"})  # twice: one change
    with tenant(org_a):
        event = Activity.objects.filter(customer=pat, kind=Activity.Kind.UPDATED).get()
        assert (event.actor, event.changes) == (carol, {"Do not solicit": ["No", "Yes"]})
        audit = AuditEvent.objects.get(action=CustomerAudit.DO_NOT_SOLICIT_CHANGED)
        assert (audit.actor, audit.target) == (carol, f"Pat Parent (#{pat.pk})")
    log = carol_client.get(f"/app/{org_a.slug}/customers/{pat.pk}/activity/").text
    assert "Do not solicit" in log
    carol_client.post(url + "do-not-solicit/", {"do_not_solicit": "0"})
    assert "do-not-solicit-badge" not in carol_client.get(f"/app/{org_a.slug}/customers/{pat.pk}/").text
    with tenant(org_a):
        assert Activity.objects.filter(customer=pat, kind=Activity.Kind.UPDATED).count() == 2
        assert AuditEvent.objects.filter(action=CustomerAudit.DO_NOT_SOLICIT_CHANGED).count() == 2


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_roster_filters_on_the_flag_in_saved_segments_and_exports_leave_them_out(
    alice_client, alice, org_a, sales
):
    pat = sales["pat"]
    alice_client.post(tab(org_a, pat) + "do-not-solicit/", {"do_not_solicit": "1"})
    roster = f"/app/{org_a.slug}/customers/"
    marked = alice_client.get(roster, {"do_not_solicit": "true"}).text
    assert "Parent, Pat" in marked and "Parent, Kim" not in marked
    unmarked = alice_client.get(roster, {"do_not_solicit": "false"}).text
    assert "Parent, Pat" not in unmarked and "Parent, Kim" in unmarked
    with tenant(org_a):
        segment, _ = segment_save(owner=alice, name="Keep away", query="do_not_solicit=true", shared=True)
    assert alice_client.get(f"{roster}segments/{segment.pk}/count/").text.strip() == "1"

    page = alice_client.get(roster).text
    assert (
        'name="leave_out_do_not_solicit" value="1" form="bulk-form" id="leave-out-do-not-solicit" checked'
        in page
    )
    by_default = read_csv(alice_client.get(f"{roster}export.csv"))
    assert {row["First name"] for row in by_default} == {"Kim", "Stan"}
    assert {row["Do not solicit"] for row in by_default} == {"No"}
    ticked = {"all_matching": "1", "query": "", "leave_out_do_not_solicit": ["0", "1"]}
    assert {row["First name"] for row in read_csv(alice_client.post(f"{roster}export.csv", ticked))} == {
        "Kim",
        "Stan",
    }
    unticked = {"all_matching": "1", "query": "", "leave_out_do_not_solicit": "0"}
    everyone = read_csv(alice_client.post(f"{roster}export.csv", unticked))
    assert {row["First name"]: row["Do not solicit"] for row in everyone} == {
        "Pat": "Yes",
        "Kim": "No",
        "Stan": "No",
    }
    with tenant(org_a):
        details = list(
            AuditEvent.objects.filter(action=CustomerAudit.EXPORT_DOWNLOADED)
            .order_by("created_at", "id")
            .values_list("detail", flat=True)
        )
    assert details == [
        "2 customers, CSV",
        "2 customers, CSV",
        "3 customers, CSV, Do not solicit included",
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_read_the_loyalty_tab_pick_a_period_and_mark_do_not_solicit(
    browser_page, live_server, org_a, org_b, sales, screenshot
):
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{sales['pat'].pk}/")
    page.get_by_role("tab", name="Loyalty").click()
    expect(page.locator("[data-figure=lifetime]")).to_have_text("$160.00")
    page.get_by_label("From").fill("2026-03-01")
    page.get_by_label("To").fill("2026-03-31")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Mar 1, 2026 – Mar 31, 2026")).to_be_visible()
    expect(page.locator("[data-figure=revenue]")).to_have_text("$60.00")
    page.get_by_role("button", name="Mark Do not solicit").click()
    expect(page.get_by_text("Pat Parent is marked Do not solicit.")).to_be_visible()
    expect(page.get_by_role("heading", name="Pat Parent")).to_contain_text("Do not solicit")
    screenshot(page, "98-loyalty-tab")
    page.get_by_label("From").fill("2026-03-01")
    page.get_by_label("To").fill("2026-02-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("The period has to end after it starts.")).to_be_visible()
    screenshot(page, "98-loyalty-tab-bad-period")
    page.get_by_role("link", name="Family view").click()
    payments = page.locator(".family-payments")
    expect(payments).to_contain_text("Ten visits")
    expect(page.locator(".family-payments-total")).to_contain_text("$160.00")
    expect(payments).not_to_contain_text("Stan Stranger")
    screenshot(page, "98-family-payments")
    assert errors == []
