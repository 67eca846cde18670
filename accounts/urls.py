from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import audit_views, views
from accounts.forms import LoginForm

app_name = "accounts"
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/confirm/<uidb64>/<token>/", views.signup_confirm, name="signup_confirm"),
    path("signup/resend/", views.signup_resend, name="signup_resend"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("organizations/", views.workspaces, name="workspaces"),
    path("organizations/new/", views.organization_create, name="organization_create"),
]

# Staff area, mounted at /app/<org_slug>/ (namespace "staff").
staff_urlpatterns = [
    path("", views.staff_home, name="home"),
    path("switcher/", views.organization_switcher, name="switcher"),
    path("settings/", views.organization_settings, name="settings"),
    path("settings/staff/", views.staff_list, name="staff"),
    path("settings/staff/<int:pk>/role/", views.membership_role, name="membership_role"),
    path("settings/staff/<int:pk>/remove/", views.membership_remove, name="membership_remove"),
    path("settings/staff/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("settings/staff/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("settings/audit/", audit_views.audit_log, name="audit"),
    path("settings/audit/export.csv", audit_views.audit_export, name="audit_export"),
]

# Customer-facing area, mounted at /<org_slug>/ (namespace "portal").
public_urlpatterns = [
    path("join/<str:token>/", views.staff_join, name="staff_join"),
]
