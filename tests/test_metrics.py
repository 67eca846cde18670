"""Metrics: definitions in settings, values recorded and corrected on profiles (history is never overwritten),
formatting, permissions — and the other tenant. Roster filters and reports: test_metric_filters_reports.py."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant
from customers.models import Activity
from metrics import services
from metrics.formatting import format_value
from metrics.models import Metric, MetricEntry, MetricEvent, MetricKind
from tests.factories import customer
from tests.metric_helpers import SETTINGS, record, roster, tab_url, today


def test_recording_twice_keeps_both_values_and_the_latest_is_current(
    alice_client, org_a, alice, metric_world
):
    a = metric_world["a"]
    with tenant(org_a):
        first = record(a["ann"], a["visits"], 12, days_ago=3, by=alice)
        second = record(a["ann"], a["visits"], 15, by=alice)
        # A value measured earlier, recorded later, goes into the history without becoming current.
        record(a["ann"], a["visits"], 13, days_ago=1, by=alice)
        entries = MetricEntry.objects.filter(customer=a["ann"], metric=a["visits"])
        assert sorted(entries.values_list("value", flat=True)) == [12, 13, 15]
        assert list(entries.filter(is_current=True)) == [second]
        first.refresh_from_db()
        assert first.value == 12 and not first.is_current
    page = alice_client.get(tab_url(org_a, a["ann"])).text
    assert "15 visits" in page and page.count('aria-label="Correct Visits of') == 3  # three rows
    assert (
        "up from" not in page
        and '<span class="visually-hidden">up</span> <span class="small">from 13 visits' in page
    )


def test_a_correction_keeps_the_old_value_struck_and_makes_the_new_one_current(
    alice_client, org_a, alice, metric_world
):
    a = metric_world["a"]
    with tenant(org_a):
        record(a["ann"], a["skill"], 4, days_ago=10, by=alice)
        wrong = record(a["ann"], a["skill"], 55, by=alice, comment="typed too fast")
    url = f"/app/{org_a.slug}/customers/metric-entries/{wrong.pk}/correct/"
    form = alice_client.get(url)
    assert "Correct Skill level of" in form.text and 'value="55.0"' in form.text
    response = alice_client.post(url, {"value": "5.5", "recorded_on": today().isoformat(), "comment": "typo"})
    assert response.status_code == 302
    page = alice_client.get(tab_url(org_a, a["ann"])).text
    assert (
        '<del class="text-nowrap">55.0 of 10</del>' in page
        and "corrected by Alice Anders to 5.5 of 10" in page
    )
    assert "correction of 55.0 of 10" in page
    with tenant(org_a):
        wrong.refresh_from_db()
        current = MetricEntry.objects.get(customer=a["ann"], metric=a["skill"], is_current=True)
        assert (wrong.value, wrong.is_current, current.value, current.supersedes) == (55, False, 5.5, wrong)
        event = Activity.objects.filter(kind=MetricEvent.METRIC).latest("id")
        assert event.changes == {"Skill level": ["55.0 of 10", "5.5 of 10"]}
        assert event.detail.endswith(": typo") and event.actor == alice
        # An entry is corrected once: the second try changes nothing.
        again = alice_client.post(url, {"value": "6", "recorded_on": today().isoformat()})
        assert again.status_code == 302
        assert MetricEntry.objects.filter(customer=a["ann"]).count() == 3
        with pytest.raises(services.MetricError, match="already corrected"):
            services.entry_correct(entry=wrong, value=6, recorded_on=today(), by=alice)


def test_the_database_refuses_two_current_entries_and_crossed_corrections(org_a, org_b, metric_world):
    a, b = metric_world["a"], metric_world["b"]
    with tenant(org_a):
        entry = record(a["ann"], a["visits"], 1)
        with pytest.raises(IntegrityError), transaction.atomic():
            MetricEntry.objects.create(customer=a["ann"], metric=a["visits"], value=2, is_current=True)
        fix = MetricEntry.objects.create(customer=a["ann"], metric=a["visits"], value=2, supersedes=entry)
        with pytest.raises(IntegrityError), transaction.atomic():  # corrected twice
            MetricEntry.objects.create(customer=a["ann"], metric=a["visits"], value=3, supersedes=entry)
        with pytest.raises(IntegrityError), transaction.atomic():  # a correction in another series
            MetricEntry.objects.create(customer=a["ben"], metric=a["visits"], value=3, supersedes=fix)
        with pytest.raises(IntegrityError), transaction.atomic():  # another organization's customer
            MetricEntry.objects.create(customer_id=b["zed"].pk, metric=a["visits"], value=3)
        with pytest.raises(IntegrityError), transaction.atomic():  # another organization's metric
            MetricEntry.objects.create(customer=a["ann"], metric_id=b["visits"].pk, value=3)
        with pytest.raises(IntegrityError), transaction.atomic():
            MetricEntry.objects.create(customer=a["ann"], metric=a["visits"], value=float("nan"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Metric.objects.create(name="Owed", kind=MetricKind.MONEY)  # money needs its currency
        with pytest.raises(IntegrityError), transaction.atomic():
            Metric.objects.create(name="Precise", decimals=7)
        with pytest.raises(IntegrityError), transaction.atomic():
            Metric.objects.create(name="visits")  # names are unique whatever the case
        assert MetricEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("attributes", "value", "shown"),
    [
        ({"kind": "counter", "unit": "visits"}, 1234, "1,234 visits"),
        ({"kind": "counter"}, 0, "0"),
        ({"kind": "number", "decimals": 2, "unit": "kg"}, 12.5, "12.50 kg"),
        ({"kind": "number", "decimals": 1}, -0.04, "0.0"),
        ({"kind": "number", "decimals": 0}, -3, "-3"),
        ({"kind": "money", "currency": "USD", "decimals": 2}, 1234.5, "$1,234.50"),
        ({"kind": "money", "currency": "EUR", "decimals": 0}, -20, "-€20"),
        ({"kind": "money", "currency": "CHF", "decimals": 2}, 9.99, "9.99 CHF"),
        ({"kind": "percentage", "decimals": 1}, 85.25, "85.2%"),
        ({"kind": "percentage", "decimals": 0}, 100, "100%"),
        ({"kind": "number"}, None, "—"),
    ],
)
def test_values_are_written_as_their_metric_says(attributes, value, shown):
    assert format_value(Metric(name="m", **attributes), value) == shown


@pytest.mark.parametrize(
    ("metric", "value", "day", "message"),
    [
        ("visits", "abc", 0, "Enter a number, e.g. 12 or 12.5."),
        ("visits", "NaN", 0, "Enter a number"),
        ("visits", "-1", 0, "A counter can't be negative."),
        ("visits", "1.5", 0, "Enter a whole number."),
        ("attendance", "101", 0, "A percentage is between 0 and 100."),
        ("attendance", "-0.5", 0, "A percentage is between 0 and 100."),
        ("spend", "10.005", 0, "Use at most 2 decimal places."),
        ("skill", "1e20", 0, "That number is too large."),
        ("skill", "5", -400, "Not a future date"),
        ("skill", "", 0, "This field is required."),
    ],
)
def test_bad_values_get_a_message_next_to_the_field_and_nothing_is_saved(
    alice_client, org_a, metric_world, metric, value, day, message
):
    a = metric_world["a"]
    data = {
        "metric": a[metric].pk,
        "value": value,
        "recorded_on": (today() - timedelta(days=day)).isoformat(),
        "comment": "x",
    }
    response = alice_client.post(f"{tab_url(org_a, a['ann'])}record/", data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    form = response.context["entry_form"]
    field = "recorded_on" if day else "value"
    assert message in " ".join(form.errors[field])
    assert f'id="id_{field}_error"' in response.text and "invalid-feedback" in response.text
    with tenant(org_a):
        assert not MetricEntry.objects.exists()
        assert not Activity.objects.filter(kind=MetricEvent.METRIC).exists()


def test_staff_record_with_htmx_or_a_plain_form_and_it_is_logged(alice_client, org_a, alice, metric_world):
    a = metric_world["a"]
    url = f"{tab_url(org_a, a['ann'])}record/"
    data = {"metric": a["spend"].pk, "value": "120.5", "recorded_on": today().isoformat(), "comment": "Party"}
    swapped = alice_client.post(url, data, headers={"HX-Request": "true"})
    assert "Lifetime spend: $120.50 recorded." in swapped.text and "<html" not in swapped.text
    plain = alice_client.post(
        url, data | {"value": "99", "recorded_on": (today() - timedelta(days=40)).isoformat()}
    )
    assert plain.status_code == 302 and plain["Location"] == tab_url(org_a, a["ann"])
    page = alice_client.get(plain["Location"]).text
    assert "$99.00 recorded." in page and "$120.50" in page
    events = alice_client.get(f"/app/{org_a.slug}/customers/{a['ann'].pk}/activity/?kind=metrics").text
    assert "Lifetime spend" in events and "$120.50" in events and "Party" in events
    with tenant(org_a):
        first, second = Activity.objects.filter(kind=MetricEvent.METRIC).order_by("id")
        assert first.changes == {"Lifetime spend": [None, "$120.50"]} and first.detail == "Party"
        assert second.changes["Lifetime spend"][0] == "$120.50"
        assert second.changes["Lifetime spend"][1].startswith("$99.00 (for ")
        assert MetricEntry.objects.get(is_current=True).value == 120.5  # the later measurement stays current


def test_trend_arrow_is_green_when_the_value_moves_the_good_way(alice_client, org_a, metric_world):
    a = metric_world["a"]
    with tenant(org_a):
        record(a["ann"], a["skill"], 4, days_ago=2)
        record(a["ann"], a["skill"], 6)
        record(a["ann"], a["lap"], 31.5, days_ago=2)
        record(a["ann"], a["lap"], 33)
        record(a["ann"], a["attendance"], 80, days_ago=2)
        record(a["ann"], a["attendance"], 80)
    page = alice_client.get(tab_url(org_a, a["ann"])).text
    assert 'metric-trend text-success" title="Up from 4.0 of 10"' in page
    assert 'metric-trend text-danger" title="Up from 31.50 s"' in page  # lower is better for lap times
    assert 'metric-trend text-body-secondary" title="Unchanged from 80%"' in page
    assert "No value yet." in page  # visits and spend


def test_the_tab_runs_the_same_number_of_queries_however_many_values(alice_client, org_a, metric_world):
    a = metric_world["a"]

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(tab_url(org_a, a["ann"])).status_code == 200
        return len(captured)

    with tenant(org_a):
        record(a["ann"], a["visits"], 1)
    few = queries()
    with tenant(org_a):
        for days_ago in range(1, 30):
            record(a["ann"], a["visits"], days_ago, days_ago=days_ago)
            record(a["ann"], a["spend"], days_ago, days_ago=days_ago)
    assert queries() == few


def test_admins_define_metrics_with_clear_messages(alice_client, org_a, org_b):
    url = SETTINGS.format(slug=org_a.slug)
    assert "No metrics yet" in alice_client.get(url).text
    new = alice_client.get(f"{url}new/")
    assert '<option value="USD" selected>' in new.text  # the organization's currency
    base = {
        "name": "Spend",
        "kind": "money",
        "unit": "",
        "currency": "",
        "decimals": "2",
        "higher_is_better": "True",
    }
    refused = {
        "currency": (base, "Choose the currency of these amounts."),
        "decimals": (base | {"kind": "number", "decimals": "7"}, "Use 0 to 6 decimals."),
    }
    for field, (data, message) in refused.items():
        response = alice_client.post(f"{url}new/", data)
        assert message in " ".join(response.context["form"].errors[field])
        assert "invalid-feedback" in response.text
    assert alice_client.post(f"{url}new/", base | {"currency": "CAD"}).status_code == 302
    counter = base | {
        "name": "Visits",
        "kind": "counter",
        "decimals": "3",
        "unit": "visits",
        "currency": "CAD",
    }
    assert alice_client.post(f"{url}new/", counter).status_code == 302
    duplicate = alice_client.post(f"{url}new/", counter | {"name": " visits "})
    assert "Another metric has this name" in duplicate.text
    with tenant(org_a):
        spend, visits = Metric.objects.order_by("position")
        assert (spend.currency, spend.decimals, spend.unit) == ("CAD", 2, "")
        assert (visits.currency, visits.decimals, visits.unit) == ("", 0, "visits")
        ann = customer(first_name="Ann")
        record(ann, visits, 3)
    listing = alice_client.get(url).text
    assert "Money (CAD)" in listing and "Counter" in listing and "Higher is better" in listing
    # Once customers have values, the kind stays: a value means what it meant when recorded.
    edit = alice_client.post(f"{url}{visits.pk}/", counter | {"kind": "money", "name": "Check-ins"})
    assert edit.status_code == 302
    with tenant(org_a):
        visits.refresh_from_db()
        assert (visits.name, visits.kind) == ("Check-ins", "counter")


def test_archived_metrics_keep_their_history_and_leave_recording_and_filters(
    alice_client, org_a, alice, metric_world
):
    a = metric_world["a"]
    with tenant(org_a):
        entry = record(a["ann"], a["visits"], 7, by=alice)
    url = SETTINGS.format(slug=org_a.slug)
    assert alice_client.post(f"{url}{a['visits'].pk}/archive/").status_code == 302
    assert "Archived metrics" in alice_client.get(url).text
    page = alice_client.get(tab_url(org_a, a["ann"])).text
    assert f'<option value="{a["visits"].pk}"' not in page and "7 visits" not in page
    assert f'<option value="{a["visits"].pk}"' not in roster(alice_client, org_a, "")
    refused = alice_client.post(
        f"{tab_url(org_a, a['ann'])}record/",
        {"metric": a["visits"].pk, "value": "8", "recorded_on": today().isoformat()},
    )
    assert "Choose one of your active metrics." in refused.text
    correct = alice_client.post(
        f"/app/{org_a.slug}/customers/metric-entries/{entry.pk}/correct/",
        {"value": "9", "recorded_on": today().isoformat()},
    )
    assert correct.status_code == 302
    with tenant(org_a):
        assert list(MetricEntry.objects.values_list("value", flat=True)) == [7]
        with pytest.raises(services.MetricError, match="archived"):
            record(a["ann"], a["visits"], 8)
    assert alice_client.post(f"{url}{a['visits'].pk}/restore/").status_code == 302
    assert "7 visits" in alice_client.get(tab_url(org_a, a["ann"])).text


def test_it_checks_ownership(alice_client, bob_client, org_a, org_b, alice, metric_world):
    """Bob (org B) reaches none of org A's metrics, customers or entries, and writes nothing."""
    a, b = metric_world["a"], metric_world["b"]
    with tenant(org_a):
        entry = record(a["ann"], a["visits"], 5, by=alice)
    value = {"value": "6", "recorded_on": today().isoformat()}
    beta = f"/app/{org_b.slug}"
    for method, url, data in [
        ("get", f"{beta}/settings/metrics/{a['visits'].pk}/", None),
        ("post", f"{beta}/settings/metrics/{a['visits'].pk}/", {"name": "Mine", "kind": "counter"}),
        ("post", f"{beta}/settings/metrics/{a['visits'].pk}/archive/", None),
        ("post", f"{beta}/settings/metrics/{a['visits'].pk}/restore/", None),
        ("get", f"{beta}/customers/{a['ann'].pk}/metrics/", None),
        ("post", f"{beta}/customers/{a['ann'].pk}/metrics/record/", {"metric": b["visits"].pk} | value),
        ("get", f"{beta}/customers/metric-entries/{entry.pk}/correct/", None),
        ("post", f"{beta}/customers/metric-entries/{entry.pk}/correct/", value),
        ("get", f"{beta}/metrics/{a['visits'].pk}/", None),
        ("get", f"{beta}/metrics/{a['visits'].pk}/distribution.csv", None),
        ("get", f"{beta}/metrics/{a['visits'].pk}/trend.csv", None),
        ("get", f"{beta}/metrics/{a['visits'].pk}/values.csv", None),
        ("get", f"/app/{org_a.slug}/metrics/", None),
        ("get", f"/app/{org_a.slug}/customers/{a['ann'].pk}/metrics/", None),
    ]:
        response = getattr(bob_client, method)(url, data) if data else getattr(bob_client, method)(url)
        assert response.status_code == 404, (method, url)
    # Org A's metric id on org B's own customer: refused as a choice, nothing saved.
    response = bob_client.post(
        f"{beta}/customers/{b['zed'].pk}/metrics/record/", {"metric": a["visits"].pk} | value
    )
    assert "Choose one of your active metrics." in response.text
    with tenant(org_a):
        assert list(MetricEntry.objects.values_list("value", flat=True)) == [5]
        assert Metric.objects.filter(archived_at=None).count() == 5
    with tenant(org_b):
        assert not MetricEntry.objects.exists() and Metric.objects.get().name == "Visits"
