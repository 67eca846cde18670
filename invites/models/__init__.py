"""Invitations: customers invited to claim the account staff made for them (claims) and to buy a package
(packages), and the waitlists of packages; one module per area, their names all here."""

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
    status_conditions,
)
from invites.models.waitlists import (
    HOLD_HOURS_DEFAULT,
    HOLD_HOURS_MAX,
    LIVE_STATUSES,
    EntryStatus,
    Waitlist,
    WaitlistAudit,
    WaitlistChange,
    WaitlistEntry,
    WaitlistEvent,
    WaitlistEventKind,
    WaitlistOffer,
)

__all__ = [
    "HOLD_HOURS_DEFAULT",
    "HOLD_HOURS_MAX",
    "LIVE_STATUSES",
    "AccountEvent",
    "ClaimInvite",
    "ClaimStatus",
    "EntryStatus",
    "InviteAudit",
    "InviteSettings",
    "PackageInvite",
    "PackageInviteAudit",
    "PackageInviteEvent",
    "PackageInviteSettings",
    "PackageInviteStatus",
    "Waitlist",
    "WaitlistAudit",
    "WaitlistChange",
    "WaitlistEntry",
    "WaitlistEvent",
    "WaitlistEventKind",
    "WaitlistOffer",
    "status_conditions",
]
