"""In Chromium: an owner defines a metric in Settings, records it three times on a profile's Metrics tab and
sees the chart, corrects one value (struck through), filters the roster by it and opens its report."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tenancy import tenant
from customers.models import Customer
from metrics.demo import demo_metrics
from metrics.models import Metric, MetricEntry
from tests.factories import customer
from tests.test_browser_journey import log_in, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chart_points(page, selector: str) -> list:
    """The values a drawn chart holds, read from Chart.js (and proof the canvas has pixels on it)."""
    return page.evaluate(
        """(selector) => {
            const canvas = document.querySelector(selector);
            const chart = window.Chart && window.Chart.getChart(canvas);
            if (!chart) return null;
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            const painted = pixels.some((value, index) => index % 4 === 3 && value > 0);
            return painted ? chart.data.datasets[0].data : [];
        }""",
        selector,
    )


def record(page, value: str, day, comment: str = ""):
    form = page.locator(".metric-record-form")
    form.get_by_label("Metric").select_option(label="Visits")
    form.get_by_label("Value").fill(value)
    form.get_by_label("Measured on").fill(day.isoformat())
    form.get_by_label("Comment").fill(comment)
    form.get_by_role("button", name="Record").click()


def test_a_metric_is_defined_recorded_charted_corrected_filtered_and_reported(
    browser_page, live_server, org_a, org_b, alice, screenshot
):
    with tenant(org_a):
        ann = customer(first_name="Ann", last_name="Archer", by=alice)
        customer(first_name="Ben", last_name="Baker", by=alice)
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Metrics").click()
    expect(page.get_by_text("No metrics yet.")).to_be_visible()
    page.get_by_role("link", name="Add metric").first.click()
    page.get_by_label("Name").fill("Visits")
    page.get_by_label("Kind").select_option(label="Counter (whole numbers from 0)")
    expect(page.get_by_label("Currency")).to_be_hidden()
    page.get_by_label("Unit").fill("visits")
    page.get_by_role("button", name="Save metric").click()
    expect(page.get_by_role("status")).to_contain_text("“Visits” saved.")
    expect(page.locator(".metrics-table")).to_contain_text("Counter")
    screenshot(page, "60-metric-settings")

    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("link", name="Archer, Ann").click()
    page.get_by_role("tab", name="Metrics").click()  # an HTMX swap of the tab
    expect(page).to_have_url(re.compile(rf"/customers/{ann.pk}/metrics/$"))
    expect(page.get_by_text("No value yet.")).to_be_visible()

    with timezone.override(org_a.time_zone):
        today = timezone.localdate()
    record(page, "-2", today)
    expect(page.locator("#id_value_error")).to_contain_text("A counter can't be negative.")
    screenshot(page, "61-metric-record-error")
    record(page, "4", today - timedelta(days=20), "First visit")
    expect(page.get_by_role("status")).to_contain_text("Visits: 4 visits recorded.")
    record(page, "70", today - timedelta(days=10))
    expect(page.get_by_role("status")).to_contain_text("Visits: 70 visits recorded.")
    record(page, "9", today, "Birthday party")
    expect(page.get_by_role("status")).to_contain_text("Visits: 9 visits recorded.")
    card = page.locator(".metric-card")
    expect(card.locator(".metric-current")).to_have_text("9 visits")
    expect(card.locator(".metric-trend")).to_have_class(re.compile("text-danger"))  # down from 70
    expect(card.locator(".metric-history-table tbody tr")).to_have_count(3)
    expect(card.locator("canvas[data-drawn]")).to_have_count(1)
    assert chart_points(page, ".metric-card canvas") == [4, 70, 9]
    screenshot(page, "62-metric-tab")

    card.get_by_role("link", name=re.compile(r"Correct Visits of")).nth(1).click()  # the 70: a typo for 7
    form = page.locator(".metric-correct-form")
    expect(form.get_by_label("Correct value")).to_have_value("70")
    form.get_by_label("Correct value").fill("7")
    form.get_by_label("Why (optional)").fill("Typo")
    screenshot(page, "63-metric-correct-form")
    form.get_by_role("button", name="Save correction").click()
    expect(page.get_by_role("status")).to_contain_text("Visits corrected: 70 visits → 7 visits.")
    expect(card.locator("del")).to_have_text("70 visits")
    expect(card.locator(".superseded")).to_contain_text("corrected by Alice Anders to 7 visits")
    expect(card.locator(".metric-trend")).to_have_class(re.compile("text-success"))  # now up from 7
    expect(card.locator(".metric-trend")).to_contain_text("from 7 visits")
    expect(card.locator(".metric-history-table tbody tr")).to_have_count(4)
    expect(page.locator(".metric-card canvas[data-drawn]")).to_have_count(1)  # no eval under the page's CSP
    assert chart_points(page, ".metric-card canvas") == [4, 7, 9]
    screenshot(page, "64-metric-corrected")

    # A full page load (no HTMX) draws the chart too.
    page.reload()
    expect(page.locator(".metric-card canvas[data-drawn]")).to_have_count(1)
    page.get_by_role("tab", name="Activity Log").click()
    expect(page.locator(".activity-log")).to_contain_text("Corrected the value of")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("button", name="Filters").click()
    page.get_by_label("Metric", exact=True).select_option(label="Visits (visits)")
    expect(page.locator("#roster-table tbody tr")).to_have_count(1)
    page.get_by_label("Current value").fill("10")
    page.get_by_label("Current value").press("Tab")
    expect(page.get_by_text("No customers match")).to_be_visible()
    page.get_by_label("Current value").fill("5")
    page.locator(".metric-filter").get_by_label("to", exact=True).fill("9")
    page.get_by_label("Changed in the last").fill("7")
    page.get_by_label("Changed in the last").press("Tab")
    expect(page.locator("#roster-table tbody tr")).to_have_count(1)
    expect(page.locator("#roster-table")).to_contain_text("Archer, Ann")
    expect(page).to_have_url(re.compile(r"metric_min=5.*metric_max=9.*metric_days=7"))
    screenshot(page, "65-roster-metric-filter")
    page.get_by_label("Metric", exact=True).select_option(label="Any metric")
    expect(page.get_by_text("No customers match")).to_be_visible()
    page.reload()  # the roster swaps only its results: the panel's messages come with a full page
    expect(page.locator(".filter-panel .invalid-feedback")).to_contain_text(
        "Choose the metric these values are of."
    )

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.locator(".report-tabs").get_by_role("link", name="Metrics").click()
    page.get_by_role("link", name="Visits").click()
    expect(page.locator("[data-stat=count]")).to_have_text("1")
    expect(page.locator("canvas[data-drawn]")).to_have_count(2)
    assert sum(chart_points(page, "canvas[data-chart=distribution-chart]")) == 1
    screenshot(page, "66-metric-report")
    with tenant(org_a):
        assert MetricEntry.objects.count() == 4
    assert errors == [], errors


def test_reports_show_the_spread_and_the_months_of_demo_metrics(
    browser_page, live_server, org_a, org_b, alice, screenshot
):
    with tenant(org_a):
        people = Customer.objects.bulk_create(
            Customer(first_name=f"Kid{n}", last_name=f"Family{n:03d}") for n in range(300)
        )
        demo_metrics(people, seed=3)
        spend = Metric.objects.get(name="Lifetime spend")
        skill = Metric.objects.get(name="Skill level")
        someone = MetricEntry.objects.filter(metric=skill, is_current=True).first().customer
    page = browser_page
    errors = watch_console(page)
    log_in(page, live_server.url, "alice@alpha.example")
    page.goto(f"{live_server.url}/app/{org_a.slug}/metrics/")
    expect(page.locator(".metric-reports-table tbody tr")).to_have_count(4)
    screenshot(page, "67-metric-reports")
    page.get_by_role("link", name="Lifetime spend").click()
    expect(page.locator("canvas[data-drawn]")).to_have_count(2)
    expect(page.locator(".distribution-table tbody tr")).to_have_count(10)
    expect(page.locator(".distribution-table")).to_contain_text("$")
    screenshot(page, "68-metric-report-money")
    page.goto(f"{live_server.url}/app/{org_a.slug}/customers/{someone.pk}/metrics/")
    expect(page.locator(".metric-card canvas[data-drawn]").first).to_be_visible()
    screenshot(page, "69-metric-tab-demo")
    assert spend.currency == org_a.currency
    assert errors == [], errors
