"""What customers see of classes (namespace class_portal, under /<org>/classes/): the courses on offer with
their sessions and places left, registering themselves or a child they may book for with a class pass or
credit, buying the whole term in the store (or joining its waitlist when it is sold out), and their
registrations with Cancel while the booking rules allow it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.selectors import store_availability, store_packages
from bookings import class_services
from bookings.class_forms import PortalRegisterForm
from bookings.class_selectors import (
    cancel_deadline,
    local_date,
    open_session,
    portal_sessions,
    registration_seen_by,
    registrations_of,
    usable_passes,
)
from bookings.models import Course
from bookings.selectors import bookable_for, booking_settings
from portal.views import own_customer, render_portal


def _terms(courses) -> dict[int, tuple]:
    """{course id: (term package, what stops buying it: "" when on sale)} for courses sold by the term."""
    package_ids = [course.term_package_id for course in courses if course.term_package_id]
    packages = {package.pk: package for package in store_packages().filter(pk__in=package_ids)}
    return {
        course.pk: (packages[course.term_package_id], store_availability(packages[course.term_package_id]))
        for course in courses
        if course.term_package_id in packages
    }


@login_required
def page(request, org_slug):
    customer = own_customer(request)
    people = bookable_for(customer)
    sessions = list(portal_sessions())
    mine = list(registrations_of([person.pk for person in people], upcoming=True))
    registered, rules = {}, booking_settings()
    for registration in mine:
        registration.may_cancel = timezone.now() <= cancel_deadline(registration.session, rules)
        registered.setdefault(registration.session_id, []).append(registration.customer.first_name)
    courses: dict[int, Course] = {}
    for session in sessions:
        session.registered = registered.get(session.pk, [])
        session.left = max(session.places - session.taken, 0)
        courses.setdefault(session.course_id, session.course).offered = []
    for session in sessions:
        courses[session.course_id].offered.append(session)
    context = {
        "courses": list(courses.values()),
        "terms": _terms(courses.values()),
        "registrations": mine,
    }
    return render_portal(request, customer, "classes", "bookings/classes/portal.html", context)


@login_required
def register(request, org_slug, session_pk):
    customer = own_customer(request)
    session = open_session(session_pk)
    if session is None:
        raise Http404("This session is not open for registration.")
    people = bookable_for(customer)
    credit = session.course.session_price is not None
    form = PortalRegisterForm(request.POST or None, people=people, credit=credit)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["for_whom"]
        try:
            class_services.registration_create(
                session=session,
                customer=person,
                paid_with=form.cleaned_data["paid_with"],
                by=request.user,
                registered_by=customer,
            )
        except class_services.ClassError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{person.first_name} is registered for “{session.course.name}”.")
            return redirect("class_portal:page", org_slug=org_slug)
    on = local_date(session.starts_at)
    passes = [(person, usable_passes(person, session.course, on)) for person in people]
    context = {"session": session, "form": form, "passes": passes}
    response = render_portal(request, customer, "classes", "bookings/classes/portal_register.html", context)
    response.status_code = 422 if request.method == "POST" else 200
    return response


@require_POST
@login_required
def cancel(request, org_slug, registration_pk):
    customer = own_customer(request)
    registration = registration_seen_by(customer, registration_pk)
    if registration is None:
        raise Http404("No such registration.")
    try:
        class_services.registration_cancel(registration=registration, by=request.user, online=True)
    except class_services.ClassError as error:
        messages.error(request, str(error))
    else:
        back = " Its price is back on your credit." if registration.credit_entry_id else ""
        messages.success(request, f"{registration.customer.first_name}'s place is cancelled.{back}")
    return redirect("class_portal:page", org_slug=org_slug)
