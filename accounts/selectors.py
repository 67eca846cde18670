import hashlib
import secrets

from django.utils import timezone

from accounts.models import Membership, StaffInvitation
from accounts.tenancy import as_user


def memberships_for_user(user) -> list[Membership]:
    """Every organization the user is staff of, across tenants (row-level security lets a user read
    their own memberships)."""
    with as_user(user.pk):
        return list(
            Membership.objects.unscoped()
            .filter(user=user)
            .select_related("organization")
            .order_by("organization__name")
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh link token (256 random bits) and its hash, which alone is kept."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def pending_invitation_for_token(token: str) -> StaffInvitation | None:
    """The current organization's pending invitation for this token, or None (used, expired, revoked)."""
    return (
        StaffInvitation.objects.filter(
            token_hash=token_hash(token), accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
        )
        .select_related("organization")
        .first()
    )
