"""What families add to the customers app: the People and Affiliated organizations boxes on the profile, the
roster's Family and Affiliated with filters, the Guardians and Affiliations columns of exports, a word before
archiving someone's dependant, and their events in the Activity Log."""

import django_filters
from django import forms

from accounts.navigation import Page, register_main_page
from customers.extend import (
    ActivityKinds,
    ArchiveWarning,
    DuplicateSignal,
    ExportColumn,
    MergeHandler,
    PersonData,
    PersonErasure,
    ProfileBox,
    RosterFilters,
    register,
)
from customers.filters import SELECT
from families import privacy
from families.merging import family_count, family_move, family_problems
from families.models import AffiliatedOrganization, Affiliation, FamilyEvent, GuardianLink
from families.selectors import people_of
from families.views import people_box


def _in_family(queryset, name, value):
    guardians = GuardianLink.objects.values("guardian_id")
    dependants = GuardianLink.objects.values("dependant_id")
    if value == "guardians":
        return queryset.filter(pk__in=guardians)
    queryset = queryset.filter(pk__in=dependants)
    return queryset.filter(email="", user=None) if value == "guests" else queryset


def _affiliated_with(queryset, name, value):
    ids = [int(pk) for pk in value]
    return queryset.filter(pk__in=Affiliation.objects.filter(affiliated_id__in=ids).values("customer_id"))


def _roster_filters(audience: str) -> dict:
    filters = {
        "family": django_filters.ChoiceFilter(
            choices=[
                ("guardians", "Look after someone"),
                ("dependants", "Have a guardian"),
                ("guests", "Guest members (no email)"),
            ],
            empty_label="Anyone",
            label="Family",
            method=_in_family,
            widget=SELECT,
        )
    }
    affiliated = list(AffiliatedOrganization.objects.order_by("name").values_list("pk", "name"))
    if affiliated:
        filters["affiliation"] = django_filters.MultipleChoiceFilter(
            label="Affiliated with (any of)",
            choices=[(str(pk), name) for pk, name in affiliated],
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input filter-input"}),
            method=_affiliated_with,
        )
    return filters


def _guardian_names(customer_ids: list[int], membership) -> dict[int, str]:
    names: dict[int, list[str]] = {}
    links = GuardianLink.objects.filter(dependant_id__in=customer_ids).select_related("guardian")
    for link in links.order_by("-is_primary", "guardian__last_key"):
        names.setdefault(link.dependant_id, []).append(
            f"{link.guardian.full_name} ({link.get_relationship_display()})"
        )
    return {customer_id: "; ".join(items) for customer_id, items in names.items()}


def _affiliations(customer_ids: list[int], membership) -> dict[int, str]:
    names: dict[int, list[str]] = {}
    rows = Affiliation.objects.filter(customer_id__in=customer_ids).select_related("affiliated")
    for row in rows.order_by("affiliated__name"):
        names.setdefault(row.customer_id, []).append(f"{row.affiliated.name} ({row.get_role_display()})")
    return {customer_id: "; ".join(items) for customer_id, items in names.items()}


def _guardians(customer) -> list[GuardianLink]:
    return people_of(customer)[0]


def _linked_through(shared: str, member: str):
    """Pairs of customers linked to one same customer as `member` (dependant or guardian) of `shared`."""
    table = GuardianLink._meta.db_table

    def pairs(probe: str | None) -> str:
        pair = f"least(g1.{member}_id, g2.{member}_id) AS a, greatest(g1.{member}_id, g2.{member}_id) AS b"
        if probe is None:
            return (
                f"SELECT DISTINCT g1.{member}_id AS a, g2.{member}_id AS b FROM {table} g1 JOIN {table} g2 "  # noqa: S608
                f"ON g2.{shared}_id = g1.{shared}_id AND g2.{member}_id > g1.{member}_id"
            )
        return (
            f"SELECT DISTINCT {pair} FROM {probe} p JOIN {table} g1 ON g1.{member}_id = p.id "  # noqa: S608
            f"JOIN {table} g2 ON g2.{shared}_id = g1.{shared}_id AND g2.{member}_id <> g1.{member}_id"
        )

    return pairs


register(
    # A child entered twice: two dependants of one guardian; a parent entered twice: two guardians of a child.
    DuplicateSignal("guardian", "Shared guardian", 15, _linked_through("guardian", "dependant"), order=10),
    DuplicateSignal("household", "Same household", 15, _linked_through("dependant", "guardian"), order=20),
    ProfileBox("people", "families/people_box.html", people_box, order=30, permission="families.view"),
    RosterFilters("families", _roster_filters, order=10, names=("family", "affiliation")),
    ExportColumn("guardians", "Guardians", _guardian_names, order=10),
    ExportColumn("affiliations", "Affiliations", _affiliations, order=11),
    ArchiveWarning("guardians", "families/archive_warning.html", _guardians, order=10),
    ActivityKinds("family", "Family", dict(FamilyEvent.choices), order=40),
)
register_main_page(Page("families", "Families", "families:index", 10, "families.view", ("families",)))
register(
    MergeHandler(
        "families",
        "Family links and affiliations",
        (
            ("families.GuardianLink", "guardian"),
            ("families.GuardianLink", "dependant"),
            ("families.Affiliation", "customer"),
        ),
        order=120,
        move=family_move,
        problems=family_problems,
        count=lambda customer: family_count(customer) + Affiliation.objects.filter(customer=customer).count(),
    ),
    PersonData("family", "Family", privacy.family_rows, order=20, describe="Guardians and dependants."),
    PersonData(
        "affiliations", "Affiliations", privacy.affiliation_rows, order=21, describe="Schools, clubs, teams."
    ),
    PersonErasure(
        "family",
        "Family and affiliations",
        privacy.family_erase,
        order=20,
        covers=(
            "families.GuardianLink.guardian",
            "families.GuardianLink.dependant",
            "families.Affiliation.customer",
        ),
    ),
)
