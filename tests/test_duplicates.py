"""The duplicate finder: each reason scores, unrelated people and other organizations never pair, staff's
decisions survive rescans, and the same scorer speaks on the profile, the staff form, sign-ups, intake forms
and the import dry run."""

from datetime import date

import pytest

from accounts.tenancy import tenant
from customers.duplicates import Person, matches_for_customers, matches_for_people
from families import services as family_services
from families.models import Relationship
from tests.factories import customer


def pair_of(org, first: dict, second: dict):
    """The scored pair of two customers made from `first` and `second` (None when they don't pair)."""
    with tenant(org):
        one, two = customer(**first), customer(**second)
        found = [m for m in matches_for_customers([one.pk], minimum=0) if m.other(one.pk) == two.pk]
    return found[0] if found else None


JANE = {"first_name": "Jane", "last_name": "Smith", "birthday": date(1990, 4, 2)}


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        ({"email": "jane.smith@gmail.com"}, {"email": "JaneSmith+roster@Googlemail.com"}, "email"),
        ({"email": "jane@work.example"}, {"email": "Jane+kids@WORK.example"}, "email"),
        ({"phone": "(312) 555-0101"}, {"phone": "+1 312.555.0101"}, "phone"),
        ({}, {}, "name_birthday"),
        (
            {"address_line1": "12 Oak Street", "postal_code": "60601"},
            {"address_line1": "12 oak st.", "postal_code": "60601 "},
            "address",
        ),
    ],
)
def test_each_contact_reason_scores(org_a, first, second, reason):
    match = pair_of(org_a, JANE | first, JANE | second)
    assert reason in match.reasons and match.score >= 50


@pytest.mark.parametrize(
    ("other_name", "reason"),
    [
        ({"first_name": "Jnae"}, "typo"),
        ({"last_name": "Smiht"}, "typo"),
        ({"first_name": "Smith", "last_name": "Jane"}, "swapped"),
        ({"first_name": "Beth", "last_name": "Smith"}, "nickname"),
        ({"first_name": "Jané", "last_name": "Smíth"}, "name_birthday"),
    ],
)
def test_each_name_reason_scores_with_a_shared_phone(org_a, other_name, reason):
    base = {
        "first_name": "Elizabeth" if reason == "nickname" else "Jane",
        "last_name": "Smith",
        "phone": "312 555 0101",
    }
    match = pair_of(
        org_a, base | {"birthday": date(1990, 4, 2)}, base | {"birthday": date(1990, 4, 2)} | other_name
    )
    assert reason in match.reasons and match.score >= 50


def test_unrelated_people_and_household_members_do_not_pair(org_a):
    assert (
        pair_of(org_a, {"first_name": "Ann", "last_name": "Lee"}, {"first_name": "Bo", "last_name": "Chan"})
        is None
    )
    parent_and_child = pair_of(
        org_a,
        {
            "first_name": "Maria",
            "last_name": "Ortiz",
            "phone": "312 555 0101",
            "address_line1": "1 Elm St",
            "postal_code": "60601",
        },
        {
            "first_name": "Lucas",
            "last_name": "Ortiz",
            "phone": "312 555 0101",
            "address_line1": "1 Elm St",
            "postal_code": "60601",
        },
    )
    assert parent_and_child.score < 50
    namesakes = pair_of(
        org_a,
        {"first_name": "John", "last_name": "Doe", "birthday": date(1960, 1, 1)},
        {"first_name": "John", "last_name": "Doe", "birthday": date(1990, 1, 1), "phone": "312 555 0101"},
    )
    assert namesakes is None or namesakes.score < 50


def test_children_entered_twice_share_a_guardian(org_a, alice):
    with tenant(org_a):
        mother = customer(first_name="Ana", last_name="Ruiz")
        sam = customer(first_name="Sam", last_name="Ruiz")
        samuel = customer(first_name="Samuel", last_name="Ruiz")
        for child in (sam, samuel):
            family_services.link_add(
                guardian=mother, dependant=child, relationship=Relationship.PARENT, by=alice
            )
        [match] = [m for m in matches_for_customers([sam.pk]) if m.other(sam.pk) == samuel.pk]
    assert {"guardian", "nickname"} <= set(match.reasons) and match.score >= 50


def test_an_unsaved_person_is_scored_against_the_roster(org_a):
    with tenant(org_a):
        jane = customer(**JANE, email="jane.smith@gmail.com")
        [match] = matches_for_people(
            [Person(first_name="Jane", last_name="Smyth", email="janesmith@gmail.com")]
        )
    assert (match.a, match.b) == (-1, jane.pk) and set(match.reasons) == {"email", "typo"}


def test_other_organizations_customers_never_pair(org_a, org_b):
    with tenant(org_b):
        customer(**JANE, email="jane@b.example")
    with tenant(org_a):
        assert (
            matches_for_people([Person(first_name="Jane", last_name="Smith", email="jane@b.example")]) == []
        )
