"""Invitations' pages, mounted by config/urls.py: on a profile (namespace profile_invites), Settings →
Account invites (invite_settings) and → Package invites (package_invite_settings), the Invites pages
(package_invites), a package's waitlist (waitlists); the customer's invitation page under
/<org>/invite/<token>/ (package_invite) and the waitlist pages customers open (waitlist)."""

from django.urls import path

from invites import claim_views, package_public_views, package_views, waitlist_public_views, waitlist_views

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
    path("waitlist/", package_public_views.waitlist, name="waitlist"),
]

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
