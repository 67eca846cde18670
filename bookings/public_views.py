"""Online party booking (/<org>/book/, namespace book): choose a party, a day and a free start time; sign in
or create an account (the Online Booking fields); say whose party it is and how many come; pay the deposit
in the store's card checkout, which brings the payer back to their booking. My bookings lists a customer's
parties and their children's, with Add to calendar and Cancel inside the business's window."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from bookings import services
from bookings.calendar_files import ics_of
from bookings.class_selectors import registrations_of
from bookings.forms import NEW_CHILD, OnlineBookingForm
from bookings.models import Booking, Room
from bookings.selectors import (
    bookable_for,
    bookable_packages,
    bookings_of,
    customer_may_cancel,
    free_slots,
    free_slots_between,
    household_booking,
    month_days,
    organization_zone,
    unsigned_waivers,
    visible_household,
)
from customers.models import Customer
from families import services as family_services
from families.models import Relationship
from portal.forms import GuestChildForm
from portal.views import own_customer, render_portal


def index(request, org_slug):
    return render(request, "bookings/public/index.html", {"packages": bookable_packages()})


def _month(request, today: datetime.date) -> datetime.date:
    try:
        first = datetime.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        return today.replace(day=1)
    return max(first, today.replace(day=1))


def _guests(request) -> int:
    try:
        return min(max(int(request.GET.get("guests", "1")), 1), 1000)
    except ValueError:
        return 1


def slots(request, org_slug, party_id):
    """A month of the party's calendar, days with a free start time as links, and the chosen day's times."""
    package = get_object_or_404(bookable_packages(), pk=party_id)
    zone = organization_zone()
    today = timezone.localdate(timezone=zone)
    guests = _guests(request)
    first = _month(request, today)
    first, last = month_days(first.year, first.month)
    open_days = free_slots_between(package, first, last, guests=guests, first_only=True)
    if "month" not in request.GET and not any(day > today for day in open_days):  # this month is over
        first, last = month_days(*(last + datetime.timedelta(days=1)).timetuple()[:2])
        open_days = free_slots_between(package, first, last, guests=guests, first_only=True)
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = None
    context = {
        "package": package,
        "guests": guests,
        "month": first,
        "weeks": _weeks(first, last),
        "open_days": open_days,
        "day": day,
        "day_slots": free_slots(package, day, guests=guests) if day else [],
        "previous_month": (first - datetime.timedelta(days=1)).replace(day=1) if first > today else None,
        "next_month": last + datetime.timedelta(days=1),
    }
    return render(request, "bookings/public/slots.html", context)


def _weeks(first: datetime.date, last: datetime.date) -> list[list[datetime.date | None]]:
    """The month as rows of seven days from Monday, blanks outside it."""
    cells: list[datetime.date | None] = [None] * first.weekday()
    cells += [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    cells += [None] * (-len(cells) % 7)
    return [cells[n : n + 7] for n in range(0, len(cells), 7)]


def details(request, org_slug, party_id):
    """The chosen slot: sign in or create an account first; then whose party and how many guests; then pay."""
    package = get_object_or_404(bookable_packages(), pk=party_id)
    room = get_object_or_404(Room.objects.filter(archived_at=None), pk=request.GET.get("room") or 0)
    try:
        starts_at = datetime.datetime.fromisoformat(request.GET.get("start", "")).replace(
            tzinfo=organization_zone()
        )
    except ValueError:
        raise Http404("No such start time.") from None
    here = request.get_full_path()
    if not request.user.is_authenticated:
        context = {
            "package": package,
            "starts_at": starts_at,
            "login_url": f"{reverse('accounts:login')}?{urlencode({'next': here})}",
            "signup_url": reverse("portal:signup", kwargs={"org_slug": org_slug, "channel_slug": "booking"})
            + f"?{urlencode({'next': here})}",
        }
        return render(request, "bookings/public/sign_in.html", context)
    booker = Customer.objects.filter(user=request.user).first()
    if booker is None:  # a login from another business: join this one first
        signup = reverse("portal:signup", kwargs={"org_slug": org_slug, "channel_slug": "booking"})
        return redirect(f"{signup}?{urlencode({'next': here})}")
    max_guests = min(package.max_guests, room.guests)
    waivers = list(package.waivers.filter(archived_at=None))
    data = request.POST if request.method == "POST" else None
    form = OnlineBookingForm(
        data, people=bookable_for(booker), max_guests=max_guests, initial={"guests": _guests(request)}
    )
    child_form = GuestChildForm(data, prefix="child", initial={"last_name": booker.last_name})
    if data is not None and form.is_valid():
        customer = form.cleaned_data["for_whom"]
        if customer == NEW_CHILD and child_form.is_valid():
            customer = family_services.guest_create(
                guardian=booker,
                data=child_form.cleaned_data,
                relationship=Relationship.PARENT,
                is_primary=True,
                by=request.user,
            )
        elif customer != NEW_CHILD:
            customer = form.people[customer]
        unsigned = unsigned_waivers([customer.pk], waivers)[customer.pk] if customer != NEW_CHILD else []
        if unsigned:  # required waivers come first: sign, then come back here to pay
            messages.info(request, f"Sign “{unsigned[0].name}” for {customer.first_name} first, then book.")
            sign = reverse("waivers:sign", kwargs={"org_slug": org_slug, "template_pk": unsigned[0].pk})
            return redirect(f"{sign}?{urlencode({'next': here})}")
        if customer != NEW_CHILD:
            try:
                booking = services.booking_online_start(
                    package=package,
                    room=room,
                    starts_at=starts_at,
                    customer=customer,
                    booked_by=booker,
                    guests=form.cleaned_data["guests"],
                    note=form.cleaned_data["note"],
                )
            except services.BookingError as refusal:
                form.add_error(None, str(refusal))
            else:
                if booking.checkout_id:
                    return redirect("store:pay", org_slug=org_slug, pk=booking.checkout_id)
                return redirect("book:booking", org_slug=org_slug, pk=booking.pk)
    context = {
        "package": package,
        "room": room,
        "starts_at": starts_at,
        "ends_at": starts_at + datetime.timedelta(minutes=package.minutes),
        "form": form,
        "child_form": child_form,
        "waivers": waivers,
    }
    return render(request, "bookings/public/details.html", context, status=422 if data is not None else 200)


def _own_booking(request, pk) -> tuple[Customer, Booking]:
    """A booking the signed-in customer made, or that is for them or a child whose bookings they may see;
    404 for anyone else's, or another organization's."""
    customer = own_customer(request)
    household = visible_household(customer)
    booking = household_booking(household, pk)
    if booking is None:
        raise Http404("No such booking.")
    return customer, booking


@login_required
def booking(request, org_slug, pk):
    customer, item = _own_booking(request, pk)
    context = {"booking": item, "may_cancel": customer_may_cancel(item), "now": timezone.now()}
    return render_portal(request, customer, "bookings", "bookings/public/booking.html", context)


@login_required
def booking_ics(request, org_slug, pk):
    _, item = _own_booking(request, pk)
    response = HttpResponse(ics_of([item], request.org), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="party-{item.pk}.ics"'
    return response


@require_POST
@login_required
def booking_cancel(request, org_slug, pk):
    customer, item = _own_booking(request, pk)
    if not customer_may_cancel(item):
        messages.error(request, "This party can no longer be cancelled online: call us.")
        return redirect("book:booking", org_slug=org_slug, pk=pk)
    try:
        services.booking_cancel(
            booking=item,
            reason=f"Cancelled online by {customer.full_name}",
            deposit=services.Deposit.REFUND,
            by=request.user,
        )
    except services.BookingError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Your party is cancelled; a paid deposit goes back to your card.")
    return redirect("book:booking", org_slug=org_slug, pk=pk)


@login_required
def mine(request, org_slug):
    customer = own_customer(request)
    household = visible_household(customer)
    context = {
        "upcoming": bookings_of(household, upcoming=True),
        "past": bookings_of(household, upcoming=False)[:50],
        "classes_upcoming": registrations_of(household, upcoming=True)[:50],
        "now": timezone.now(),
    }
    return render_portal(request, customer, "bookings", "bookings/public/mine.html", context)
