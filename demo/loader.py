"""The demo organizations, their staff and customers, loaded by `make demo` (and by the first `make run`).
It lives in its own app, above the others, because it loads every app's demo data."""

from django.conf import settings
from django.db import transaction

from accounts import services
from accounts.models import Membership, Organization, Role, User
from accounts.tenancy import tenant
from billing.demo import (
    demo_credit,
    demo_erase,
    demo_external_subscriptions,
    demo_memberships,
    demo_packages,
    demo_payment_account,
    demo_purchases,
)
from bookings.class_demo import demo_classes
from bookings.class_demo import demo_erase as classes_demo_erase
from bookings.demo import demo_erase as bookings_demo_erase
from bookings.demo import demo_parties
from customers.demo import demo_custom_fields, demo_customers, demo_signup_dates
from customers.models import Customer
from families.demo import demo_families
from imports.demo import demo_import
from intake.demo import demo_intake_form
from invites.demo import demo_claim_invites, demo_package_invites, demo_waitlist
from invites.demo import demo_erase as invites_demo_erase
from metrics.demo import demo_metrics
from notes.demo import demo_notes
from portal.demo import DEMO_CUSTOMER, demo_portal_customer
from tags.demo import demo_tags
from waivers.demo import demo_waivers

DEMO_PASSWORD = "roster-demo-2026"  # noqa: S105 - published demo logins, local data only

ORGANIZATIONS = [
    {
        "name": "Bounce Party Center",
        "slug": "bounce-party-center",
        "time_zone": "America/Chicago",
        "currency": "USD",
    },
    {
        "name": "Little Stars Gym",
        "slug": "little-stars-gym",
        "time_zone": "America/Toronto",
        "currency": "CAD",
    },
]
# (email, first name, last name, {organization slug: role})
STAFF = [
    (
        "maria@bounce.example",
        "Maria",
        "Lopez",
        {"bounce-party-center": Role.OWNER, "little-stars-gym": Role.ADMIN},
    ),
    ("devon@bounce.example", "Devon", "Carter", {"bounce-party-center": Role.ADMIN}),
    ("sam@bounce.example", "Sam", "Nguyen", {"bounce-party-center": Role.STAFF}),
    ("priya@littlestars.example", "Priya", "Shah", {"little-stars-gym": Role.OWNER}),
    ("kenji@littlestars.example", "Kenji", "Watanabe", {"little-stars-gym": Role.ADMIN}),
    ("ava@littlestars.example", "Ava", "Brown", {"little-stars-gym": Role.STAFF}),
]
PLATFORM_ADMIN = "platform@roster.example"
CUSTOMERS_PER_ORGANIZATION = 3000


def login_lines() -> list[str]:
    lines = [
        f"  {email:<28} {', '.join(f'{role} of {slug}' for slug, role in roles.items())}"
        for email, _, _, roles in STAFF
    ]
    lines.append(f"  {DEMO_CUSTOMER[0]:<28} customer of both, two children: /bounce-party-center/account/")
    lines.append(f"  {PLATFORM_ADMIN:<28} platform admin (/admin/)")
    return [*lines, f"  password for all: {DEMO_PASSWORD}"]


class DemoRefused(RuntimeError):
    """The demo's logins share a published password: they never go where DEMO_LOGINS is off."""


@transaction.atomic
def demo_load(*, reset: bool = False) -> None:
    if not settings.DEMO_LOGINS:
        raise DemoRefused(
            "The demo (a platform admin with a published password) loads only under config.settings.dev."
        )
    slugs = [spec["slug"] for spec in ORGANIZATIONS]
    if reset:
        for organization in Organization.objects.filter(slug__in=slugs):
            with tenant(organization):
                classes_demo_erase()  # before the rooms its classes meet in, and billing's packages
                bookings_demo_erase()
                invites_demo_erase()
                demo_erase()
                organization.delete()
        demo_logins = [email for email, *_ in STAFF] + [PLATFORM_ADMIN, DEMO_CUSTOMER[0]]
        User.objects.filter(email__in=demo_logins).delete()
    if Organization.objects.filter(slug__in=slugs).exists():
        return

    users = {}
    for email, first_name, last_name, _ in STAFF:
        users[email] = services.user_signup(
            email=email, password=DEMO_PASSWORD, first_name=first_name, last_name=last_name
        )
    User.objects.create_superuser(PLATFORM_ADMIN, DEMO_PASSWORD, first_name="Platform", last_name="Admin")

    for seed, spec in enumerate(ORGANIZATIONS):
        owner_email = next(email for email, *_, roles in STAFF if roles.get(spec["slug"]) == Role.OWNER)
        organization = services.organization_create(owner=users[owner_email], **spec)
        with tenant(organization):
            for email, *_, roles in STAFF:
                role = roles.get(spec["slug"])
                if role and email != owner_email:
                    Membership.objects.create(user=users[email], role=role)
            customers = Customer.objects.bulk_create(
                demo_customers(count=CUSTOMERS_PER_ORGANIZATION, seed=seed), batch_size=1000
            )
            demo_signup_dates(customers, seed=seed)
            demo_custom_fields(customers, seed=seed)
            demo_intake_form()
            demo_packages()
            demo_families(customers, seed=seed)
            demo_portal_customer(password=DEMO_PASSWORD)
            demo_waivers(customers, seed=seed, by=users[owner_email])
            demo_tags(customers, seed=seed)
            staff = [users[email] for email, *_, roles in STAFF if spec["slug"] in roles]
            demo_notes(customers, staff, seed=seed)
            demo_metrics(customers, seed=seed)
            demo_purchases(customers, staff, seed=seed)
            demo_claim_invites(customers, staff, seed=seed)
            demo_package_invites(staff, seed=seed)
            demo_waitlist(staff, seed=seed)
            demo_parties(by=users[owner_email], seed=seed)
            demo_classes(staff, seed=seed)
            demo_credit(customers, by=users[owner_email])
            demo_external_subscriptions(customers, by=users[owner_email])
            demo_payment_account(seed=seed, by=users[owner_email])
            demo_memberships(by=users[owner_email])
            demo_import(by=users[owner_email])
