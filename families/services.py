"""Writes to families and affiliations: each in one transaction, each recorded on every profile it touches."""

from django.db import IntegrityError, transaction

from customers import services as customer_services
from customers.models import Customer
from families.models import (
    DEFAULT_PERMISSIONS,
    AffiliatedOrganization,
    Affiliation,
    FamilyEvent,
    GuardianLink,
    Relationship,
)
from families.selectors import would_cycle


class FamilyError(Exception):
    """A link the family rules refuse; the message says why, for the person who asked."""


def _record(customer: Customer, by, detail: str, kind=FamilyEvent.FAMILY) -> None:
    customer_services.activity_record(customer=customer, by=by, kind=kind, detail=detail)


@transaction.atomic
def link_add(
    *, guardian: Customer, dependant: Customer, relationship: str, is_primary: bool = False, by
) -> GuardianLink:
    """Make `guardian` responsible for `dependant`, with the relationship's default permissions."""
    if guardian.pk == dependant.pk:
        raise FamilyError("A customer cannot be their own guardian.")
    if GuardianLink.objects.filter(guardian=guardian, dependant=dependant).exists():
        raise FamilyError(f"{guardian.full_name} is already a guardian of {dependant.full_name}.")
    if would_cycle(guardian, dependant):
        raise FamilyError(
            f"{dependant.full_name} already looks after {guardian.full_name} (directly or through others): "
            "a family cannot go round in a circle."
        )
    if is_primary:
        GuardianLink.objects.filter(dependant=dependant, is_primary=True).update(is_primary=False)
    try:
        with transaction.atomic():
            link = GuardianLink.objects.create(
                guardian=guardian,
                dependant=dependant,
                relationship=relationship,
                is_primary=is_primary,
                permissions=DEFAULT_PERMISSIONS[relationship],
                created_by=by,
            )
    except IntegrityError as error:  # the database's rules, when another request got there first
        raise FamilyError(
            "This link was refused: someone may have just changed this family. Reload."
        ) from error
    label = Relationship(relationship).label.lower()
    _record(dependant, by, f"Guardian added: {guardian.full_name} ({label})")
    _record(guardian, by, f"Now responsible for {dependant.full_name} ({label})")
    return link


@transaction.atomic
def link_update(
    *, link: GuardianLink, relationship: str, is_primary: bool, permissions: list[str], by
) -> bool:
    """Change a link's relationship, primary flag or permissions; returns whether anything changed."""
    before = (link.relationship, link.is_primary, sorted(link.permissions))
    if is_primary and not link.is_primary:
        GuardianLink.objects.filter(dependant_id=link.dependant_id, is_primary=True).update(is_primary=False)
    link.relationship, link.is_primary, link.permissions = relationship, is_primary, permissions
    if before == (relationship, is_primary, sorted(permissions)):
        return False
    link.save(update_fields=["relationship", "is_primary", "permissions"])
    primary = ", primary" if is_primary else ""
    may = ", ".join(link.permission_labels()) or "none"
    change = f"{Relationship(relationship).label.lower()}{primary}; may: {may}"
    _record(link.dependant, by, f"Guardian link with {link.guardian.full_name} changed: {change}")
    _record(link.guardian, by, f"Guardian link with {link.dependant.full_name} changed: {change}")
    return True


@transaction.atomic
def link_remove(*, link: GuardianLink, by) -> None:
    link.delete()
    _record(link.dependant, by, f"Guardian removed: {link.guardian.full_name}")
    _record(link.guardian, by, f"No longer responsible for {link.dependant.full_name}")


@transaction.atomic
def guest_create(*, guardian: Customer, data: dict, relationship: str, is_primary: bool, by) -> Customer:
    """A family member with only a name (and birthday): no email, no login, on the roster as a dependant."""
    guest = customer_services.customer_create(data=data, by=by)
    link_add(guardian=guardian, dependant=guest, relationship=relationship, is_primary=is_primary, by=by)
    return guest


@transaction.atomic
def affiliation_add(*, customer: Customer, affiliated: AffiliatedOrganization, role: str, by) -> Affiliation:
    affiliation, created = Affiliation.objects.update_or_create(
        customer=customer, affiliated=affiliated, defaults={"role": role}
    )
    verb = "Affiliated with" if created else "Role changed at"
    _record(
        customer,
        by,
        f"{verb} {affiliated.name} ({affiliation.get_role_display().lower()})",
        FamilyEvent.AFFILIATION,
    )
    return affiliation


@transaction.atomic
def affiliation_remove(*, affiliation: Affiliation, by) -> None:
    affiliation.delete()
    _record(
        affiliation.customer,
        by,
        f"No longer affiliated with {affiliation.affiliated.name}",
        FamilyEvent.AFFILIATION,
    )


@transaction.atomic
def affiliated_organization_save(*, item: AffiliatedOrganization) -> AffiliatedOrganization:
    """Add or edit a school, company or club customers can be affiliated with."""
    item.save()
    return item
