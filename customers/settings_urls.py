from django.urls import path

from customers import duplicate_views, settings_views

app_name = "customer_settings"
urlpatterns = [
    path("duplicates/", duplicate_views.duplicates, name="duplicates"),
    path("duplicates/scan/", duplicate_views.duplicates_scan, name="duplicates_scan"),
    path(
        "duplicates/scan/<int:pk>/", duplicate_views.duplicates_scan_progress, name="duplicates_scan_progress"
    ),
    path("duplicates/<int:pk>/not-duplicate/", duplicate_views.duplicate_not_duplicate, name="not_duplicate"),
    path("required-fields/", settings_views.required_fields, name="required_fields"),
    path("custom-fields/", settings_views.custom_fields, name="custom_fields"),
    path("custom-fields/new/", settings_views.custom_field_edit, name="custom_field_create"),
    path("custom-fields/<int:pk>/", settings_views.custom_field_edit, name="custom_field_edit"),
    path("custom-fields/<int:pk>/retire/", settings_views.custom_field_retire, name="custom_field_retire"),
    path("custom-fields/<int:pk>/restore/", settings_views.custom_field_restore, name="custom_field_restore"),
]
