"""Three areas, three namespaces: the profile's Privacy tab (profile_privacy), Settings → Privacy
(privacy_settings) and the customer's own request in the portal (privacy_portal)."""

from django.urls import path

from privacy import portal_views, views

profile_patterns = [
    path("<int:pk>/privacy/", views.tab, name="tab"),
    path("<int:pk>/privacy/export/", views.export_start, name="export"),
    path("<int:pk>/privacy/erase/", views.erase, name="erase"),
    path("privacy-exports/<int:pk>/download/", views.export_download, name="download"),
]

settings_patterns = [
    path("", views.settings_page, name="page"),
    path(
        "erasures/<int:pk>/certificate.pdf", views.certificate, {"file_format": "pdf"}, name="certificate_pdf"
    ),
    path(
        "erasures/<int:pk>/certificate.json",
        views.certificate,
        {"file_format": "json"},
        name="certificate_json",
    ),
]

portal_patterns = [
    path("account/my-data/", portal_views.my_data, name="my_data"),
    path("my-data/<str:token>/", portal_views.download, name="download"),
]
