"""Invitations' pages, mounted by config/urls.py: on a profile (namespace profile_invites), Settings → Account
invites (invite_settings) and → Package invites (package_invite_settings), the Invites pages (package_invites)
and the customer's invitation page under /<org>/invite/<token>/ (package_invite)."""

from django.urls import path

from invites import claim_views, package_public_views, package_views

profile_patterns = [
    path("<int:pk>/invite/", claim_views.invite, name="invite"),
    path("<int:pk>/invite/revoke/", claim_views.invite_revoke, name="invite_revoke"),
    path("<int:pk>/package-invite/", package_views.invite_one, name="package_invite"),
]
settings_patterns = [path("", claim_views.invite_settings, name="invites")]
package_settings_patterns = [path("", package_views.settings_page, name="page")]
package_patterns = [
    path("", package_views.index, name="index"),
    path("<int:pk>/", package_views.package_detail, name="package"),
    path("<int:pk>/cancel/", package_views.cancel_all, name="cancel_all"),
    path("<int:pk>/<int:invite_pk>/cancel/", package_views.cancel, name="cancel"),
]
public_patterns = [
    path("", package_public_views.open_invite, name="open"),
    path("accept/", package_public_views.accept, name="accept"),
    path("decline/", package_public_views.reject, name="reject"),
]
