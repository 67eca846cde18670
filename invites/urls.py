"""What staff do about invitations, mounted by config/urls.py: on a profile (namespace profile_invites), in
Settings → Account invites (namespace invite_settings) and on a package's waitlist (waitlists); and the
waitlist pages customers open (waitlist)."""

from django.urls import path

from invites import claim_views, waitlist_public_views, waitlist_views

profile_patterns = [
    path("<int:pk>/invite/", claim_views.invite, name="invite"),
    path("<int:pk>/invite/revoke/", claim_views.invite_revoke, name="invite_revoke"),
]
settings_patterns = [path("", claim_views.invite_settings, name="invites")]

# Staff: a package's waitlist (namespace waitlists, under /app/<org>/waitlists/).
staff_waitlist_patterns = [
    path("<int:package_id>/", waitlist_views.waitlist, name="package"),
    path("<int:package_id>/hold-window/", waitlist_views.hold_window, name="hold_window"),
    *(
        path(
            f"<int:package_id>/entries/<int:waitlist_entry_pk>/{action.replace('_', '-')}/",
            waitlist_views.entry_change,
            {"action": action},
            name=action,
        )
        for action in waitlist_views.ENTRY_CHANGES
    ),
]
# Customers: joining, the offer's link and the portal's My waitlists (namespace waitlist, under /<org>/).
public_waitlist_patterns = [
    path("waitlist/join/<int:package_id>/", waitlist_public_views.join, name="join"),
    path("waitlist/offer/<str:token>/", waitlist_public_views.offer, name="offer"),
    path("waitlist/offer/<str:token>/accept/", waitlist_public_views.offer_accept, name="offer_accept"),
    path("waitlist/offer/<str:token>/decline/", waitlist_public_views.offer_decline, name="offer_decline"),
    path("account/waitlists/", waitlist_public_views.mine, name="mine"),
    path("account/waitlists/<int:waitlist_entry_pk>/leave/", waitlist_public_views.leave, name="leave"),
    path(
        "account/waitlists/<int:waitlist_entry_pk>/accept/", waitlist_public_views.entry_accept, name="accept"
    ),
    path(
        "account/waitlists/<int:waitlist_entry_pk>/decline/",
        waitlist_public_views.entry_decline,
        name="decline",
    ),
]
