"""Staff pages of parties: Settings → Booking (rules, opening hours, closed days, rooms, party packages), the
calendar (a day by room, or a week), a booking's page (move, cancel, check in) and the profile's Bookings
tab, where a party is booked at the desk."""

import datetime

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from bookings import services
from bookings.class_selectors import registrations_of
from bookings.forms import (
    BlackoutForm,
    BookingCreateForm,
    BookingSettingsForm,
    CancelForm,
    CheckInForm,
    MoveForm,
    PartyPackageForm,
    RoomForm,
)
from bookings.models import Blackout, Booking, OpeningHours, PartyPackage, Room
from bookings.selectors import (
    booking_settings,
    bookings_of,
    calendar_entries,
    organization_zone,
    payers_of,
    unsigned_waivers,
    when,
)
from customers.selectors import get_customer_for_org
from customers.views import render_profile


@org_permission("settings.change")
def settings_page(request, org_slug):
    """The rules, the weekly hours and the closed days, on one page."""
    hours = {row.weekday: row for row in OpeningHours.objects.all()}
    form = BookingSettingsForm(request.POST or None, instance=booking_settings(), hours=hours)
    if form.is_valid():
        services.booking_settings_save(rules=form.save(commit=False), hours=form.hours, by=request.user)
        messages.success(request, "Booking rules saved.")
        return redirect("booking_settings:page", org_slug=org_slug)
    context = {
        "form": form,
        "blackout_form": BlackoutForm(),
        "blackouts": Blackout.objects.filter(date__gte=timezone.localdate()),
        "rooms": Room.objects.all(),
        "packages": PartyPackage.objects.prefetch_related("rooms"),
    }
    return render(request, "bookings/settings.html", context, status=422 if form.is_bound else 200)


@require_POST
@org_permission("settings.change")
def blackout(request, org_slug):
    form = BlackoutForm(request.POST)
    closed = request.POST.get("closed", "1") == "1"
    if form.is_valid():
        services.blackout_set(
            date=form.cleaned_data["date"], reason=form.cleaned_data["reason"], closed=closed, by=request.user
        )
        when = f"{form.cleaned_data['date']:%b %-d, %Y}"
        messages.success(
            request, f"{when} is closed for online booking." if closed else f"{when} is open again."
        )
    else:
        messages.error(request, "Choose the day to close.")
    return redirect("booking_settings:page", org_slug=org_slug)


@org_permission("settings.change")
def room_edit(request, org_slug, pk=None):
    room = get_object_or_404(Room, pk=pk) if pk else Room()
    form = RoomForm(request.POST or None, instance=room)
    if form.is_valid():
        room = services.room_save(room=form.save(commit=False), by=request.user)
        messages.success(request, f"“{room.name}” saved.")
        return redirect("booking_settings:page", org_slug=org_slug)
    return render(
        request, "bookings/room_form.html", {"form": form, "room": room}, status=422 if form.is_bound else 200
    )


@require_POST
@org_permission("settings.change")
def room_archive(request, org_slug, pk):
    room = get_object_or_404(Room, pk=pk)
    archive = room.archived_at is None
    services.room_archive(room=room, archive=archive, by=request.user)
    messages.success(
        request, f"“{room.name}” {'archived: no new parties in it' if archive else 'is in use again'}."
    )
    return redirect("booking_settings:page", org_slug=org_slug)


@org_permission("settings.change")
def package_edit(request, org_slug, pk=None):
    package = get_object_or_404(PartyPackage, pk=pk) if pk else PartyPackage()
    form = PartyPackageForm(request.POST or None, instance=package)
    if form.is_valid():
        package = services.party_package_save(
            package=form.save(commit=False),
            rooms=list(form.cleaned_data["rooms"]),
            waivers=list(form.cleaned_data["waivers"]),
            by=request.user,
        )
        messages.success(request, f"“{package.name}” saved.")
        return redirect("booking_settings:page", org_slug=org_slug)
    status = 422 if form.is_bound else 200
    return render(request, "bookings/package_form.html", {"form": form, "package": package}, status=status)


def _day(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


@org_permission("customers.view")
def calendar(request, org_slug):
    """A day (a column per room) or a week (a column per day) of parties."""
    week = request.GET.get("view") == "week"
    day = _day(request)
    first = day - datetime.timedelta(days=day.weekday()) if week else day
    days = [first + datetime.timedelta(days=n) for n in range(7 if week else 1)]
    zone = organization_zone()
    start = datetime.datetime.combine(first, datetime.time.min, zone)
    entries = calendar_entries(start, start + datetime.timedelta(days=len(days)), rooms_shown=week)
    if week:
        columns = [(f"{column:%a %b %-d}", column, [e for e in entries if e[1] == column]) for column in days]
    else:
        rooms = {room.pk: room.name for room in Room.objects.filter(archived_at=None)}
        columns = [(name, pk, [e for e in entries if e[2] == pk]) for pk, name in rooms.items()]
    step = datetime.timedelta(days=7 if week else 1)
    context = {
        "week": week,
        "day": day,
        "days": days,
        "columns": columns,
        "previous": first - step,
        "next": first + step,
        "today": timezone.localdate(),
        "count": sum(1 for entry in entries if entry[-1] in ("", "Checked in")),
        "booking_path": reverse("bookings:calendar", kwargs={"org_slug": org_slug}),
    }
    return render(request, "bookings/calendar.html", context)


def _booking_page(
    request, booking: Booking, *, move_form=None, cancel_form=None, check_in_form=None, status=200
):
    local = timezone.localtime(booking.starts_at)
    unsigned = unsigned_waivers([booking.customer_id], list(booking.package.waivers.all()))
    context = {
        "booking": booking,
        "move_form": move_form
        or MoveForm(initial={"room": booking.room, "date": local.date(), "time": local.time()}),
        "cancel_form": cancel_form or CancelForm(),
        "check_in_form": check_in_form
        or CheckInForm(initial={"guests_arrived": booking.guests_arrived or booking.guests}),
        "may_change": has_permission(request.membership, "customers.change"),
        "may_refund": has_permission(request.membership, "payments.refund"),
        "deposit_payment": booking.deposit_purchase.payments.first() if booking.deposit_purchase_id else None,
        "waivers_unsigned": unsigned.get(booking.customer_id, []),
    }
    return render(request, "bookings/booking.html", context, status=status)


def _booking(pk) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("package", "room", "customer", "booked_by", "deposit_purchase"), pk=pk
    )


@org_permission("customers.view")
def booking_detail(request, org_slug, pk):
    return _booking_page(request, _booking(pk))


@require_POST
@org_permission("customers.change")
def booking_move(request, org_slug, pk):
    booking = _booking(pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.booking_move(
                booking=booking,
                room=form.cleaned_data["room"],
                starts_at=form.cleaned_data["starts_at"],
                by=request.user,
            )
        except services.BookingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, "The party is moved.")
            return redirect("bookings:booking", org_slug=org_slug, pk=pk)
    return _booking_page(request, booking, move_form=form, status=422)


@require_POST
@org_permission("customers.change")
def booking_cancel(request, org_slug, pk):
    booking = _booking(pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        deposit = form.cleaned_data["deposit"]
        if deposit == services.Deposit.REFUND and not has_permission(request.membership, "payments.refund"):
            form.add_error(
                "deposit", "Refunds need the refund permission: give it as credit, or ask an admin."
            )
        else:
            try:
                services.booking_cancel(
                    booking=booking, reason=form.cleaned_data["reason"], deposit=deposit, by=request.user
                )
            except services.BookingError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, "The party is cancelled.")
                return redirect("bookings:booking", org_slug=org_slug, pk=pk)
    return _booking_page(request, booking, cancel_form=form, status=422)


@require_POST
@org_permission("customers.change")
def booking_check_in(request, org_slug, pk):
    booking = _booking(pk)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            services.booking_check_in(
                booking=booking, guests_arrived=form.cleaned_data["guests_arrived"], by=request.user
            )
        except services.BookingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"{booking.customer_label}'s party is checked in.")
            return redirect("bookings:booking", org_slug=org_slug, pk=pk)
    return _booking_page(request, booking, check_in_form=form, status=422)


TAB_ROWS = 25  # the next and the last parties; the calendar shows the rest


def _bookings_tab(request, customer, *, form=None, status=200):
    may_book = has_permission(request.membership, "customers.change")
    if form is None and may_book and "book" in request.GET:  # the form's choices cost queries: on request
        form = BookingCreateForm(payers=payers_of(customer), prefix="booking")
    upcoming = list(bookings_of([customer.pk], upcoming=True)[: TAB_ROWS + 1])
    context = {
        "upcoming": upcoming[:TAB_ROWS],
        "more_upcoming": len(upcoming) > TAB_ROWS,
        "history": bookings_of([customer.pk], upcoming=False)[:TAB_ROWS],
        "classes_upcoming": registrations_of([customer.pk], upcoming=True)[:TAB_ROWS],
        "classes_history": registrations_of([customer.pk], upcoming=False)[:TAB_ROWS],
        "now": timezone.now(),
        "booking_form": form,
        "may_book": may_book,
    }
    response = render_profile(request, customer, "bookings", context)
    response.status_code = status
    return response


@org_permission("customers.view")
def bookings_tab(request, org_slug, pk):
    return _bookings_tab(request, get_customer_for_org(pk))


@require_POST
@org_permission("customers.change")
def booking_create(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    form = BookingCreateForm(request.POST, payers=payers_of(customer), prefix="booking")
    if form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.booking_create(
                package=data["package"],
                room=data["room"],
                starts_at=data["starts_at"],
                customer=customer,
                booked_by=data["booked_by"],
                guests=data["guests"],
                note=data["note"],
                by=request.user,
            )
        except services.BookingError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Party booked for {customer.full_name}: {when(booking.starts_at)}.")
            return redirect("bookings:booking", org_slug=org_slug, pk=booking.pk)
    return _bookings_tab(request, customer, form=form, status=422)
