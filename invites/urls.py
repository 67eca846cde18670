"""What staff do about invitations, mounted by config/urls.py: on a profile (namespace profile_invites) and in
Settings → Account invites (namespace invite_settings)."""

from django.urls import path

from invites import claim_views

profile_patterns = [
    path("<int:pk>/invite/", claim_views.invite, name="invite"),
    path("<int:pk>/invite/revoke/", claim_views.invite_revoke, name="invite_revoke"),
]
settings_patterns = [path("", claim_views.invite_settings, name="invites")]
