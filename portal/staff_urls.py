"""What staff do about customers' online accounts, mounted by config/urls.py: on a profile (namespace
profile_account) and in Settings → Account invites (namespace invite_settings)."""

from django.urls import path

from portal import staff_views

profile_patterns = [
    path("<int:pk>/invite/", staff_views.invite, name="invite"),
    path("<int:pk>/invite/revoke/", staff_views.invite_revoke, name="invite_revoke"),
    path("<int:pk>/portal/", staff_views.view_as, name="view_as"),
]
settings_patterns = [path("", staff_views.invite_settings, name="invites")]
