"""Intake's pages, each list mounted by config/urls.py: Settings → Intake forms (namespace intake_settings),
the profile's answer review (profile_intake) and the public form (intake, at /<org>/forms/)."""

from django.urls import path

from intake import views

settings_patterns = [
    path("", views.intake_forms, name="forms"),
    path("new/", views.intake_form_edit, name="form_create"),
    path("<int:pk>/", views.intake_form_edit, name="form_edit"),
]

profile_patterns = [
    path("<int:pk>/form-responses/<int:change_pk>/accept/", views.form_response_accept, name="accept"),
    path("<int:pk>/form-responses/<int:change_pk>/reject/", views.form_response_reject, name="reject"),
]

public_patterns = [
    path("<slug:form_slug>/", views.public_form, name="form"),
    path("<slug:form_slug>/thanks/", views.public_thanks, name="thanks"),
]
