from django.urls import path

from portal import views

# Mounted at /<org_slug>/ (namespace "portal") by config/urls.py.
urlpatterns = [
    path("signup/<slug:channel_slug>/", views.signup, name="signup"),
    path("account/", views.account, name="account"),
    path("forms/<slug:form_slug>/", views.intake_form, name="intake_form"),
    path("forms/<slug:form_slug>/thanks/", views.intake_thanks, name="intake_thanks"),
]
