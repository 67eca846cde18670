"""Demo families: the households customers.demo generates become guardian links (two-parent households,
single parents, now and then a grandparent), and a few schools, companies and clubs with their people."""

import itertools
import random

from django.utils import timezone

from customers.models import Customer
from families.models import (
    DEFAULT_PERMISSIONS,
    AffiliatedOrganization,
    Affiliation,
    AffiliationKind,
    AffiliationRole,
    GuardianLink,
    Relationship,
)

AFFILIATED = [
    ("Lincoln Elementary", AffiliationKind.SCHOOL, "Dana Whitfield", "office@lincoln-elementary.example"),
    ("Oakwood Middle School", AffiliationKind.SCHOOL, "Marcus Bell", "frontdesk@oakwood.example"),
    ("Riverside Academy", AffiliationKind.SCHOOL, "Priya Raman", "events@riverside-academy.example"),
    ("Brightpath Software", AffiliationKind.COMPANY, "Leah Kim", "people@brightpath.example"),
    ("Summit Dental Group", AffiliationKind.COMPANY, "Omar Haddad", "hr@summitdental.example"),
    ("Valley Youth Soccer Club", AffiliationKind.CLUB, "Coach Rivera", "coach@valleysoccer.example"),
]


def demo_families(customers: list[Customer], *, seed: int) -> None:
    rng = random.Random(seed)
    today = timezone.localdate()
    links, grandparents = [], []
    for _, members in itertools.groupby(customers, key=lambda customer: customer.household):
        members = list(members)
        adults = [member for member in members if member.is_adult]
        children = [member for member in members if not member.is_adult]
        if not children:
            continue
        guardians = [(adult, Relationship.PARENT) for adult in adults]
        if rng.random() < 0.08:  # a grandparent who brings the children along
            grandparent = Customer(
                first_name=rng.choice(["Ruth", "Walter", "Helen", "Frank", "Gloria", "Harold"]),
                last_name=adults[0].last_name,
                phone=adults[0].phone,
                birthday=today.replace(year=today.year - rng.randint(62, 80), day=1),
            )
            grandparents.append(grandparent)
            guardians.append((grandparent, Relationship.GRANDPARENT))
        for child in children:
            for index, (guardian, relationship) in enumerate(guardians):
                links.append((guardian, child, relationship, index == 0))
    Customer.objects.bulk_create(grandparents)
    GuardianLink.objects.bulk_create(
        GuardianLink(
            guardian=guardian,
            dependant=child,
            relationship=relationship,
            is_primary=primary,
            permissions=DEFAULT_PERMISSIONS[relationship],
        )
        for guardian, child, relationship, primary in links
    )
    organizations = AffiliatedOrganization.objects.bulk_create(
        AffiliatedOrganization(name=name, kind=kind, contact_name=contact, email=email)
        for name, kind, contact, email in AFFILIATED
    )
    schools, workplaces = organizations[:3], organizations[3:5]
    affiliations = []
    for customer in customers:
        if not customer.is_adult and rng.random() < 0.25:
            affiliations.append(
                Affiliation(customer=customer, affiliated=rng.choice(schools), role=AffiliationRole.MEMBER)
            )
        elif customer.is_adult and rng.random() < 0.04:
            school_or_work = rng.choice(schools + workplaces)
            role = (
                AffiliationRole.TEACHER
                if school_or_work in schools
                else rng.choice([AffiliationRole.EMPLOYEE, AffiliationRole.ORGANIZER])
            )
            affiliations.append(Affiliation(customer=customer, affiliated=school_or_work, role=role))
    Affiliation.objects.bulk_create(affiliations)
