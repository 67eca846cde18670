from django.urls import path

from portal import views

# Mounted at /<org_slug>/ (namespace "portal") by config/urls.py.
urlpatterns = [
    path("signup/<slug:channel_slug>/", views.signup, name="signup"),
    path("signup-link/", views.signup_resend, name="signup_resend"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("account/", views.account, name="account"),
    path("account/email/", views.email_change, name="email_change"),
    path("account/email/confirm/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("account/family/", views.family, name="family"),
    path("account/family/<int:pk>/email/", views.email_change, name="dependant_email_change"),
    path("account/family/<int:pk>/", views.family_member, name="family_member"),
    path("claim/<str:token>/", views.claim, name="claim"),
    path("claim-link/", views.claim_request, name="claim_request"),
]
