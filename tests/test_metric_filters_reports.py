"""Metrics on the roster and in reports: the current-value filter (an index range under row-level security),
the report's counts and empty states, its CSVs, who may see them — and the other tenant."""

import csv
import io
import re

from django.db import connection

from accounts.models import Role
from accounts.tenancy import tenant
from customers import services as customer_services
from customers.models import Customer
from metrics import services
from metrics.demo import demo_metrics
from metrics.models import Metric, MetricEntry, MetricKind
from tests.conftest import logged_in, make_member
from tests.factories import customer
from tests.metric_helpers import SETTINGS, make_metric, record, roster, tab_url, today


def test_org_b_roster_filter_never_returns_org_a_customers(bob_client, org_a, org_b, metric_world):
    a, b = metric_world["a"], metric_world["b"]
    with tenant(org_a):
        record(a["ann"], a["visits"], 5)
    with tenant(org_b):
        record(b["zed"], b["visits"], 5)
    page = roster(bob_client, org_b, f"?metric={a['visits'].pk}")
    assert "Choose one of your metrics." in page
    assert "Archer" not in page and "Zu, Zed" not in page
    page = roster(bob_client, org_b, f"?metric={b['visits'].pk}&metric_min=0")
    assert "Zu, Zed" in page and "Archer" not in page


def test_roster_filter_by_current_value_and_recency(alice_client, org_a, alice, metric_world):
    a = metric_world["a"]
    with tenant(org_a):
        cy = customer(first_name="Cy", last_name="Cole")
        dee = customer(first_name="Dee", last_name="Dunn")
        record(a["ann"], a["skill"], 9, days_ago=60)
        record(a["ann"], a["skill"], 3, days_ago=40)  # current: 3, changed 40 days ago
        record(a["ben"], a["skill"], 5, days_ago=2)
        record(cy, a["skill"], 8)
        record(dee, a["skill"], 7)
        customer_services.customer_archive(customer=dee, by=alice)
    skill = a["skill"].pk

    def names(query):
        page = roster(alice_client, org_a, f"?metric={skill}{query}")
        return {name for name in ("Archer", "Baker", "Cole", "Dunn") if f"{name}, " in page}

    assert names("") == {"Archer", "Baker", "Cole"}  # has a value; the archived stay hidden
    assert names("&metric_min=5") == {"Baker", "Cole"}  # ≥, on the current value (not Ann's old 9)
    assert names("&metric_max=5") == {"Archer", "Baker"}  # ≤
    assert names("&metric_min=4&metric_max=7.5") == {"Baker"}
    assert names("&metric_days=7") == {"Baker", "Cole"}
    assert names("&metric_days=7&metric_min=6") == {"Cole"}
    assert names("&metric_min=6&status=all") == {"Cole", "Dunn"}
    assert "Archer" not in roster(alice_client, org_a, f"?metric={a['visits'].pk}")
    for query, message in [
        ("?metric=&metric_min=3", "Choose the metric these values are of."),
        ("?metric_days=7", "Choose the metric these values are of."),
        (f"?metric={skill}&metric_min=8&metric_max=2", "“From” is more than “to”."),
        (f"?metric={skill}&metric_min=abc", "“From” must be a number."),
        (f"?metric={skill}&metric_days=0", "Days must be 1 to 3650."),
    ]:
        page = roster(alice_client, org_a, query)
        assert f'<div class="invalid-feedback d-block">{message}</div>' in page.replace(
            "&ldquo;", "“"
        ).replace("&rdquo;", "”"), query
        assert "Archer, Ann" not in page


def test_the_filter_is_an_index_range_under_row_level_security(org_a, metric_world):
    """As the app role, the value and date conditions must be index conditions of the partial indexes (float8
    and date comparisons are leakproof; numeric's are not, and would be left as a filter over every value)."""
    a = metric_world["a"]
    with tenant(org_a):
        record(a["ann"], a["skill"], 3)
        current = MetricEntry.objects.filter(metric=a["skill"], is_current=True)
        in_range = current.filter(value__gte=2, value__lte=5).order_by("value")
        recent = current.filter(recorded_on__gte=today()).order_by("recorded_on")
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                "SET LOCAL enable_sort = off"
            )  # tiny unanalyzed test tables: ask for the index path
            plans = [query.values("customer_id").explain() for query in (in_range, recent)]
    assert "metric_entry_value_idx" in plans[0] and "value >=" in plans[0].split("Index Cond")[1], plans[0]
    assert (
        re.search("metric_entry_(recent|trend)_idx", plans[1])
        and "recorded_on >=" in plans[1].split("Index Cond")[1]
    ), plans[1]


def test_report_counts_equal_what_was_recorded(alice_client, org_a, alice, metric_world):
    a = metric_world["a"]
    with tenant(org_a):
        people = [customer(first_name=f"P{n}", last_name="Person") for n in range(6)]
        for index, person in enumerate(people):
            record(person, a["visits"], index * 3, days_ago=40)  # 0 3 6 9 12 15 last month or so
            record(person, a["visits"], index * 4)  # current: 0 4 8 12 16 20
        wrong = record(a["ann"], a["visits"], 99)
        services.entry_correct(entry=wrong, value=30, recorded_on=today(), by=alice)
        customer_services.customer_archive(customer=people[0], by=alice)
    index_page = alice_client.get(f"/app/{org_a.slug}/metrics/").text
    assert "Visits" in index_page and '<td class="text-end">6</td>' in index_page  # active customers
    response = alice_client.get(f"/app/{org_a.slug}/metrics/{a['visits'].pk}/")
    stats = response.context["stats"]
    assert stats["count"] == 6  # five active people and Ann; the archived one left out
    assert (stats["low"], stats["high"], stats["median"], stats["mean"]) == (4, 30, 14, 15)
    buckets = response.context["buckets"]
    assert sum(bucket["customers"] for bucket in buckets) == 6 and len(buckets) <= 10
    assert buckets[0]["label"] == "4 – 6 visits" and buckets[0]["customers"] == 1
    assert buckets[-1]["customers"] == 1  # 30 falls in the last bucket
    months = response.context["months"]
    assert len(months) == 12 and months[-1]["month"] == today().replace(day=1)
    assert sum(month["entries"] for month in months) == 13  # 6 + 6 + Ann's corrected value counted once
    this_month = months[-1]
    assert this_month["customers"] == this_month["entries"]
    assert 'data-chart="distribution-chart"' in response.text and 'id="trend-chart"' in response.text
    assert ">Lowest<" in response.text and "4 visits" in response.text


def test_report_empty_states_say_what_to_do(alice_client, org_a):
    assert "No metrics to report on yet" in alice_client.get(f"/app/{org_a.slug}/metrics/").text
    with tenant(org_a):
        metric = make_metric("Visits", MetricKind.COUNTER)
    page = alice_client.get(f"/app/{org_a.slug}/metrics/{metric.pk}/").text
    assert "No active customer has a value of Visits yet. Record one on a customer's profile" in page


def test_csvs_neutralize_formulas_in_names_and_comments(alice_client, org_a, alice):
    with tenant(org_a):
        metric = make_metric("=HYPERLINK(1)", MetricKind.COUNTER)
        ann = customer(first_name="@Ann", last_name="Archer")
        record(ann, metric, 3, by=alice, comment="=cmd|' /C calc'!A0")
    base = f"/app/{org_a.slug}/metrics/{metric.pk}"
    files = {}
    for name in ("distribution", "trend", "values"):
        response = alice_client.get(f"{base}/{name}.csv")
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        files[name] = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert files["distribution"][1] == ["'=HYPERLINK(1)", "3", "1"]
    assert files["trend"][-1][:4] == ["'=HYPERLINK(1)", today().strftime("%Y-%m"), "1", "1"]
    assert files["values"][1] == [
        "'@Ann Archer",
        "'=HYPERLINK(1)",
        "3",
        today().isoformat(),
        "Alice Anders",
        "'=cmd|' /C calc'!A0",
    ]


def test_staff_may_record_but_not_define_metrics_or_see_reports(org_a, metric_world, carol_client):
    a = metric_world["a"]
    admin = logged_in(make_member(org_a, Role.ADMIN, "ada@alpha.example"))
    data = {"metric": a["visits"].pk, "value": "2", "recorded_on": today().isoformat()}
    assert carol_client.post(f"{tab_url(org_a, a['ann'])}record/", data).status_code == 302
    for url in [
        SETTINGS.format(slug=org_a.slug),
        f"{SETTINGS.format(slug=org_a.slug)}new/",
        f"/app/{org_a.slug}/metrics/",
        f"/app/{org_a.slug}/metrics/{a['visits'].pk}/",
        f"/app/{org_a.slug}/metrics/{a['visits'].pk}/trend.csv",
    ]:
        assert carol_client.get(url).status_code == 403, url
    assert (
        carol_client.post(f"{SETTINGS.format(slug=org_a.slug)}{a['visits'].pk}/archive/").status_code == 403
    )
    nav = carol_client.get(tab_url(org_a, a["ann"])).text
    assert ">Reports<" not in nav and ">Metrics</a>" in nav
    assert ">Reports<" in admin.get(f"/app/{org_a.slug}/customers/").text
    assert admin.get(f"/app/{org_a.slug}/metrics/{a['visits'].pk}/").status_code == 200
    assert admin.get(f"/app/{org_a.slug}/metrics/{a['visits'].pk}/values.csv").status_code == 200
    with tenant(org_a):
        assert MetricEntry.objects.get().recorded_by.email == "carol@alpha.example"
        assert Metric.objects.filter(archived_at=None).count() == 5


def test_the_tab_says_where_metrics_are_defined_when_there_are_none(alice_client, org_a, metric_world):
    a = metric_world["a"]
    assert "Record a value" in alice_client.get(tab_url(org_a, a["ann"])).text
    with tenant(org_a):
        Metric.objects.all().delete()
    empty = alice_client.get(tab_url(org_a, a["ann"])).text
    assert (
        "No metrics yet." in empty and "Define metrics in Settings" in empty and "Record a value" not in empty
    )


def test_demo_metrics_have_histories_whose_current_value_is_the_latest(org_a):
    with tenant(org_a):
        people = Customer.objects.bulk_create(Customer(first_name="P", last_name=f"N{n}") for n in range(200))
        demo_metrics(people, seed=1)
        assert sorted(Metric.objects.values_list("name", flat=True)) == [
            "Attendance rate",
            "Lifetime spend",
            "Skill level",
            "Visits",
        ]
        entries = list(MetricEntry.objects.order_by("recorded_on", "created_at", "id"))
        measured = {entry.customer_id for entry in entries}
        assert 20 <= len(measured) <= 70  # about a fifth
        corrected = {entry.supersedes_id for entry in entries if entry.supersedes_id}
        latest = {}
        for entry in entries:
            if entry.pk not in corrected:
                latest[(entry.customer_id, entry.metric_id)] = entry.pk
        assert {entry.pk for entry in entries if entry.is_current} == set(latest.values())
