"""Reads of account invitations: the claim status of one customer or a page, the organization's wording, the
invitation a claim link belongs to."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.selectors import token_hash
from invites.models import ClaimInvite, ClaimStatus, InviteSettings


def claim_status(customer, invite: ClaimInvite | None) -> ClaimStatus:
    if customer.user_id:
        return ClaimStatus.CLAIMED  # claimed, or signed up online themselves
    return ClaimStatus(invite.status) if invite else ClaimStatus.NOT_INVITED


def with_claim_status(customers: list) -> list:
    """Set `customer.claim_status` on a page of customers, in one query."""
    invites = {invite.customer_id: invite for invite in ClaimInvite.objects.filter(customer__in=customers)}
    for customer in customers:
        customer.claim_status = claim_status(customer, invites.get(customer.pk))
    return customers


def invite_settings() -> InviteSettings:
    """The organization's invitation wording and timing: saved ones, else the defaults (unsaved)."""
    return InviteSettings.objects.first() or InviteSettings()


def invites_to_remind(wording: InviteSettings) -> QuerySet[ClaimInvite]:
    """Invitations unclaimed N days after their last email, with reminders left. Each reminder brings a fresh
    link, so one that has just run out is reminded too; one whose last email went out more than 2N days ago
    (beat was away, or it predates reminders renewing links) stays expired rather than come back to life."""
    now, wait = timezone.now(), timedelta(days=wording.remind_after_days)
    return (
        ClaimInvite.objects.filter(
            claimed_at=None, revoked_at=None, failed_at=None, reminders_sent__lt=wording.max_reminders
        )
        .annotate(last_sent=Coalesce("reminded_at", "sent_at"))
        .filter(Q(expires_at__gt=now) | Q(last_sent__gt=now - 2 * wait), last_sent__lte=now - wait)
    )


def open_invite_for_token(token: str) -> ClaimInvite | None:
    """The open invitation this token belongs to (in the current organization), or None. Unknown, used,
    expired and revoked tokens all take the same path: one indexed lookup."""
    invite = ClaimInvite.objects.select_related("customer").filter(token_hash=token_hash(token or "")).first()
    if invite is None or not invite.is_open or invite.email.lower() != invite.customer.email.lower():
        return None
    return invite
