"""Reads of families: the one permission question the portal and billing ask, and the household graph."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from customers.models import Customer
from families.models import GuardianLink, GuardianPermission

HOUSEHOLD_LIMIT = 60  # people in one family view; a graph larger than a household is cut, and says so


def guardian_may(guardian: Customer, permission: str, dependant: Customer) -> bool:
    """May `guardian` do `permission` (a GuardianPermission) for `dependant`? Only through a direct link, and
    only while neither of them is archived."""
    if guardian.archived_at or dependant.archived_at:
        return False
    return GuardianLink.objects.filter(
        guardian=guardian, dependant=dependant, permissions__contains=[permission]
    ).exists()


def link_allows(link: GuardianLink, permission: str) -> bool:
    """guardian_may for a link loaded with its guardian and dependant: no query, for lists of links."""
    if link.guardian.archived_at or link.dependant.archived_at:
        return False
    return permission in link.permissions


def notification_recipients(customer: Customer) -> list[Customer]:
    """Who gets a customer's notifications by email: the customer when they have an address (their login's
    first), else the guardians with *receive their notifications* who have one, primary first."""
    if customer_email(customer):
        return [customer]
    links = (
        GuardianLink.objects.filter(
            dependant=customer,
            permissions__contains=[GuardianPermission.NOTIFICATIONS],
            guardian__archived_at=None,
        )
        .select_related("guardian__user")
        .order_by("-is_primary", "guardian__first_key", "pk")
    )
    return [link.guardian for link in links if customer_email(link.guardian)]


def customer_email(customer: Customer) -> str:
    """Where email to a customer goes: their login's address, else the roster's."""
    return customer.user.email if customer.user_id else customer.email


def people_of(customer: Customer) -> tuple[list[GuardianLink], list[GuardianLink]]:
    """(links to this customer's guardians, links to the people they look after): primary guardians first,
    then by name; the people they look after oldest first (no birthday last), then by first name. One query
    for both, sorted in Python: the name keys as in their "C" collation, and no ORDER BY, which Django builds
    at a cost (~0.5 ms) for a query selecting two customers' columns."""
    links = GuardianLink.objects.filter(Q(dependant=customer) | Q(guardian=customer)).select_related(
        "guardian", "dependant"
    )
    guardians, dependants = [], []
    for link in links:
        (guardians if link.dependant_id == customer.pk else dependants).append(link)
    guardians.sort(
        key=lambda link: (not link.is_primary, link.guardian.last_key, link.guardian.first_key, link.pk)
    )
    dependants.sort(
        key=lambda link: (
            link.dependant.birthday is None,
            link.dependant.birthday or date.min,
            link.dependant.first_key,
            link.pk,
        )
    )
    return guardians, dependants


@dataclass
class Household:
    people: dict[int, Customer] = field(default_factory=dict)
    links: list[GuardianLink] = field(default_factory=list)
    truncated: bool = False

    def guardians_of(self, person: Customer) -> list[GuardianLink]:
        return [link for link in self.links if link.dependant_id == person.pk]

    def dependants_of(self, person: Customer) -> list[GuardianLink]:
        return [link for link in self.links if link.guardian_id == person.pk]


def household(customer: Customer) -> Household:
    """Everyone connected to `customer` through guardian links, both ways (guardians, their other dependants,
    the dependants' other guardians…), one query per step outwards."""
    result = Household(people={customer.pk: customer})
    seen_links: set[int] = set()
    frontier = {customer.pk}
    while frontier:
        links = [
            link
            for link in GuardianLink.objects.filter(guardian_id__in=frontier)
            | GuardianLink.objects.filter(dependant_id__in=frontier)
            if link.pk not in seen_links
        ]
        seen_links |= {link.pk for link in links}
        result.links += links
        new_ids = {link.guardian_id for link in links} | {link.dependant_id for link in links}
        frontier = new_ids - result.people.keys()
        if len(result.people) + len(frontier) > HOUSEHOLD_LIMIT:
            result.truncated = True
            frontier = set(sorted(frontier)[: HOUSEHOLD_LIMIT - len(result.people)])
        result.people |= Customer.objects.in_bulk(frontier)
    result.links = [
        link
        for link in result.links
        if link.guardian_id in result.people and link.dependant_id in result.people
    ]
    for link in result.links:
        link.guardian, link.dependant = result.people[link.guardian_id], result.people[link.dependant_id]
    return result


def would_cycle(guardian: Customer, dependant: Customer) -> bool:
    """Would `guardian` → `dependant` close a loop (the guardian is already looked after by the dependant)?"""
    below, frontier = {dependant.pk}, {dependant.pk}
    while frontier:
        frontier = (
            set(GuardianLink.objects.filter(guardian_id__in=frontier).values_list("dependant_id", flat=True))
            - below
        )
        below |= frontier
    return guardian.pk in below
