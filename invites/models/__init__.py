"""Invitations: customers invited to claim the account staff made for them (claims) and to buy a package
(packages); one module per area, their names all here."""

from invites.models.claims import (
    AccountEvent,
    ClaimInvite,
    ClaimStatus,
    InviteAudit,
    InviteSettings,
)
from invites.models.packages import (
    PackageInvite,
    PackageInviteAudit,
    PackageInviteEvent,
    PackageInviteSettings,
    PackageInviteStatus,
)

__all__ = [
    "AccountEvent",
    "ClaimInvite",
    "ClaimStatus",
    "InviteAudit",
    "InviteSettings",
    "PackageInvite",
    "PackageInviteAudit",
    "PackageInviteEvent",
    "PackageInviteSettings",
    "PackageInviteStatus",
]
