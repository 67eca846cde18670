"""Tags: definitions (unique names, merge, delete), the profile box, bulk tagging of a selection, the
any / all / none roster filter, exports and the activity log — and the other tenant."""

import csv
import io

import pytest

from accounts.tenancy import tenant
from customers.models import Activity, Segment
from tags import services
from tags.models import CustomerTag, Tag, TagEvent
from tests.factories import customer


@pytest.fixture
def tagged(org_a, alice):
    """Ann (red, blue), Ben (red), Cy (blue), Di (none); tags red, blue, green."""
    with tenant(org_a):
        tags = {
            name: services.tag_save(tag=Tag(name=name.title(), color=name), by=alice)
            for name in ("red", "blue", "green")
        }
        people = {name: customer(first_name=name, last_name="Tagtest") for name in ("Ann", "Ben", "Cy", "Di")}
        for person, names in (("Ann", ["red", "blue"]), ("Ben", ["red"]), ("Cy", ["blue"])):
            for name in names:
                services.tag_add(customer=people[person], tag=tags[name], by=alice)
    return tags, people


def roster_names(client, org, query: str) -> set[str]:
    page = client.get(f"/app/{org.slug}/customers/?{query}").text
    return {name for name in ("Ann", "Ben", "Cy", "Di") if f"Tagtest, {name}<" in page}


def test_any_all_none_filters(org_a, alice_client, tagged):
    tags, _ = tagged
    red, blue, green = (tags[name].pk for name in ("red", "blue", "green"))
    assert roster_names(alice_client, org_a, f"q=tagtest&tag={red}&tag={blue}") == {"Ann", "Ben", "Cy"}
    assert roster_names(alice_client, org_a, f"q=tagtest&tag={red}&tag={blue}&tag_mode=all") == {"Ann"}
    assert roster_names(alice_client, org_a, f"q=tagtest&tag={red}&tag_mode=none") == {"Cy", "Di"}
    assert roster_names(alice_client, org_a, f"q=tagtest&tag={green}&tag_mode=all") == set()
    # Without a tag ticked, the mode alone filters nothing and does not count as a filter.
    page = alice_client.get(f"/app/{org_a.slug}/customers/?q=tagtest&tag_mode=none").text
    assert roster_names(alice_client, org_a, "q=tagtest&tag_mode=none") == {"Ann", "Ben", "Cy", "Di"}
    assert "badge text-bg-primary" not in page


def test_profile_box_adds_creates_and_removes_with_permission(
    org_a, alice, alice_client, carol_client, tagged
):
    tags, people = tagged
    url = f"/app/{org_a.slug}/customers/{people['Di'].pk}/tags/"
    page = carol_client.post(
        f"{url}add/", {"name": "Brand new", "create": "1"}, headers={"HX-Request": "true"}
    ).text
    assert "There is no tag called “Brand new”. An admin can create it" in page
    suggestions = carol_client.get(f"{url}suggest/?name=re", headers={"HX-Request": "true"}).text
    assert "Red" in suggestions and "Green" in suggestions and "Create tag" not in suggestions
    page = carol_client.post(f"{url}add/", {"name": "RED"}, headers={"HX-Request": "true"}).text
    assert "tag-chip tag-red" in page
    assert "Create tag “Brand new”" in alice_client.get(f"{url}suggest/?name=Brand new").text
    alice_client.post(f"{url}add/", {"name": "Brand  new", "create": "1"})
    with tenant(org_a):
        assert Tag.objects.filter(name="Brand new").count() == 1
        assert sorted(
            CustomerTag.objects.filter(customer=people["Di"]).values_list("tag__name", flat=True)
        ) == [
            "Brand new",
            "Red",
        ]
        event = Activity.objects.filter(customer=people["Di"], kind=TagEvent.TAGS).latest("id")
        assert event.changes == {"Tags": ["Red", "Brand new, Red"]}
    carol_client.post(f"{url}{tags['red'].pk}/remove/")
    with tenant(org_a):
        assert not CustomerTag.objects.filter(customer=people["Di"], tag=tags["red"]).exists()
    assert (
        "Brand new, Red"
        in carol_client.get(f"/app/{org_a.slug}/customers/{people['Di'].pk}/activity/?kind=tags").text
    )


def test_bulk_tagging_touches_only_this_organization(org_a, org_b, alice_client, tagged):
    tags, people = tagged
    with tenant(org_b):
        outsider = customer(first_name="Out", last_name="Sider")
    ids = [people["Ben"].pk, people["Cy"].pk, people["Di"].pk, outsider.pk]
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/", {"action": "add_tag", "tag": tags["green"].pk, "ids": ids}
    )
    assert response.status_code == 302
    with tenant(org_a):
        assert set(
            CustomerTag.objects.filter(tag=tags["green"]).values_list("customer__first_name", flat=True)
        ) == {
            "Ben",
            "Cy",
            "Di",
        }
        after = [event.changes["Tags"][1] for event in Activity.objects.filter(kind=TagEvent.TAGS)]
        assert sorted(text for text in after if "Green" in text) == ["Blue, Green", "Green", "Green, Red"]
    with tenant(org_b):
        assert not CustomerTag.objects.exists() and not Activity.objects.filter(kind=TagEvent.TAGS).exists()
    # All matching a filter: remove blue from everyone who has red.
    query = f"q=tagtest&tag={tags['red'].pk}"
    alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/",
        {"action": "remove_tag", "tag": tags["blue"].pk, "all_matching": "1", "query": query},
    )
    with tenant(org_a):
        assert set(
            CustomerTag.objects.filter(tag=tags["blue"]).values_list("customer__first_name", flat=True)
        ) == {"Cy"}
    # Another organization's tag is no tag here.
    with tenant(org_b):
        theirs = services.tag_save(tag=Tag(name="Theirs"), by=None)
    alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/", {"action": "add_tag", "tag": theirs.pk, "ids": ids}
    )
    with tenant(org_b):
        assert not CustomerTag.objects.exists()


def test_names_merge_delete_and_segments_follow(org_a, alice, alice_client, tagged):
    tags, people = tagged
    settings = f"/app/{org_a.slug}/settings/tags/"
    response = alice_client.post(settings, {"name": "  rED ", "color": "gray"})
    assert response.status_code == 200 and "There is already a tag called “Red”." in response.text
    assert "Select a valid choice" in alice_client.post(settings, {"name": "Pink", "color": "neon"}).text
    with tenant(org_a):
        segment = Segment.objects.create(name="Reds", query=f"tag={tags['red'].pk}&tag_mode=all", owner=alice)
    page = alice_client.get(f"{settings}{tags['red'].pk}/").text
    assert "2 customers" in page
    alice_client.post(f"{settings}{tags['red'].pk}/merge/", {"target": tags["blue"].pk})
    with tenant(org_a):
        assert not Tag.objects.filter(pk=tags["red"].pk).exists()
        holders = set(
            CustomerTag.objects.filter(tag=tags["blue"]).values_list("customer__first_name", flat=True)
        )
        assert holders == {"Ann", "Ben", "Cy"}
        segment.refresh_from_db()
        assert segment.query == f"tag={tags['blue'].pk}&tag_mode=all"
    assert "taken off <strong>3 customers" in alice_client.get(f"{settings}{tags['blue'].pk}/delete/").text
    alice_client.post(f"{settings}{tags['blue'].pk}/delete/")
    with tenant(org_a):
        assert not CustomerTag.objects.filter(customer__in=people.values()).exists()
        segment.refresh_from_db()
        assert segment.query == "tag_mode=all"


def test_staff_cannot_manage_tags_and_other_organizations_cannot_reach_them(
    org_a, bob_client, carol_client, tagged
):
    tags, _ = tagged
    assert carol_client.get(f"/app/{org_a.slug}/settings/tags/").status_code == 403
    red = tags["red"].pk
    assert bob_client.get(f"/app/{org_a.slug}/settings/tags/{red}/").status_code == 404
    assert bob_client.post(f"/app/beta/settings/tags/{red}/delete/").status_code == 404
    assert bob_client.post(f"/app/beta/settings/tags/{red}/merge/", {"target": red}).status_code == 404
    # Org B's filter with org A's tag id is refused next to the field, and shows nobody.
    page = bob_client.get(f"/app/beta/customers/?tag={red}").text
    assert "Tagtest" not in page


def test_exports_carry_the_tags(org_a, alice_client, tagged):
    text = b"".join(alice_client.get(f"/app/{org_a.slug}/customers/export.csv?q=tagtest").streaming_content)
    rows = {row["First name"]: row["Tags"] for row in csv.DictReader(io.StringIO(text.decode("utf-8-sig")))}
    assert rows == {"Ann": "Blue, Red", "Ben": "Red", "Cy": "Blue", "Di": ""}
