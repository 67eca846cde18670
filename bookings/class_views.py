"""Staff pages of classes: Settings → Classes (courses, their schedules, cancelling a session; namespace
class_settings) and the Classes menu page (sessions by day, a session's registrants with check-in, registering
a customer at the desk; namespace classes)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from bookings import class_services
from bookings.class_forms import CourseForm, ScheduleForm, StaffRegisterForm
from bookings.class_selectors import (
    local_date,
    session_registrants,
    sessions_by_day,
    sessions_of_course,
    usable_passes,
    with_places,
)
from bookings.models import Course, PaidWith, Registration, Session
from bookings.selectors import unsigned_waivers
from customers.models import Customer
from customers.search import search_page

# Settings → Classes


@org_permission("settings.change")
def course_list(request, org_slug):
    courses = list(Course.objects.select_related("room", "term_package").prefetch_related("passes"))
    context = {
        "courses": [course for course in courses if course.archived_at is None],
        "archived_courses": [course for course in courses if course.archived_at is not None],
    }
    return render(request, "bookings/classes/settings_list.html", context)


@org_permission("settings.change")
def course_edit(request, org_slug, course_pk=None):
    course = get_object_or_404(Course, pk=course_pk) if course_pk else Course()
    form = CourseForm(request.POST or None, instance=course)
    if form.is_valid():
        course = class_services.course_save(
            course=form.save(commit=False),
            passes=list(form.cleaned_data["passes"]),
            waivers=list(form.cleaned_data["waivers"]),
            by=request.user,
        )
        messages.success(request, f"“{course.name}” saved.")
        return redirect("class_settings:course", org_slug=org_slug, course_pk=course.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "course": course}
    return render(request, "bookings/classes/course_form.html", context, status=status)


@org_permission("settings.change")
def course_detail(request, org_slug, course_pk):
    """A course's sessions (to come first) and the form that adds a recurring schedule."""
    course = get_object_or_404(Course.objects.select_related("room", "term_package"), pk=course_pk)
    form = ScheduleForm(request.POST or None)
    if form.is_valid():
        try:
            sessions = class_services.sessions_schedule(course=course, **form.cleaned_data, by=request.user)
        except class_services.ClassError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{len(sessions)} sessions added to “{course.name}”.")
            return redirect("class_settings:course", org_slug=org_slug, course_pk=course.pk)
    upcoming, past = sessions_of_course(course)
    context = {"course": course, "form": form, "upcoming": upcoming, "past": past}
    return render(
        request, "bookings/classes/course.html", context, status=422 if request.method == "POST" else 200
    )


@require_POST
@org_permission("settings.change")
def course_archive(request, org_slug, course_pk):
    course = class_services.course_archive(course=get_object_or_404(Course, pk=course_pk), by=request.user)
    messages.success(request, f"“{course.name}” archived: no longer offered; its sessions are kept.")
    return redirect("class_settings:list", org_slug=org_slug)


@require_POST
@org_permission("settings.change")
def course_restore(request, org_slug, course_pk):
    course = class_services.course_restore(course=get_object_or_404(Course, pk=course_pk), by=request.user)
    messages.success(request, f"“{course.name}” restored.")
    return redirect("class_settings:list", org_slug=org_slug)


@require_POST
@org_permission("settings.change")
def session_cancel(request, org_slug, session_pk):
    session = get_object_or_404(Session.objects.select_related("course"), pk=session_pk)
    try:
        count = class_services.session_cancel(session=session, by=request.user)
    except class_services.ClassError as error:
        messages.error(request, str(error))
    else:
        plural = "s" if count != 1 else ""
        messages.success(request, f"Session cancelled, and its {count} registration{plural}.")
    return redirect("class_settings:course", org_slug=org_slug, course_pk=session.course_id)


# The Classes page


@org_permission("customers.view")
def index(request, org_slug):
    return render(request, "bookings/classes/index.html", {"days": sessions_by_day()})


def _session_or_404(session_pk) -> Session:
    sessions = with_places(Session.objects.select_related("course", "course__room"))
    return get_object_or_404(sessions, pk=session_pk)


def _session_page(request, session, *, form=None, status=200):
    may_change = has_permission(request.membership, "customers.change")
    registrants = list(session_registrants(session))
    unsigned = unsigned_waivers([r.customer_id for r in registrants], list(session.course.waivers.all()))
    for registration in registrants:  # the check-in list flags who still has a waiver to sign
        registration.waivers_unsigned = unsigned[registration.customer_id]
    context = {
        "session": session,
        "registrants": registrants,
        "form": form or (StaffRegisterForm() if may_change else None),
        "may_change": may_change,
    }
    return render(request, "bookings/classes/session.html", context, status=status)


@org_permission("customers.view")
def session_detail(request, org_slug, session_pk):
    return _session_page(request, _session_or_404(session_pk))


@org_permission("customers.change")
def customer_search(request, org_slug, session_pk):
    """Customers matching `q` to register (radio buttons swapped into the form), each with their usable
    passes."""
    session = _session_or_404(session_pk)
    query = request.GET.get("q", "").strip()[:100]
    matches = []
    if query:
        matches = search_page(Customer.objects.filter(archived_at=None), query, offset=0, limit=8).rows
        on = local_date(session.starts_at)
        for match in matches:
            match.passes = usable_passes(match, session.course, on)
    return render(request, "bookings/classes/session.html#matches", {"matches": matches, "query": query})


@require_POST
@org_permission("customers.change")
def register(request, org_slug, session_pk):
    session = _session_or_404(session_pk)
    form = StaffRegisterForm(request.POST)
    if form.is_valid():
        customer = form.cleaned_data["customer"]
        try:
            class_services.registration_create(
                session=session, customer=customer, paid_with=form.cleaned_data["paid_with"], by=request.user
            )
        except class_services.ClassError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{customer.full_name} is registered.")
            return redirect("classes:session", org_slug=org_slug, session_pk=session.pk)
    return _session_page(request, session, form=form, status=422)


def _registration_or_404(session_pk, registration_pk) -> Registration:
    return get_object_or_404(
        Registration.objects.select_related("customer", "session__course", "punch_card__purchase__package"),
        pk=registration_pk,
        session_id=session_pk,
    )


@require_POST
@org_permission("customers.change")
def check_in(request, org_slug, session_pk, registration_pk):
    registration = _registration_or_404(session_pk, registration_pk)
    error = ""
    try:
        registration = class_services.registration_check_in(registration=registration, by=request.user)
    except class_services.ClassError as refusal:
        error = str(refusal)
    if request.htmx:
        registration = _registration_or_404(session_pk, registration_pk)
        context = {"registration": registration, "may_change": True, "row_error": error}
        return render(request, "bookings/classes/session.html#registrant", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{registration.customer.full_name} checked in.")
    return redirect("classes:session", org_slug=org_slug, session_pk=session_pk)


@require_POST
@org_permission("customers.change")
def registration_cancel(request, org_slug, session_pk, registration_pk):
    registration = _registration_or_404(session_pk, registration_pk)
    try:
        class_services.registration_cancel(registration=registration, by=request.user)
    except class_services.ClassError as error:
        messages.error(request, str(error))
    else:
        back = " (credit given back)" if registration.paid_with == PaidWith.CREDIT else ""
        messages.success(request, f"{registration.customer.full_name}'s registration cancelled{back}.")
    return redirect("classes:session", org_slug=org_slug, session_pk=session_pk)
