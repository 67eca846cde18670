"""Bookings' pages, mounted by config/urls.py: Settings → Booking (namespace booking_settings), the staff
calendar and bookings (bookings), the profile's Bookings tab (profile_bookings), and the customers' online
booking and My bookings under /<org>/book/ (book)."""

from django.urls import path

from bookings import public_views, views

settings_patterns = [
    path("", views.settings_page, name="page"),
    path("closed-days/", views.blackout, name="blackout"),
    path("rooms/new/", views.room_edit, name="room_create"),
    path("rooms/<int:pk>/", views.room_edit, name="room_edit"),
    path("rooms/<int:pk>/archive/", views.room_archive, name="room_archive"),
    path("parties/new/", views.package_edit, name="package_create"),
    path("parties/<int:pk>/", views.package_edit, name="package_edit"),
]
staff_patterns = [
    path("", views.calendar, name="calendar"),
    path("<int:pk>/", views.booking_detail, name="booking"),
    path("<int:pk>/move/", views.booking_move, name="move"),
    path("<int:pk>/cancel/", views.booking_cancel, name="cancel"),
    path("<int:pk>/check-in/", views.booking_check_in, name="check_in"),
]
profile_patterns = [
    path("<int:pk>/bookings/", views.bookings_tab, name="tab"),
    path("<int:pk>/bookings/new/", views.booking_create, name="create"),
]
public_patterns = [
    path("", public_views.index, name="index"),
    path("<int:party_id>/", public_views.slots, name="slots"),
    path("<int:party_id>/details/", public_views.details, name="details"),
    path("mine/", public_views.mine, name="mine"),
    path("mine/<int:pk>/", public_views.booking, name="booking"),
    path("mine/<int:pk>/party.ics", public_views.booking_ics, name="ics"),
    path("mine/<int:pk>/cancel/", public_views.booking_cancel, name="cancel"),
]
