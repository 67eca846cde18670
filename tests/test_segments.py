"""Saved segments: saved from the roster's conditions, private or shared, counted live (the same count the
roster shows), usable for bulk actions — and the other tenant."""

from urllib.parse import urlencode

import pytest

from accounts.tenancy import tenant
from customers.models import Customer, Segment
from tags import services as tag_services
from tags.models import Tag
from tests.factories import customer
from tests.inbox import comparable


@pytest.fixture
def roster(org_a, alice):
    """Smiths and Joneses; the Smiths born in March are tagged VIP."""
    with tenant(org_a):
        vip = tag_services.tag_save(tag=Tag(name="VIP"), by=alice)
        for number in range(6):
            person = customer(
                first_name=f"S{number}", last_name="Smith", birthday=f"2010-0{3 + number % 2}-01"
            )
            if number % 2 == 0:
                tag_services.tag_add(customer=person, tag=vip, by=alice)
        for number in range(3):
            customer(first_name=f"J{number}", last_name="Jones")
    return vip


def save(client, org, query: str, name: str, shared: bool = True):
    data = {"query": query, "name": name} | ({"shared": "on"} if shared else {})
    return client.post(f"/app/{org.slug}/customers/segments/save/", data)


def test_a_segment_keeps_conditions_and_counts_what_the_roster_shows(org_a, alice, alice_client, roster):
    query = urlencode({"q": "smith", "tag": roster.pk, "birthday_month": 3, "page": 2, "bulk": 9})
    response = save(alice_client, org_a, query, "March VIP Smiths")
    with tenant(org_a):
        segment = Segment.objects.get()
    assert segment.query == urlencode({"q": "smith", "tag": roster.pk, "birthday_month": 3})
    assert response["Location"].endswith(f"?{segment.query}&segment={segment.pk}")
    page = alice_client.get(response["Location"]).text
    assert "Segment: <strong>March VIP Smiths</strong>" in page and "of 3 matching" in page
    count = alice_client.get(f"/app/{org_a.slug}/customers/segments/{segment.pk}/count/").text.strip()
    assert count == "3"
    # The roster changes; the segment follows.
    with tenant(org_a):
        newcomer = customer(first_name="S9", last_name="Smith", birthday="2012-03-05")
        tag_services.tag_add(customer=newcomer, tag=roster, by=alice)
    assert alice_client.get(f"/app/{org_a.slug}/customers/segments/{segment.pk}/count/").text.strip() == "4"
    # Saving again under the same name updates it.
    save(alice_client, org_a, "q=jones", "march vip smiths")
    with tenant(org_a):
        assert Segment.objects.get().query == "q=jones"


def test_bulk_actions_and_exports_take_a_segment(org_a, alice_client, roster):
    save(alice_client, org_a, f"tag={roster.pk}", "VIPs")
    with tenant(org_a):
        segment = Segment.objects.get()
    alice_client.post(
        f"/app/{org_a.slug}/customers/bulk/",
        {"action": "archive", "all_matching": "1", "query": f"{segment.query}&segment={segment.pk}"},
    )
    with tenant(org_a):
        assert set(Customer.objects.exclude(archived_at=None).values_list("first_name", flat=True)) == {
            "S0",
            "S2",
            "S4",
        }


def test_private_segments_stay_private_and_other_organizations_see_none(
    org_a, alice_client, bob_client, carol_client, roster
):
    save(alice_client, org_a, "q=smith", "Mine", shared=False)
    save(alice_client, org_a, "q=jones", "Team")
    with tenant(org_a):
        mine, team = Segment.objects.get(name="Mine"), Segment.objects.get(name="Team")
    listing = carol_client.get(f"/app/{org_a.slug}/customers/segments/").text
    assert "Team" in listing and "Mine" not in comparable(listing)
    assert carol_client.get(f"/app/{org_a.slug}/customers/segments/{mine.pk}/count/").status_code == 404
    assert "Segment:" not in carol_client.get(f"/app/{org_a.slug}/customers/?q=smith&segment={mine.pk}").text
    assert carol_client.post(f"/app/{org_a.slug}/customers/segments/{team.pk}/delete/").status_code == 403
    assert bob_client.get(f"/app/beta/customers/segments/{team.pk}/count/").status_code == 404
    assert bob_client.post(f"/app/beta/customers/segments/{team.pk}/delete/").status_code == 404
    assert "Team" not in comparable(bob_client.get("/app/beta/customers/segments/").text)
    response = save(alice_client, org_a, "q=x", "   ")
    assert response.status_code == 302
    with tenant(org_a):
        assert Segment.objects.count() == 2
    alice_client.post(f"/app/{org_a.slug}/customers/segments/{team.pk}/delete/")
    with tenant(org_a):
        assert not Segment.objects.filter(pk=team.pk).exists()
