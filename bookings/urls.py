"""Bookings' pages, mounted by config/urls.py. Parties: Settings → Booking (namespace booking_settings), the
staff calendar and bookings (bookings), the profile's Bookings tab (profile_bookings), and the customers'
online booking and My bookings under /<org>/book/ (book). Classes: Settings → Classes (class_settings, under
/app/<org>/settings/classes/), the staff's Classes page (classes, under /app/<org>/classes/) and the
customers' (class_portal, under /<org>/classes/)."""

from django.urls import path

from bookings import class_portal_views, class_views, public_views, views

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
class_settings_patterns = [
    path("", class_views.course_list, name="list"),
    path("new/", class_views.course_edit, name="create"),
    path("<int:course_pk>/", class_views.course_detail, name="course"),
    path("<int:course_pk>/edit/", class_views.course_edit, name="edit"),
    path("<int:course_pk>/archive/", class_views.course_archive, name="archive"),
    path("<int:course_pk>/restore/", class_views.course_restore, name="restore"),
    path("sessions/<int:session_pk>/cancel/", class_views.session_cancel, name="session_cancel"),
]
class_patterns = [
    path("", class_views.index, name="index"),
    path("sessions/<int:session_pk>/", class_views.session_detail, name="session"),
    path("sessions/<int:session_pk>/search/", class_views.customer_search, name="search"),
    path("sessions/<int:session_pk>/register/", class_views.register, name="register"),
    path(
        "sessions/<int:session_pk>/registrations/<int:registration_pk>/check-in/",
        class_views.check_in,
        name="check_in",
    ),
    path(
        "sessions/<int:session_pk>/registrations/<int:registration_pk>/cancel/",
        class_views.registration_cancel,
        name="cancel",
    ),
]
class_portal_patterns = [
    path("", class_portal_views.page, name="page"),
    path("sessions/<int:session_pk>/register/", class_portal_views.register, name="register"),
    path("registrations/<int:registration_pk>/cancel/", class_portal_views.cancel, name="cancel"),
]
