"""Invitations to buy a package: staff invite a customer (for themselves or a child) and the customer accepts,
paying in the store, or rejects, saying why. How the organization words and times them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.tenancy import TenantManager, TenantModel
from billing.models import Checkout, Package, Purchase
from customers.models import Customer


class PackageInviteStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    OPENED = "opened", "Opened"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class PackageInviteQuerySet(models.QuerySet):
    def pending(self):
        """Invitations still waiting for an answer: neither accepted, rejected, cancelled nor expired."""
        return self.filter(
            accepted_at=None, rejected_at=None, cancelled_at=None, expires_at__gt=timezone.now()
        )

    def with_status(self, status: str):
        """Those whose `status` property is `status`, as one SQL condition."""
        return self.filter(status_conditions()[status])


def status_conditions() -> dict[str, Q]:
    """{status: the SQL condition of invitations with that `status` property}, now."""
    now = timezone.now()
    ended = Q(accepted_at=None, rejected_at=None, cancelled_at=None)
    return {
        PackageInviteStatus.SENDING: ended & Q(expires_at__gt=now, opened_at=None, sent_at=None),
        PackageInviteStatus.SENT: ended & Q(expires_at__gt=now, opened_at=None) & ~Q(sent_at=None),
        PackageInviteStatus.OPENED: ended & Q(expires_at__gt=now) & ~Q(opened_at=None),
        PackageInviteStatus.ACCEPTED: ~Q(accepted_at=None),
        PackageInviteStatus.REJECTED: ~Q(rejected_at=None),
        PackageInviteStatus.EXPIRED: ended & Q(expires_at__lte=now),
        PackageInviteStatus.CANCELLED: ~Q(cancelled_at=None) & Q(accepted_at=None, rejected_at=None),
    }


class PackageInvite(TenantModel):
    """An invitation of `customer` to buy `package` for themselves or for `for_customer` (a child they may buy
    for). Its link carries a token of which only the hash is kept; a reminder sends a fresh one. It is
    accepted when the purchase is paid, never before."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="invites")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="package_invites")
    for_customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="Empty: self."
    )
    note = models.CharField("personal note", max_length=500, blank=True)
    email = models.EmailField(help_text="Where the link was sent.")
    token_hash = models.CharField(max_length=64, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    checkout = models.ForeignKey(Checkout, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    purchase = models.ForeignKey(Purchase, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rejected_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(max_length=500, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TenantManager.from_queryset(PackageInviteQuerySet)()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="package_invite_organization_id_unique"
            ),
            # One open invitation per person, package and beneficiary: never twins.
            models.UniqueConstraint(
                "organization",
                "package",
                "customer",
                Coalesce("for_customer", 0),
                condition=Q(accepted_at=None, rejected_at=None, cancelled_at=None),
                name="package_invite_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "token_hash"], name="package_invite_token_idx"),
            models.Index(fields=["organization", "package", "customer"], name="package_invite_package_idx"),
            models.Index(
                fields=["organization", "customer", "-created_at"], name="package_invite_customer_idx"
            ),
        ]

    def __str__(self):
        return f"{self.package_id} → {self.email} ({self.status})"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return PackageInviteStatus.ACCEPTED
        if self.rejected_at:
            return PackageInviteStatus.REJECTED
        if self.cancelled_at:
            return PackageInviteStatus.CANCELLED
        if self.expires_at <= timezone.now():
            return PackageInviteStatus.EXPIRED
        if self.opened_at:
            return PackageInviteStatus.OPENED
        return PackageInviteStatus.SENT if self.sent_at else PackageInviteStatus.SENDING

    @property
    def is_pending(self) -> bool:
        return self.status in (
            PackageInviteStatus.SENDING,
            PackageInviteStatus.SENT,
            PackageInviteStatus.OPENED,
        )

    @property
    def beneficiary(self) -> Customer:
        return self.for_customer or self.customer


class PackageInviteSettings(TenantModel):
    """The organization's package invitation email and timing. Placeholders: {{ first_name }},
    {{ organization }}, {{ package }}, {{ price }}, {{ for_whom }}, {{ note }}, {{ link }}, {{ expires }}."""

    subject = models.CharField(max_length=200, default="{{ organization }} invites you: {{ package }}")
    body = models.TextField(
        default=(
            "Hello {{ first_name }},\n\n"
            "{{ organization }} invites you to {{ package }} ({{ price }}) for {{ for_whom }}.\n\n"
            "{{ note }}\n\n"
            "Accept or decline here:\n\n{{ link }}\n\nThe invitation is open until {{ expires }}.\n\n"
            "See you soon!\n{{ organization }}"
        )
    )
    expiry_days = models.PositiveSmallIntegerField(
        "open for (days)",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="From 1 to 90 days.",
    )
    remind_after_days = models.PositiveSmallIntegerField(
        "remind after (days)", default=3, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    max_reminders = models.PositiveSmallIntegerField(
        "reminders", default=2, validators=[MaxValueValidator(5)], help_text="From 0 to 5."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="package_invite_settings_one_per_org"),
            models.CheckConstraint(
                condition=Q(expiry_days__gte=1, expiry_days__lte=90), name="package_invite_settings_expiry"
            ),
            models.CheckConstraint(
                condition=Q(max_reminders__lte=5), name="package_invite_settings_reminders"
            ),
        ]

    def __str__(self):
        return f"Package invite settings of {self.organization_id}"


class PackageInviteEvent(models.TextChoices):
    """The Activity Log's kinds of event about package invitations."""

    INVITED = "package_invite", "Package invite"
    ANSWERED = "invite_answered", "Package invite answered"


class PackageInviteAudit(models.TextChoices):
    """What the organization's audit trail records of package invitations."""

    SENT = "package_invites.sent", "Package invitations sent"
    CANCELLED = "package_invites.cancelled", "Package invitations cancelled"
    SETTINGS_CHANGED = "package_invite_settings.changed", "Package invite settings changed"
