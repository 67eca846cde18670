"""Invitations: customers invited to claim the account staff made for them (claims); one module per area,
their names all here."""

from invites.models.claims import (
    AccountEvent,
    ClaimInvite,
    ClaimStatus,
    InviteAudit,
    InviteSettings,
)

__all__ = [
    "AccountEvent",
    "ClaimInvite",
    "ClaimStatus",
    "InviteAudit",
    "InviteSettings",
]
