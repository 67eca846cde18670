"""Reports: one home whose tabs are every registered report, common controls (period, week or month, a
segment as the population) and downloads; the Customers report's figures on a small known roster; the
Imports report."""

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from playwright.sync_api import expect

from accounts.tenancy import tenant
from customers.models import Customer, Source
from customers.reports import ReportQuery, ReportTable, report_query
from customers.services import customer_archive, segment_save
from families.services import link_add
from imports.models import ImportIssue, ImportJob
from invites.models import ClaimInvite
from reports import customer_report, tasks
from tags.models import Tag
from tags.services import tag_add, tag_save
from tests.conftest import make_user
from tests.factories import customer
from tests.inbox import comparable
from tests.test_browser_journey import log_in, watch_console

ZONE = ZoneInfo("America/Chicago")  # the test organizations' time zone
Q1 = "range=custom&start=2026-01-01&end=2026-03-31&every=month"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=ZONE)


def person(by, created: str, source: str = Source.STAFF, **fields) -> Customer:
    someone = customer(by=by, **fields)
    Customer.objects.filter(pk=someone.pk).update(created_at=at(created), source=source)
    someone.refresh_from_db()
    return someone


@pytest.fixture
def roster(org_a, org_b, alice, bob):
    """Alpha: six customers over the first quarter of 2026 and around it; Ben looks after Ann and Cal (a
    guest); Ben has claimed his account. Beta has a VIP too, whom Alpha never counts."""
    with tenant(org_a):
        ann = person(
            alice, "2026-01-10", first_name="Ann", birthday=date(2018, 5, 4), email="ann@example.com"
        )
        ben = person(alice, "2026-01-20", Source.ONLINE_BOOKING, first_name="Ben", birthday=date(1990, 5, 20))
        cal = person(alice, "2026-02-15", Source.IMPORT, first_name="Cal", birthday=date(2024, 12, 1))
        dee = person(alice, "2026-03-03", Source.API, first_name="Dee")
        eve = person(alice, "2025-06-01", Source.FORM, first_name="Eve", birthday=date(2015, 12, 25))
        person(alice, "2026-04-15", Source.ONLINE_STORE, first_name="Fay")
        customer_archive(customer=dee, by=alice)
        Customer.objects.filter(pk=dee.pk).update(archived_at=at("2026-03-10"))
        Customer.objects.filter(pk=ben.pk).update(user=make_user("ben@example.com"))
        link_add(guardian=ben, dependant=cal, relationship="parent", by=alice)
        link_add(guardian=ben, dependant=ann, relationship="parent", by=alice)
        vip = tag_save(tag=Tag(name="VIP"), by=alice)
        party = tag_save(tag=Tag(name="Party"), by=alice)
        for who, tag in ((ann, vip), (ben, vip), (ben, party)):
            tag_add(customer=who, tag=tag, by=alice)
        for who, sent, claimed in (
            (ben, "2026-02-01", True),
            (ann, "2026-03-05", False),
            (eve, "2025-12-01", 0),
        ):
            ClaimInvite.objects.create(
                customer=who,
                email=f"{who.first_name}@example.com",
                sent_at=at(sent),
                expires_at=at(sent) + timedelta(days=3),
                claimed_at=at(sent) if claimed else None,
            )
        segment, _ = segment_save(owner=alice, name="VIPs", query=f"tag={vip.pk}", shared=True)
    with tenant(org_b):
        beta = person(bob, "2026-01-12", first_name="Bea", birthday=date(1950, 1, 1))
        tag_add(customer=beta, tag=tag_save(tag=Tag(name="VIP"), by=bob), by=bob)
        beta_segment, _ = segment_save(owner=bob, name="Beta all", query="", shared=True)
    return {"segment": segment, "beta_segment": beta_segment, "vip": vip}


def report(client, org, query: str = Q1, path: str = "customers"):
    return client.get(f"/app/{org.slug}/reports/{path}/?{query}")


def tables(response) -> dict[str, list[list]]:
    """Every table of the XLSX download, by sheet name, as values."""
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


def test_the_reports_home_opens_the_customers_report_with_every_tab(alice_client, org_a, roster):
    home = alice_client.get(f"/app/{org_a.slug}/reports/?{Q1}")
    assert home.status_code == 302 and home["Location"] == f"/app/{org_a.slug}/reports/customers/?{Q1}"
    page = alice_client.get(home["Location"]).text
    tabs = page[page.index("report-tabs") : page.index("</ul>", page.index("report-tabs"))]
    assert [label in tabs for label in ("Customers", "Metrics", "Sales", "Memberships", "Imports")] == [
        True
    ] * 5
    assert tabs.index("Customers") < tabs.index("Metrics") < tabs.index("Sales") < tabs.index("Imports")
    menu = page[page.index('aria-label="Main"') : page.index("</nav>", page.index('aria-label="Main"'))]
    assert menu.count(">Reports</a>") == 1 and ">Sales</a>" not in menu
    for path in ("metrics", "sales", "memberships", "reports/imports"):
        shown = alice_client.get(f"/app/{org_a.slug}/{path}/").text
        assert 'nav-link active" href="/app/alpha/reports/"' in shown.replace(org_a.slug, "alpha"), path


def test_the_customers_report_counts_the_known_roster(alice_client, org_a, roster):
    sheets = tables(report(alice_client, org_a, Q1 + "&format=xlsx"))
    growth = sheets["New customers by source"]
    assert growth[0] == [
        "Month",
        "Staff",
        "Online booking",
        "Online store",
        "Import",
        "API",
        "Intake form",
        "Total",
    ]
    assert growth[1:] == [
        ["Jan 2026", 1, 1, 0, 0, 0, 0, 2],
        ["Feb 2026", 0, 0, 0, 1, 0, 0, 1],
        ["Mar 2026", 0, 0, 0, 0, 1, 0, 1],
    ]
    assert sheets["Customers at the end of the per"][1:] == [
        ["Active at the end of the period", 4],
        ["Archived by the end of the period", 1],
        ["With an online account (a login linked)", 1],
        ["Without an online account", 4],
        ["Guests (family members with no email and no login)", 1],
    ]
    assert sheets["Account invitations"][1:] == [
        ["Sent in the period", 2],
        ["Claimed since", 1],
        ["Conversion (%)", 50],
    ]
    assert sheets["Households"][1:] == [["1 person", 0], ["2 people", 1], ["3 people", 0], ["4 or more", 0]]
    ages = dict(row for row in sheets["Ages"][1:])
    assert (ages["Under 3"], ages["6–9"], ages["10–12"], ages["30–44"], sum(ages.values())) == (1, 1, 1, 1, 4)
    months = dict(row for row in sheets["Birthday months"][1:])
    assert (months["May"], months["Dec"], sum(months.values())) == (2, 2, 4)
    assert sheets["Top tags"][1:] == [["VIP", 2, 40], ["Party", 1, 20]]


def test_the_page_draws_each_chart_with_its_table_and_says_who_guests_are(alice_client, org_a, roster):
    page = report(alice_client, org_a).text
    for chart in ("chart-growth", "chart-ages", "chart-birthdays", "chart-tags"):
        assert f'data-chart="{chart}"' in page and f'id="{chart}"' in page
    assert '"stacked": true' in page and "no email, no login of their own" in page
    assert "Jan 2026" in page and "Bea" not in comparable(page)


def test_an_archived_guardian_leaves_the_households_and_top_tags(alice_client, org_a, roster, alice):
    with tenant(org_a):
        customer_archive(customer=Customer.objects.get(first_name="Ben"), by=alice)
    sheets = tables(report(alice_client, org_a, Q1 + "&format=xlsx"))
    assert sheets["Households"][1:] == []  # Ben looked after Ann and Cal
    assert sheets["Top tags"][1:] == [["VIP", 1, 25]]  # Ann, of the 4 active; Party was Ben's alone


def test_a_segment_narrows_every_figure(alice_client, org_a, roster):
    sheets = tables(report(alice_client, org_a, f"{Q1}&segment={roster['segment'].pk}&format=xlsx"))
    assert [row[-1] for row in sheets["New customers by source"][1:]] == [2, 0, 0]
    assert dict(row for row in sheets["Ages"][1:] if row[1]) == {"6–9": 1, "30–44": 1}
    assert sheets["Top tags"][1:] == [["VIP", 2, 100], ["Party", 1, 50]]
    assert sheets["Households"][1:][1] == ["2 people", 1]
    assert sheets["Account invitations"][1:][0] == ["Sent in the period", 2]


def test_weeks_and_a_range_count_only_the_flows_inside_it(alice_client, org_a, roster):
    weekly = tables(
        report(alice_client, org_a, "range=custom&start=2026-01-05&end=2026-01-25&every=week&format=xlsx")
    )
    assert weekly["New customers by source"][1:] == [
        ["Jan 5, 2026", 1, 0, 0, 0, 0, 0, 1],
        ["Jan 12, 2026", 0, 0, 0, 0, 0, 0, 0],
        ["Jan 19, 2026", 0, 1, 0, 0, 0, 0, 1],
    ]
    assert weekly["Account invitations"] == [["Invitations", "Count"]]  # none sent in those weeks


def test_periods_start_on_mondays_and_on_first_days_across_a_year_end():
    def starts(start, end, every):
        return customer_report.period_starts(ReportQuery(start=start, end=end, every=every, membership=None))

    assert starts(date(2025, 12, 17), date(2026, 2, 2), "month") == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert starts(date(2025, 12, 31), date(2026, 1, 12), "week") == [  # a Wednesday to a Monday
        date(2025, 12, 29),
        date(2026, 1, 5),
        date(2026, 1, 12),
    ]
    assert starts(date(2026, 3, 4), date(2026, 3, 4), "week") == [date(2026, 3, 2)]


def test_bad_controls_fall_back_to_defaults_with_the_error_beside_the_field(alice_client, org_a, roster):
    for query, message in (
        ("range=custom&start=2026-05-01&end=2026-04-01", "The period has to end after it starts."),
        ("range=custom&start=2010-01-01&end=2026-01-01", "Choose at most 5 years."),
        ("range=custom&start=nonsense&end=2026-01-01", "Enter a valid date."),
        ("range=forever", "Select a valid choice."),
        ("every=day", "Select a valid choice."),
    ):
        page = report(alice_client, org_a, query)
        assert page.status_code == 200 and message in page.text, query
        assert "New customers by source" in page.text
    assert (
        report(alice_client, org_a, "range=custom&start=2026-05-01&end=2026-04-01&format=csv").status_code
        == 400
    )


def test_presets_are_read_in_the_organization_s_time_zone(org_a, alice):
    with tenant(org_a):
        membership = alice.memberships.get()
        today = datetime.now(ZONE).date()
        for preset, start in (
            ("last_30_days", today - timedelta(days=29)),
            ("this_month", today.replace(day=1)),
            ("this_year", today.replace(month=1, day=1)),
        ):
            _, query = report_query({"range": preset}, membership)
            assert (query.start, query.end, query.every) == (start, today, "month")
        saved = report_query({"range": "this_month", "every": "week"}, membership)[1].as_dict("this_month")
        assert saved == {"range": "this_month", "every": "week"}


def test_one_table_downloads_as_csv_its_cells_never_formulas(alice_client, org_a, roster, alice):
    with tenant(org_a):
        trick = tag_save(tag=Tag(name="=HYPERLINK(1)"), by=alice)
        tag_add(customer=Customer.objects.get(first_name="Fay"), tag=trick, by=alice)
    response = report(alice_client, org_a, Q1 + "&format=csv&table=6")
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="alpha-customers-2026-01-01-2026-03-31-top-tags.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Tag", "Customers", "Of active customers (%)"]
    assert ["'=HYPERLINK(1)", "1", "20.0"] in rows
    xlsx = report(alice_client, org_a, Q1 + "&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Top tags"]
    assert any(cell.value == "=HYPERLINK(1)" and cell.data_type == "s" for cell in sheet["A"])


def test_another_organization_s_segment_is_refused_and_its_customers_never_counted(
    alice_client, bob_client, org_a, org_b, roster
):
    page = report(alice_client, org_a, f"{Q1}&segment={roster['beta_segment'].pk}")
    assert "Select a valid choice" in page.text and "Beta all" not in page.text
    assert (
        report(alice_client, org_a, f"{Q1}&segment={roster['beta_segment'].pk}&format=xlsx").status_code
        == 400
    )
    beta = tables(report(bob_client, org_b, Q1 + "&format=xlsx"))
    assert [row[-1] for row in beta["New customers by source"][1:]] == [1, 0, 0]
    assert beta["Top tags"][1:] == [["VIP", 1, 100]]
    assert bob_client.get(f"/app/{org_a.slug}/reports/customers/").status_code == 404


def test_staff_without_reports_view_are_refused(carol_client, org_a, roster):
    for path in ("reports/", "reports/customers/", "reports/imports/", "reports/customers/?format=xlsx"):
        assert carol_client.get(f"/app/{org_a.slug}/{path}").status_code == 403, path
    assert ">Reports</a>" not in carol_client.get(f"/app/{org_a.slug}/customers/").text


def test_an_empty_roster_says_what_to_do(alice_client, org_a):
    page = report(alice_client, org_a).text
    assert "No customer was added in this period." in page and "No household yet." in page
    assert "No active customer is tagged." in page


def test_the_report_runs_the_same_queries_however_large_the_roster(alice_client, org_a, roster, alice):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert report(alice_client, org_a, f"{Q1}&segment={roster['segment'].pk}").status_code == 200
        return len(queries)

    few = count()
    with tenant(org_a):
        for number in range(12):
            someone = person(
                alice, "2026-02-02", first_name=f"Extra{number}", birthday=date(2000, 1, number + 1)
            )
            tag_add(customer=someone, tag=roster["vip"], by=alice)
            tag_add(customer=someone, tag=tag_save(tag=Tag(name=f"Tag {number}"), by=alice), by=alice)
    assert count() == few


def test_everyone_is_read_from_the_report_index_alone(org_a, roster, alice):
    """The population (customers not merged away) is an index-only scan of customer_report_idx: every column
    the sections count, and the manager's filter, are in the index, so counting never reads the table."""
    with tenant(org_a):
        query = report_query({}, alice.memberships.get())[1]
        sql, params = customer_report._population(query)
        with connection.cursor() as cursor:
            # Tiny test tables: ask for this index's path (its order), then see whether it reads the table.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql + " ORDER BY archived_at", params)
            plan_text = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using customer_report_idx" in plan_text


@pytest.fixture
def slow_counts(settings):
    """Every count takes "long": figures are kept, as a large roster's are, under keys no other test reads."""
    settings.REPORT_CACHE_AFTER_MS = 0
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        **{alias: {**settings.CACHES[alias], "KEY_PREFIX": prefix} for alias in ("default", "global")},
    }


def test_a_large_roster_s_figures_are_kept_a_few_minutes_and_say_when_they_were_counted(
    alice_client, bob_client, org_a, org_b, roster, alice, slow_counts
):
    first = report(alice_client, org_a)
    assert "Figures as of" not in first.text  # counted just now
    with tenant(org_a):
        person(alice, "2026-02-02", first_name="Late")
    kept = report(alice_client, org_a)
    assert "Figures as of" in kept.text and "a roster this large is counted again" in kept.text
    sheets = tables(report(alice_client, org_a, Q1 + "&format=xlsx"))
    assert [row[-1] for row in sheets["New customers by source"][1:]] == [2, 1, 1]  # as counted first
    weekly = report(alice_client, org_a, Q1.replace("every=month", "every=week"))
    assert "Figures as of" not in weekly.text and "Feb 2, 2026" in weekly.text  # another question: counted
    beta = tables(report(bob_client, org_b, Q1 + "&format=xlsx"))  # same question, another organization
    assert [row[-1] for row in beta["New customers by source"][1:]] == [1, 0, 0]


def test_figures_staff_watch_are_counted_again_by_the_worker_before_they_expire(
    alice_client, bob_client, org_a, org_b, roster, alice, slow_counts
):
    def monthly(client, org) -> list[int]:
        sheets = tables(report(client, org, Q1 + "&format=xlsx"))
        return [row[-1] for row in sheets["New customers by source"][1:]]

    assert monthly(alice_client, org_a) == [2, 1, 1]  # counted, kept and now watched
    report(alice_client, org_a, f"{Q1}&segment={roster['segment'].pk}")  # a segment's: never recounted
    with tenant(org_a):
        person(alice, "2026-02-02", first_name="Late")
    assert monthly(alice_client, org_a) == [2, 1, 1]  # the kept figures
    assert customer_report.organizations_watching() == [org_a.pk]  # Beta's staff looked at nothing
    assert tasks.kept_reports_recount.apply(kwargs={"org_id": org_a.pk}).get() == 1
    assert monthly(alice_client, org_a) == [2, 2, 1]
    assert "Figures as of" in report(alice_client, org_a).text
    assert monthly(bob_client, org_b) == [1, 0, 0]
    assert sorted(customer_report.organizations_watching()) == sorted([org_a.pk, org_b.pk])


@pytest.fixture
def imports_run(org_a, alice):
    with tenant(org_a):
        jobs = []
        for name, rows, errors, status, started in (
            ("big.csv", 500, 20, ImportJob.Status.DONE, "2026-01-06"),
            ("small.csv", 10, 0, ImportJob.Status.DONE, "2026-01-07"),
            ("broken.csv", 40, 40, ImportJob.Status.FAILED, "2026-02-10"),
            ("never.csv", 99, 0, ImportJob.Status.READY, None),
        ):
            jobs.append(
                ImportJob.objects.create(
                    file_name=name,
                    total_rows=rows,
                    error_rows=errors,
                    status=status,
                    created=rows - errors,
                    started_at=at(started) if started else None,
                    created_by=alice,
                )
            )
        ImportIssue.objects.bulk_create(
            [ImportIssue(job=jobs[0], row=n, message="Enter a valid email address.") for n in range(2, 5)]
            + [ImportIssue(job=jobs[2], row=2, message="Enter a valid email address.")]
            + [ImportIssue(job=jobs[2], row=3, message="A birthday can't be in the future.")]
        )
    return jobs


def test_the_imports_report_rates_runs_and_groups_errors(alice_client, org_a, imports_run):
    assert (
        alice_client.get(f"/app/{org_a.slug}/imports/report/")["Location"]
        == f"/app/{org_a.slug}/reports/imports/"
    )
    sheets = tables(report(alice_client, org_a, Q1 + "&format=xlsx", path="imports"))
    by_month = sheets["Imports by month"]
    assert by_month[1] == ["Jan 2026", 2, 2, 0, 100, 510, 490, 0, 20, 3.9]
    assert by_month[2] == ["Feb 2026", 1, 0, 1, 0, 40, 0, 0, 40, 100]
    assert by_month[3][:2] == ["Mar 2026", 0] and by_month[3][4] is None
    assert [row[0] for row in sheets["Largest imports"][1:]] == ["big.csv", "broken.csv", "small.csv"]
    assert sheets["Most frequent errors"][1:] == [
        ["Enter a valid email address.", 4, 2],
        ["A birthday can't be in the future.", 1, 1],
    ]
    page = report(alice_client, org_a, Q1, path="imports").text
    assert 'data-chart="chart-imports"' in page and "never.csv" not in page


def test_metrics_sales_and_memberships_download_their_tables(alice_client, org_a, roster):
    today = datetime.now(ZONE).date()
    metrics = tables(alice_client.get(f"/app/{org_a.slug}/metrics/?format=xlsx"))
    assert metrics == {"Metrics": [["Metric", "Kind", "Active customers with a value", "Last measured"]]}
    sales = tables(alice_client.get(f"/app/{org_a.slug}/sales/?range=this_month&format=xlsx"))
    assert list(sales) == ["Sales by month", "Sales by package", "Top customers"]
    assert sales["Sales by month"][1] == [today.strftime("%Y-%m"), 0, 0, 0, 0, "USD"]
    memberships = tables(alice_client.get(f"/app/{org_a.slug}/memberships/?format=xlsx"))
    assert list(memberships) == ["Active memberships", "Per month"]


def test_staff_open_reports_pick_a_segment_and_a_period_and_download_xlsx(
    browser_page, live_server, org_a, roster, screenshot
):
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="New customers by source")).to_be_visible()
    page.get_by_label("Customers", exact=True).select_option(label="VIPs")
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2026-03-31")
    expect(page.get_by_label("Period", exact=True)).to_have_value("custom")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".report-downloads")).to_contain_text("Jan 1, 2026 – Mar 31, 2026 · VIPs")
    expect(page.locator("canvas[data-drawn]")).to_have_count(4)
    growth = page.locator("table[data-table='0'] tbody tr")
    expect(growth).to_have_count(3)
    expect(growth.first).to_contain_text("Jan 2026")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download XLSX").click()
    assert download.value.suggested_filename == "alpha-customers-2026-01-01-2026-03-31.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert [row[-1] for row in book["New customers by source"].iter_rows(min_row=2, values_only=True)] == [
        2,
        0,
        0,
    ]
    screenshot(page, "90-customers-report")
    # Schedule it: the segment comes along; a custom period gives way to a preset.
    page.get_by_role("link", name="Email this report…").click()
    expect(page.get_by_role("heading", name="Email the Customers report")).to_be_visible()
    expect(page.get_by_label("Customers", exact=True)).to_have_value(str(roster["segment"].pk))
    page.get_by_label("Period", exact=True).select_option(label="Last month")
    expect(page.get_by_label("On day")).to_be_hidden()
    page.get_by_label("Monthly").check()
    page.get_by_label("On day").select_option("28")
    page.get_by_label("At", exact=True).select_option(label="06:00")
    page.get_by_label("Alice Anders (alice@alpha.example)").check()
    screenshot(page, "91-schedule-report-form")
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_text("The Customers report is scheduled.")).to_be_visible()
    row = page.locator("table.scheduled-reports tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("On day 28 of each month at 06:00")
    expect(row).to_contain_text("Last month")
    expect(row).to_contain_text("alice@alpha.example")
    screenshot(page, "92-scheduled-reports")
    assert errors == [], errors


def test_table_rows_are_drawn_escaped_with_grouped_numbers():
    """What the page shows of a report table's rows: text escaped (tag names, file names and errors are
    written by tenants), numbers grouped as intcomma groups them, a missing number a dash."""
    table = ReportTable(
        title="T",
        headers=["Tag", "Customers", "Share", "Total", "None", "Note"],
        rows=[['<img src=x onerror="alert(1)">', 1234567, 12.5, Decimal("1234.50"), None, "<b>x</b> & y"]],
    )
    assert table.body_html() == (
        '<tr><th scope="row" class="fw-normal">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</th>'
        '<td class="text-end">1,234,567</td><td class="text-end">12.5</td><td class="text-end">1,234.50</td>'
        '<td class="text-end">—</td><td class="text-end">&lt;b&gt;x&lt;/b&gt; &amp; y</td></tr>'
    )
