"""The demo's classes: "Toddler tumble" and "Ninja warriors", eight weekly sessions each from tomorrow, an
8-class pass both accept sold to some of the roster's children (paid by a parent), Ninja warriors' term in the
store, and a few dozen registrations of children at the desk for the first sessions, half with their pass."""

import random
from datetime import time, timedelta

from django.utils import timezone

from accounts.tenancy import current_organization
from billing.models import ForWhom, Package, PackageKind
from billing.services import package_save, sale_record
from bookings import class_services
from bookings.class_selectors import local_date
from bookings.models import Course
from customers.models.roster import age_on
from families.models import GuardianLink, GuardianPermission

COURSES = [
    # name, description, instructor, capacity, ages, weekday, start, drop-in price
    (
        "Toddler tumble",
        "Soft mats, tunnels and songs: a first taste of tumbling with a grown-up close by.",
        "Jess",
        8,
        (2, 5),
        1,
        time(10),
        1200,
    ),
    (
        "Ninja warriors",
        "Climbing, balance beams and the warped wall: an hour of obstacle training for school-age kids.",
        "Marco",
        10,
        (6, 12),
        3,
        time(16, 30),
        None,
    ),
]


def demo_classes(staff: list, *, seed: int, children_per_course: int = 6, sessions_each: int = 3) -> None:
    rng = random.Random(seed)
    currency = current_organization().currency
    class_pass = package_save(
        package=Package(
            name="Class pass — 8 classes",
            description="Eight classes of Toddler tumble or Ninja warriors, valid six months.",
            kind=PackageKind.CLASS_PASS,
            visits=8,
            valid_days=183,
            price=9600,
            currency=currency,
            for_whom=ForWhom.CHILD,
        ),
        by=staff[0],
    )
    links = list(
        GuardianLink.objects.filter(
            permissions__contains=[GuardianPermission.BOOK], dependant__archived_at=None
        )
        .exclude(dependant__birthday=None)
        .select_related("guardian", "dependant")
        .order_by("pk")
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    for name, description, instructor, capacity, (low, high), weekday, starts, price in COURSES:
        term = None
        if price is None:  # sold by the term in the store
            term = package_save(
                package=Package(
                    name=f"{name} — term",
                    description=f"All eight sessions of {name}.",
                    price=14000,
                    currency=currency,
                    capacity=capacity,
                    for_whom=ForWhom.CHILD,
                    min_age=low,
                    max_age=high,
                ),
                by=staff[0],
            )
        course = class_services.course_save(
            course=Course(
                name=name,
                description=description,
                instructor=instructor,
                capacity=capacity,
                min_age=low,
                max_age=high,
                session_price=price,
                term_package=term,
            ),
            passes=[class_pass],
            by=staff[0],
        )
        sessions = class_services.sessions_schedule(
            course=course,
            weekdays=[weekday],
            starts=starts,
            minutes=60,
            first_date=tomorrow,
            weeks=8,
            by=staff[0],
        )
        first_day, last_day = (local_date(sessions[i].starts_at) for i in (0, sessions_each - 1))
        fitting = {
            link.dependant_id: link
            for link in links
            if low <= age_on(link.dependant.birthday, first_day)
            and age_on(link.dependant.birthday, last_day) <= high
        }
        fitting = list(fitting.values())
        for number, link in enumerate(rng.sample(fitting, min(children_per_course, len(fitting)))):
            child, paid_with = link.dependant, "desk"
            if number % 2 == 0:
                sale_record(
                    package=class_pass,
                    customer=child,
                    payer=link.guardian,
                    method="cash",
                    by=rng.choice(staff),
                )
                paid_with = "pass"
            for session in sessions[:sessions_each]:
                class_services.registration_create(
                    session=session, customer=child, paid_with=paid_with, by=rng.choice(staff)
                )


def demo_erase() -> None:
    """Delete the current organization's classes before billing's demo rows (a course keeps its packages)."""
    Course.objects.all().delete()
