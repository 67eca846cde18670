"""Package invitations' pages, mounted by config/urls.py: the Invites pages (namespace package_invites), the
profile's invite form (profile_invites), Settings → Package invites (package_invite_settings) and the
customer's invitation page under /<org>/ (package_invite)."""

from django.urls import path

from invites import package_public_views, package_views

staff_patterns = [
    path("", package_views.index, name="index"),
    path("<int:pk>/", package_views.package_detail, name="package"),
    path("<int:pk>/cancel/", package_views.cancel_all, name="cancel_all"),
    path("<int:pk>/<int:invite_pk>/cancel/", package_views.cancel, name="cancel"),
]
profile_patterns = [path("<int:pk>/package-invite/", package_views.invite_one, name="package_invite")]
settings_patterns = [path("", package_views.settings_page, name="page")]
public_patterns = [
    path("", package_public_views.open_invite, name="open"),
    path("accept/", package_public_views.accept, name="accept"),
    path("decline/", package_public_views.reject, name="reject"),
]
