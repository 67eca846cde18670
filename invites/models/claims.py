"""Invitations for customers to claim the roster entry staff made for them, and how an organization words
and times them. The tables keep the names the portal app gave them (they moved here with their rows)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantModel
from customers.models import Customer


class AccountEvent(models.TextChoices):
    """The Activity Log's kinds of event about online accounts."""

    INVITE = "invite", "Account invite"
    CLAIMED = "claimed", "Claimed their account"
    PORTAL_VIEWED = "portal_viewed", "Portal viewed by staff"


class ClaimStatus(models.TextChoices):
    NOT_INVITED = "not_invited", "Not invited"
    SENDING = "sending", "Sending"
    INVITED = "invited", "Invited"
    REMINDED = "reminded", "Reminded"
    EXPIRED = "expired", "Expired"
    CLAIMED = "claimed", "Claimed"
    REVOKED = "revoked", "Revoked"
    FAILED = "failed", "Bounced / failed"


class ClaimInvite(TenantModel):
    """The invitation of one customer (one row each; resending replaces its link). Only the token's hash
    is kept; a token is tied to this customer and the address it was sent to."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="claim_invite")
    email = models.EmailField(help_text="Where the current link was sent.")
    token_hash = models.CharField(max_length=64, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "portal_claiminvite"  # moved from the portal app with its data
        indexes = [models.Index(fields=["organization", "token_hash"], name="claim_invite_token_idx")]

    def __str__(self):
        return f"{self.email} ({self.status})"

    @property
    def status(self) -> str:
        if self.claimed_at:
            return ClaimStatus.CLAIMED
        if self.revoked_at:
            return ClaimStatus.REVOKED
        if self.failed_at:
            return ClaimStatus.FAILED
        if self.expires_at <= timezone.now():
            return ClaimStatus.EXPIRED
        if self.reminders_sent:
            return ClaimStatus.REMINDED
        return ClaimStatus.INVITED if self.sent_at else ClaimStatus.SENDING

    @property
    def is_open(self) -> bool:
        return self.status in (ClaimStatus.SENDING, ClaimStatus.INVITED, ClaimStatus.REMINDED)


class InviteSettings(TenantModel):
    """The organization's invitation email and timing. Placeholders: {{ first_name }}, {{ organization }},
    {{ link }}, {{ expires }}."""

    subject = models.CharField(max_length=200, default="Your account with {{ organization }}")
    body = models.TextField(
        default=(
            "Hello {{ first_name }},\n\n"
            "{{ organization }} has set up an account for you. Claim it to book, buy and manage your family "
            "online:\n\n{{ link }}\n\nThe link works once, until {{ expires }}.\n\n"
            "See you soon!\n{{ organization }}"
        )
    )
    expiry_hours = models.PositiveSmallIntegerField(
        "link valid for (hours)", default=72, help_text="From 1 hour to 14 days (336 hours)."
    )
    remind_after_days = models.PositiveSmallIntegerField("remind after (days)", default=3)
    max_reminders = models.PositiveSmallIntegerField("reminders", default=2, help_text="0, 1 or 2.")

    class Meta:
        db_table = "portal_invitesettings"  # moved from the portal app with its data
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="invite_settings_one_per_org"),
            models.CheckConstraint(
                condition=models.Q(expiry_hours__gte=1, expiry_hours__lte=336),
                name="invite_settings_expiry_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_reminders__lte=2), name="invite_settings_reminders_max"
            ),
        ]

    def __str__(self):
        return f"Invite settings of {self.organization_id}"


class InviteAudit(models.TextChoices):
    """What the organization's audit trail records of the account invitation settings."""

    INVITE_SETTINGS_CHANGED = "invite_settings.changed", "Account invite settings changed"
