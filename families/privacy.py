"""Families' part of a person's export and erasure: their guardian links (both ways) and affiliations."""

from django.db.models import Q

from customers.extend import ErasureLine
from customers.privacy import plain, rows_of
from families.models import Affiliation, GuardianLink


def _links(customer):
    return GuardianLink.objects.filter(Q(guardian=customer) | Q(dependant=customer))


def family_rows(customer, *, include_notes: bool) -> list[dict]:
    return [
        {
            "guardian": f"{link.guardian.full_name}" + (" (them)" if link.guardian_id == customer.pk else ""),
            "dependant": f"{link.dependant.full_name}"
            + (" (them)" if link.dependant_id == customer.pk else ""),
            "relationship": link.get_relationship_display(),
            "primary": link.is_primary,
            "permissions": link.permissions,
            "since": plain(link.created_at),
        }
        for link in _links(customer).select_related("guardian", "dependant").order_by("created_at")
    ]


def affiliation_rows(customer, *, include_notes: bool) -> list[dict]:
    return rows_of(
        Affiliation.objects.filter(customer=customer).order_by("created_at"),
        ["affiliated__name", "role", "created_at"],
    )


def family_erase(customer) -> list[ErasureLine]:
    links, _ = _links(customer).delete()
    affiliations, _ = Affiliation.objects.filter(customer=customer).delete()
    return [
        ErasureLine("Family links (as guardian or dependant)", "erased", links),
        ErasureLine("Affiliations", "erased", affiliations),
    ]
