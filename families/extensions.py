"""What families add to the customers app: the People and Affiliated organizations boxes on the profile, and
the Guardians and Affiliations columns of exports."""

from customers.exports import EXPORT_COLUMNS, ExportColumn
from customers.tabs import PROFILE_BOXES, ProfileBox
from families.models import Affiliation, GuardianLink
from families.views import people_box


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
EXPORT_COLUMNS.extend(
    [ExportColumn("Guardians", _guardian_names), ExportColumn("Affiliations", _affiliations)]
)
