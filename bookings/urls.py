"""Bookings' pages, mounted by config/urls.py. Classes: Settings → Classes (namespace class_settings, under
/app/<org>/settings/classes/), the staff's Classes page (classes, under /app/<org>/classes/) and the
customers' (class_portal, under /<org>/classes/)."""

from django.urls import path

from bookings import class_portal_views, class_views

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
