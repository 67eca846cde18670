"""Customer account invitations and claims: one function per use case, each recorded in the Activity Log."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import User
from accounts.selectors import new_token
from customers.models import Customer
from customers.services import activity_record
from invites.models import AccountEvent, ClaimInvite, InviteAudit, InviteSettings
from invites.selectors import invite_settings

RESEND_COOLDOWN = timedelta(minutes=10)  # per customer: a resend button is not a mail cannon


class InviteError(Exception):
    """An invitation that cannot be sent now; the message says why."""


@transaction.atomic
def invite_settings_save(*, settings: InviteSettings, by: User) -> InviteSettings:
    """Save the invitation email's wording and timing (Settings → Account invites)."""
    fields = ["subject", "body", "expiry_hours", "remind_after_days", "max_reminders"]
    defaults = None if settings.pk else InviteSettings()  # a first save departs from the defaults
    changes = changes_of(settings, fields, before=defaults)
    settings.save()
    if changes:
        audit_record(
            action=InviteAudit.INVITE_SETTINGS_CHANGED, by=by, target="Invitation email", changes=changes
        )
    return settings


def _eligibility(customer: Customer) -> str | None:
    if customer.user_id:
        return "already has their own login"
    if not customer.email:
        return "has no email address"
    if customer.archived_at:
        return "is archived"
    return None


@transaction.atomic
def invite_send(*, customer: Customer, by) -> ClaimInvite:
    """Invite a customer to claim their account, or send them a fresh link. The email goes out from a
    worker once this commits; earlier links stop working."""
    from invites.tasks import claim_invite_send

    if reason := _eligibility(customer):
        raise InviteError(f"{customer.full_name} {reason}.")
    now = timezone.now()
    invite = ClaimInvite.objects.select_for_update().filter(customer=customer).first()
    if invite and invite.is_open and invite.sent_at and now - invite.sent_at < RESEND_COOLDOWN:
        minutes = int((RESEND_COOLDOWN - (now - invite.sent_at)).total_seconds() // 60) + 1
        raise InviteError(f"An invitation went out moments ago: you can resend in {minutes} min.")
    resend = invite is not None
    invite = invite or ClaimInvite(customer=customer)
    invite.email, invite.invited_by, invite.token_hash = customer.email, by, ""
    invite.expires_at = now + timedelta(hours=invite_settings().expiry_hours)
    invite.sent_at = invite.reminded_at = invite.revoked_at = invite.failed_at = None
    invite.reminders_sent, invite.failure = 0, ""
    invite.save()
    detail = f"{'Invitation resent' if resend else 'Invited to claim their account'} ({customer.email})"
    activity_record(customer=customer, by=by, kind=AccountEvent.INVITE, detail=detail)
    claim_invite_send.delay_on_commit(org_id=customer.organization_id, invite_id=invite.pk)
    return invite


def invites_send(*, customer_ids: list[int], by) -> tuple[int, dict[str, int]]:
    """Invite many; returns (sent, {reason skipped: count}). Each invitation commits on its own."""
    sent, skipped = 0, {}
    for customer in Customer.objects.filter(pk__in=customer_ids).order_by("pk"):
        reason = _eligibility(customer)
        if reason is None:
            try:
                invite_send(customer=customer, by=by)
                sent += 1
                continue
            except InviteError:
                reason = "was invited minutes ago"
        skipped[reason] = skipped.get(reason, 0) + 1
    return sent, skipped


@transaction.atomic
def invite_revoke(*, invite: ClaimInvite, by) -> None:
    if invite.is_open:
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at"])
        activity_record(
            customer=invite.customer, by=by, kind=AccountEvent.INVITE, detail="Invitation revoked"
        )


@transaction.atomic
def invite_issue_token(*, invite: ClaimInvite, reminder: bool) -> str:
    """A fresh token for the email about to go out (in the worker); only its hash is kept. A reminder's link
    is valid for the settings' lifetime again, so the link in every email works as long as the first did."""
    token, invite.token_hash = new_token()
    now = timezone.now()
    if reminder:
        invite.reminded_at, invite.reminders_sent = now, invite.reminders_sent + 1
        invite.expires_at = now + timedelta(hours=invite_settings().expiry_hours)
    else:
        invite.sent_at = now
    invite.save(update_fields=["token_hash", "sent_at", "reminded_at", "reminders_sent", "expires_at"])
    return token


@transaction.atomic
def invite_failed(*, invite: ClaimInvite, error: str) -> None:
    invite.failed_at, invite.failure = timezone.now(), error[:300]
    invite.save(update_fields=["failed_at", "failure"])
    detail = f"Invitation could not be delivered to {invite.email}: {invite.failure}"
    activity_record(customer=invite.customer, by=None, kind=AccountEvent.INVITE, detail=detail)


@transaction.atomic
def invite_claim(*, invite_id: int, user: User) -> Customer:
    """Link the customer to `user`, once: of two claims at the same moment exactly one wins."""
    invite = ClaimInvite.objects.select_for_update().select_related("customer").get(pk=invite_id)
    customer = invite.customer
    if not invite.is_open or customer.user_id:
        raise InviteError("This link has already been used.")
    if user.email.lower() != invite.email.lower():
        raise InviteError("This invitation was sent to another email address.")
    invite.claimed_at = timezone.now()
    invite.save(update_fields=["claimed_at"])
    Customer.objects.filter(pk=customer.pk).update(user=user)
    customer.user = user
    activity_record(
        customer=customer, by=user, kind=AccountEvent.CLAIMED, detail=f"Signed in as {user.email}"
    )
    return customer


@transaction.atomic
def invite_claim_with_new_login(*, invite_id: int, password: str) -> Customer:
    """The invited address has no login yet: create it with this password, and claim. The link came to that
    address, so the login's address is confirmed."""
    invite = ClaimInvite.objects.select_for_update().select_related("customer").get(pk=invite_id)
    if not invite.is_open:
        raise InviteError("This link has already been used.")
    customer = invite.customer
    user = User.objects.create_user(
        invite.email,
        password,
        first_name=customer.first_name,
        last_name=customer.last_name,
        email_verified_at=timezone.now(),
    )
    return invite_claim(invite_id=invite_id, user=user)
