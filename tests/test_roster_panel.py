"""The roster's filter panel is drawn in Python (customers/plain_widgets.py): the same markup Django's widget
templates write, for every kind of filter, selected values and user text included."""

import re
from datetime import UTC, date, datetime

from django.db import connection
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.template import engines
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import tenant
from billing import services as billing_services
from billing.models import Package
from customers.extend import RosterFilters, registered
from customers.filters import CustomerFilter
from customers.models import Customer, FieldType
from customers.plain_widgets import PlainWidgets, panel_fields
from families import services as family_services
from families.models import AffiliatedOrganization
from metrics import services as metric_services
from metrics.models import Metric
from tags.models import Tag
from tags.services import tag_add
from tests.custom_field_helpers import make_field, option_id
from tests.customer_helpers import RESULTS, roster_url
from tests.factories import customer


def test_panel_widgets_match_djangos_templates(org_a, alice_client):
    with tenant(org_a):
        sizes = make_field('<b>Size</b> "x"', FieldType.CHOICE, options=["S & M", "<i>L</i>"])
        make_field("Member", FieldType.YES_NO)
        make_field("Joined", FieldType.DATE)
        make_field("Visits", FieldType.NUMBER)
        make_field("Notes", FieldType.TEXT)
        vip = Tag.objects.create(name="<VIP>")
        params = QueryDict(mutable=True)
        params.setlist(f"cf_{sizes.pk}", [str(option_id(sizes, "S & M"))])
        params.update({"tag": str(vip.pk), "created_after": "2025-01-02", "has_email": "true"})
        params.update({"status": "all", "birthday_month": "3", "letter": "s"})
        panels = [CustomerFilter(params, queryset=Customer.objects.all(), audience="owner") for _ in "ab"]
        plain, django = (panel.form for panel in panels)
        django.renderer = DjangoTemplates()
        assert isinstance(plain.renderer, PlainWidgets)
        assert len(plain.fields) >= 15
        for name in plain.fields:
            assert str(plain[name]) == str(django[name]), name
            for ours, theirs in zip(plain[name], django[name], strict=True):
                assert ours.tag() == theirs.tag(), name
    assert "&lt;b&gt;Size" in str(plain[f"cf_{sizes.pk}"].label) or "<b>" not in str(plain[f"cf_{sizes.pk}"])
    assert "checked" in str(plain["tag"]) and "&lt;VIP&gt;" in str(plain["tag"])


def test_results_fragment_builds_only_the_filters_it_is_asked_for(alice_client, org_a, jane, alice):
    with tenant(org_a):
        adams = customer(first_name="Ann", last_name="Adams", by=alice)
        spring = customer(first_name="Sam", last_name="Spring", by=alice)
        vip = Tag.objects.create(name="VIP")
        tag_add(customer=spring, tag=vip, by=alice)
        tag_add(customer=adams, tag=vip, by=alice)
    fragment = alice_client.get(roster_url(org_a, f"?letter=s&tag={vip.pk}&tag_mode=all"), **RESULTS).text
    assert "Spring, Sam" in fragment and "Smith, Jane" not in fragment and "Adams, Ann" not in fragment
    with CaptureQueriesContext(connection) as queries:
        fragment = alice_client.get(roster_url(org_a, "?letter=s&q=s"), **RESULTS).text
    assert "Spring, Sam" in fragment and "Smith, Jane" in fragment and "Adams, Ann" not in fragment
    assert 'class="az-link active" aria-current="true" href="?letter=s' in fragment
    # Each letter keeps the search and the other filters, from the first page; "All" drops the letter.
    fragment = alice_client.get(roster_url(org_a, "?letter=s&q=s&page=2&size=50"), **RESULTS).text
    assert 'href="?letter=t&amp;q=s&amp;size=50" aria-label="Last names starting with T">T</a>' in fragment
    assert 'class="az-link" href="?q=s&amp;size=50">All</a>' in fragment
    assert 'name="letter" value="s"' in fragment and 'id="filter-panel"' not in fragment
    # The other apps' filters (families, metrics) read their choices only when the panel is drawn.
    assert not [query for query in queries if "families_affiliatedorganization" in query["sql"]]
    assert not [query for query in queries if "metrics_metric" in query["sql"]]
    page = alice_client.get(roster_url(org_a, "?letter=s")).text
    assert 'id="filter-panel"' in page and 'name="tag_mode"' in page and "Adams, Ann" not in page
    assert alice_client.get(roster_url(org_a, "?birthday_month=13"), **RESULTS).status_code == 200


def test_a_request_naming_one_feature_apps_filter_builds_that_apps_filters_alone(org_a, alice):
    """Each feature app lists the names of its filters (`RosterFilters.names`): the API and the results
    fragment build only the app a parameter names, so a tag filter reads no metrics, schools or packages."""
    with tenant(org_a):
        vip = Tag.objects.create(name="VIP")
        family_services.affiliated_organization_save(item=AffiliatedOrganization(name="Oak School"))
        metric_services.metric_save(metric=Metric(name="Laps", unit="laps"), by=alice)
        billing_services.package_save(package=Package(name="Tumble", price=1000, currency="USD"), by=alice)
        for extra in registered(RosterFilters):  # every filter the full panel draws is under its app's names
            assert set(extra.filters("owner")) <= set(extra.names), extra.key
        with CaptureQueriesContext(connection) as queries:
            named = CustomerFilter(
                QueryDict(f"tag={vip.pk}&tag_mode=all"),
                queryset=Customer.objects.all(),
                audience="owner",
                named_only=True,
            )
            assert set(named.filters) == {"status", "tag", "tag_mode"} and named.is_valid()
    assert [query["sql"] for query in queries] == [
        query["sql"] for query in queries if "tags_tag" in query["sql"] or "custom" in query["sql"]
    ]
    assert any("tags_tag" in query["sql"] for query in queries)


def test_roster_rows_show_every_column_and_escape_names(alice_client, org_a, alice):
    with tenant(org_a):
        odd = customer(first_name="<b>Bo</b>", last_name="O'Neil & Co", email="bo@alpha.example", by=alice)
        odd.birthday = date(1990, 3, 4)
        odd.save(update_fields=["birthday"])
        tag_add(customer=odd, tag=Tag.objects.create(name="<VIP>"), by=alice)
    page = alice_client.get(roster_url(org_a)).text
    row = re.search(r"<tr data-href=.*?</tr>", page, re.S).group(0)
    assert f'href="/app/{org_a.slug}/customers/{odd.pk}/"' in row and f'value="{odd.pk}"' in row
    assert "O&#x27;Neil &amp; Co, &lt;b&gt;Bo&lt;/b&gt;" in row and "<b>Bo" not in row
    assert 'title="bo@alpha.example">bo@alpha.example</td>' in row
    assert "Mar 4, 1990 <span" in row and '<td class="roster-phone">—</td>' in row
    assert 'title="&lt;VIP&gt;">&lt;VIP&gt;</span>' in row  # the tags column, after the name
    assert row.index("roster-tags") < row.index("roster-email")


LATER_HEADERS = ["Created", "Last activity"]


def test_the_headers_sort_within_the_search_and_filters_from_the_first_page(alice_client, org_a, alice):
    with tenant(org_a):
        customer(first_name="Sam", last_name="Spring", email="b@alpha.example", by=alice)
        customer(first_name="Sue", last_name="Stone", email="a@alpha.example", by=alice)
        customer(first_name="Ann", last_name="Adams", email="c@alpha.example", by=alice)
    fragment = alice_client.get(roster_url(org_a, "?letter=s&page=1&sort=email"), **RESULTS).text
    headers = re.findall(r'<th scope="col"[^>]*>.*?</th>', fragment.split("<tbody>")[0], re.S)
    labels = [re.sub(r"<[^>]+>", "", header) for header in headers]
    # The extensions' columns after the ones they name: tags after the name, the account after the birthday.
    assert labels == ["", "Name", "Tags", "Email", "Phone", "Birthday / age", "Account", *LATER_HEADERS]
    # Sorted by email: its link turns it around, the others sort by themselves; all keep the letter, no page.
    assert 'scope="col" aria-sort="ascending"><a href="?letter=s&amp;sort=-email">Email</a></th>' in fragment
    assert '<th scope="col"><a href="?letter=s&amp;sort=name">Name</a></th>' in fragment
    assert 'class="text-nowrap roster-wide"><a href="?letter=s&amp;sort=created_at">Created</a>' in fragment
    assert fragment.count("aria-sort") == 1 and '<th scope="col">Tags</th>' in fragment
    assert fragment.index("Stone, Sue") < fragment.index("Spring, Sam") and "Adams, Ann" not in fragment
    fragment = alice_client.get(roster_url(org_a, "?letter=s&sort=-email"), **RESULTS).text
    assert 'aria-sort="descending"><a href="?letter=s&amp;sort=email">Email</a>' in fragment
    assert fragment.index("Spring, Sam") < fragment.index("Stone, Sue")
    fragment = alice_client.get(roster_url(org_a, "?sort=password"), **RESULTS).text  # not a column
    assert "aria-sort" not in fragment and "Adams, Ann" in fragment


def test_roster_rows_show_dates_in_the_organizations_time_zone(alice_client, org_a, alice):
    with tenant(org_a):
        late = customer(first_name="Lou", last_name="Late", by=alice)
        # 03:30 UTC on March 5 is still the evening of March 4 in Chicago (UTC-6).
        at = datetime(2026, 3, 5, 3, 30, 9, tzinfo=UTC)
        born = date(2001, 1, 9)
        Customer.objects.filter(pk=late.pk).update(created_at=at, last_activity_at=at, birthday=born)
    page = alice_client.get(roster_url(org_a)).text
    row = re.search(rf'<tr data-href="[^"]*/{late.pk}/".*?</tr>', page, re.S).group(0)
    assert '<td class="text-nowrap roster-wide">Mar 4, 2026</td>' in row
    assert '<time datetime="2026-03-04T21:30:09-06:00" title="Mar 4, 2026 21:30">Mar 4, 2026</time>' in row
    assert 'Jan 9, 2001 <span class="text-body-secondary">(' in row


def test_roster_page_reads_the_tag_list_once_for_the_panel_and_the_bulk_bar(alice_client, org_a, jane):
    with tenant(org_a):
        vip = Tag.objects.create(name="VIP")
    with CaptureQueriesContext(connection) as queries:
        page = alice_client.get(roster_url(org_a)).text
    assert f'value="{vip.pk}"' in page and ">VIP</label>" in page  # the panel's checkbox
    assert f'<option value="{vip.pk}">VIP</option>' in page  # the bulk bar's tag control
    tag_lists = [query for query in queries if re.search(r'FROM "tags_tag"( WHERE|$)', query["sql"])]
    assert len(tag_lists) == 1  # (the rows' tags are read with their assignments, a join)


# The loop of customers/roster.html that plain_widgets.panel_fields replaced, kept to compare against.
TEMPLATE_LOOP = (
    "{% for field in filter.form.visible_fields %}\n"
    "          {% if field.name in filter.wide_fields %}\n"
    '          <div class="col-sm-12 col-lg-4">\n'
    '            <label class="form-label" id="{{ field.id_for_label }}-label"'
    ' for="{{ field.id_for_label }}">{{ field.label }}</label>\n'
    '            <div class="d-flex gap-1 filter-range">{{ field }}</div>\n'
    '          {% elif field.field.widget.input_type == "checkbox" %}\n'
    '          <div class="col-sm-6 col-lg-2">\n'
    '            <fieldset><legend class="form-label fs-6">{{ field.label }}</legend>\n'
    '              <div class="filter-choices">{% for choice in field %}<div class="form-check">'
    '{{ choice.tag }}<label class="form-check-label" for="{{ choice.id_for_label }}">'
    "{{ choice.choice_label }}</label></div>{% endfor %}</div>\n"
    "            </fieldset>\n"
    "          {% else %}\n"
    '          <div class="col-sm-6 col-lg-2">\n'
    '            <label class="form-label" for="{{ field.id_for_label }}">'
    "{{ field.label }}</label>\n"
    "            {{ field }}\n"
    "          {% endif %}\n"
    "            {% for error in field.errors %}"
    '<div class="invalid-feedback d-block">{{ error }}</div>{% endfor %}\n'
    "          </div>\n"
    "        {% endfor %}"
)


def test_panel_fields_are_written_as_the_template_loop_wrote_them(org_a):
    with tenant(org_a):
        sizes = make_field('<b>Size</b> "x"', FieldType.CHOICE, options=["S & M", "<i>L</i>"])
        make_field("Joined", FieldType.DATE)
        make_field("Visits", FieldType.NUMBER)
        make_field("Notes & <more>", FieldType.TEXT)
        vip = Tag.objects.create(name="<VIP>")
        params = QueryDict(mutable=True)
        params.setlist(f"cf_{sizes.pk}", [str(option_id(sizes, "<i>L</i>"))])
        params.update({"tag": str(vip.pk), "created_after": "someday", "birthday_month": "13"})
        customer_filter = CustomerFilter(params, queryset=Customer.objects.all(), audience="owner")
        assert not customer_filter.is_valid()
        expected = engines["django"].from_string(TEMPLATE_LOOP).render({"filter": customer_filter})
        assert panel_fields(customer_filter) == expected
    assert 'invalid-feedback d-block">Select a valid choice.' in expected and "&lt;b&gt;Size" in expected
