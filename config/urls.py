from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from accounts.urls import public_urlpatterns, staff_urlpatterns
from api.api import api
from billing import urls as billing_urls
from bookings import urls as booking_urls
from families import urls as family_urls
from imports import urls as import_urls
from intake import urls as intake_urls
from invites import urls as invite_urls
from metrics import urls as metric_urls
from notes import urls as note_urls
from portal import staff_urls as portal_staff_urls
from portal.urls import urlpatterns as portal_urlpatterns
from privacy import urls as privacy_urls
from tags import urls as tag_urls
from waivers import urls as waiver_urls

staff_area = [
    path("", include((staff_urlpatterns, "staff"))),
    path("settings/tags/", include("tags.urls")),
    path("settings/api-keys/", include("api.urls")),
    path("settings/webhooks/", include("webhooks.urls")),
    path("settings/invites/", include((invite_urls.settings_patterns, "invite_settings"))),
    path(
        "settings/package-invites/",
        include((invite_urls.package_settings_patterns, "package_invite_settings")),
    ),
    path("settings/forms/", include((intake_urls.settings_patterns, "intake_settings"))),
    path("settings/packages/", include((billing_urls.settings_patterns, "package_settings"))),
    path("settings/payments/", include((billing_urls.payment_account_patterns, "payment_settings"))),
    path("settings/booking/", include((booking_urls.settings_patterns, "booking_settings"))),
    path("settings/classes/", include((booking_urls.class_settings_patterns, "class_settings"))),
    path("settings/", include("customers.settings_urls")),
    path("customers/", include("customers.urls")),
    path("families/", include("families.urls")),
    path("imports/", include("imports.urls")),
    path("settings/metrics/", include((metric_urls.settings_patterns, "metric_settings"))),
    path("settings/waivers/", include((waiver_urls.settings_patterns, "waiver_settings"))),
    path("waivers/", include((waiver_urls.kiosk_patterns, "waiver_kiosk"))),
    # What feature apps add to a profile; a "profile_" namespace keeps Customers marked in the menu.
    path("customers/", include((metric_urls.profile_patterns, "profile_metrics"))),
    path("customers/", include((note_urls.profile_patterns, "profile_notes"))),
    path("customers/", include((tag_urls.profile_patterns, "profile_tags"))),
    path("customers/", include((family_urls.profile_patterns, "profile_family"))),
    path("customers/", include((invite_urls.profile_patterns, "profile_invites"))),
    path("customers/", include((portal_staff_urls.profile_patterns, "profile_portal"))),
    path("customers/", include((intake_urls.profile_patterns, "profile_intake"))),
    path("customers/", include((billing_urls.profile_patterns, "profile_payments"))),
    path("customers/", include((waiver_urls.profile_patterns, "profile_waivers"))),
    path("customers/", include((booking_urls.profile_patterns, "profile_bookings"))),
    path("customers/", include((privacy_urls.profile_patterns, "profile_privacy"))),
    path("settings/privacy/", include((privacy_urls.settings_patterns, "privacy_settings"))),
    path("bookings/", include((booking_urls.staff_patterns, "bookings"))),
    path("invites/", include((invite_urls.package_patterns, "package_invites"))),
    path("reports/customers/", include("reports.urls")),
    path("reports/scheduled/", include("reports.schedule_urls")),
    path("reports/imports/", include((import_urls.report_patterns, "reports_imports"))),
    path("reports/", include("customers.report_urls")),
    path("metrics/", include((metric_urls.report_patterns, "metrics"))),
    path("sales/", include((billing_urls.report_patterns, "sales"))),
    path("memberships/", include((billing_urls.membership_report_patterns, "memberships"))),
    path("waitlists/", include((invite_urls.staff_waitlist_patterns, "waitlists"))),
    path("classes/", include((booking_urls.class_patterns, "classes"))),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", api.urls),
    path("app/<slug:org_slug>/", include(staff_area)),
    path("stripe/webhooks/", include(billing_urls.webhook_patterns)),
    # Last: customer-facing pages of an organization; slugs that would shadow the paths above are reserved.
    path("<slug:org_slug>/forms/", include((intake_urls.public_patterns, "intake"))),
    path("<slug:org_slug>/invite/<str:token>/", include((invite_urls.public_patterns, "package_invite"))),
    path("<slug:org_slug>/book/", include((booking_urls.public_patterns, "book"))),
    path("<slug:org_slug>/store/", include((billing_urls.store_patterns, "store"))),
    path("<slug:org_slug>/classes/", include((booking_urls.class_portal_patterns, "class_portal"))),
    path("<slug:org_slug>/", include((billing_urls.portal_patterns, "portal_payments"))),
    path("<slug:org_slug>/", include((waiver_urls.public_patterns, "waivers"))),
    path("<slug:org_slug>/", include((privacy_urls.portal_patterns, "privacy_portal"))),
    path("<slug:org_slug>/", include((invite_urls.public_waitlist_patterns, "waitlist"))),
    path("<slug:org_slug>/", include((public_urlpatterns + portal_urlpatterns, "portal"))),
]

handler500 = "accounts.unavailable.server_error"
