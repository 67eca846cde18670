"""What families add to the customers app: the People and Affiliated organizations boxes on the profile, the
roster's Family and Affiliated with filters, and the Guardians and Affiliations columns of exports."""

import django_filters
from django import forms

from customers.exports import EXPORT_COLUMNS, ExportColumn
from customers.filters import ROSTER_FILTERS, SELECT
from customers.tabs import PROFILE_BOXES, ProfileBox
from families.models import AffiliatedOrganization, Affiliation, GuardianLink
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


PROFILE_BOXES.append(ProfileBox("families/people_box.html", people_box, "families.view"))
ROSTER_FILTERS.append(_roster_filters)
EXPORT_COLUMNS.extend(
    [ExportColumn("Guardians", _guardian_names), ExportColumn("Affiliations", _affiliations)]
)
