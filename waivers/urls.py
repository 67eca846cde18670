"""Waivers' URLs by area, each its own namespace (so the main menu marks the right section): Settings →
Waivers, the profile's Waivers tab, the front desk's signing tablet, and the customer-facing pages."""

from django.urls import path

from waivers import kiosk_views, public_views, views

settings_patterns = [
    path("", views.template_list, name="list"),
    path("new/", views.template_edit, name="create"),
    path("<int:pk>/", views.template_edit, name="edit"),
    path("<int:pk>/signatures/", views.template_signatures, name="signatures"),
    path("<int:pk>/archive/", views.template_archive, name="archive"),
    path("<int:pk>/restore/", views.template_restore, name="restore"),
]

profile_patterns = [
    path("<int:pk>/waivers/", views.tab, name="tab"),
    path("<int:pk>/waivers/<int:template_pk>/email/", views.email_link, name="email_link"),
    path("waivers/signatures/<int:signature_pk>/pdf/", views.signature_pdf, name="pdf"),
]

kiosk_patterns = [
    path("sign/", kiosk_views.pick, name="pick"),
    path("sign/<int:pk>/<int:template_pk>/", kiosk_views.kiosk, name="sign"),
]

# Under /<org-slug>/: signing online (?next= comes back), the emailed link, and the portal's Waivers page.
public_patterns = [
    path("waivers/<int:template_pk>/sign/", public_views.sign, name="sign"),
    path("waivers/link/<str:token>/", public_views.link, name="link"),
    path("account/waivers/", public_views.mine, name="mine"),
    path("account/waivers/<int:signature_pk>/pdf/", public_views.signature_pdf, name="pdf"),
]
