from django.conf import settings
from django.db import models

from accounts.tenancy import TenantModel
from customers.models import Customer

EXPIRING_DAYS = 30  # a valid signature this close to its end shows as "expiring"
REMINDER_DAYS = 14  # the reminder email goes out this long before a signature ends
SIGNATURE_MAX_BYTES = 200 * 1024
REQUEST_DAYS = 7  # an emailed signing link works this long


class WaiverEvent(models.TextChoices):
    """The Activity Log's kinds of event about waivers."""

    SIGNED = "waiver_signed", "Waiver signed"
    EXPIRED = "waiver_expired", "Waiver expired"
    REQUESTED = "waiver_requested", "Waiver link emailed"


class WaiverAudit(models.TextChoices):
    """What the organization's audit trail records of waiver templates."""

    CREATED = "waiver.created", "Waiver added"
    CHANGED = "waiver.changed", "Waiver changed"
    VERSION = "waiver.version", "Waiver text changed (new version)"
    ARCHIVED = "waiver.archived", "Waiver archived"
    RESTORED = "waiver.restored", "Waiver restored"


class Channel(models.TextChoices):
    ONLINE = "online", "Online"
    DESK = "desk", "Front desk"
    EMAIL = "email", "Email link"


class Status(models.TextChoices):
    VALID = "valid", "Valid"
    EXPIRING = "expiring", "Expiring"
    EXPIRED = "expired", "Expired"
    MISSING = "missing", "Missing"


class WaiverTemplate(TenantModel):
    """A waiver the business asks customers to sign. Its text lives in versions; `accepted_from` is the lowest
    version number whose signatures still count (raised when a new version requires re-signing)."""

    name = models.CharField(max_length=120)
    validity_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long a signature counts. Empty: it never expires."
    )
    guardian_signs_for_minors = models.BooleanField(
        "A guardian signs for children under 18",
        default=True,
        help_text="Children's waivers are signed by a guardian who may book for them.",
    )
    current_version = models.ForeignKey(
        "WaiverVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_from = models.PositiveIntegerField(default=1)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="waivertemplate_organization_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(validity_months__gte=1, validity_months__lte=120)
                | models.Q(validity_months=None),
                name="waivertemplate_validity_range",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def validity_display(self) -> str:
        if self.validity_months is None:
            return "Never expires"
        months = self.validity_months
        return f"{months} month{'s' if months != 1 else ''}"


class WaiverVersion(TenantModel):
    """The exact text of one version of a template, as signed; never edited."""

    template = models.ForeignKey(WaiverTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    resign_required = models.BooleanField(
        default=False, help_text="When made: signatures of earlier versions stopped counting."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="waiverversion_organization_id_unique"
            ),
            models.UniqueConstraint(fields=["template", "number"], name="waiverversion_number_unique"),
        ]

    def __str__(self):
        return f"{self.template_id} v{self.number}"


class WaiverSignature(TenantModel):
    """One person's signed copy of one version: immutable (a database trigger refuses changes but the
    bookkeeping of reminders and expiry, and a signer's link cleared when that guardian is deleted)."""

    version = models.ForeignKey(WaiverVersion, on_delete=models.CASCADE, related_name="signatures")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_name = models.CharField(max_length=300)
    signer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, related_name="+")
    signer_name = models.CharField(max_length=300)
    typed_name = models.CharField(max_length=200)
    signature_png = models.BinaryField()
    signed_at = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    expiry_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="waiversignature_organization_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="waiversignature_channel_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "customer", "version"], name="waiversignature_customer_idx"),
            models.Index(fields=["organization", "signer"], name="waiversignature_signer_idx"),
            models.Index(
                fields=["organization", "valid_until"],
                condition=models.Q(expiry_recorded_at=None, valid_until__isnull=False),
                name="waiversignature_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.customer_name} ({self.signed_at:%Y-%m-%d})"


class WaiverRequest(TenantModel):
    """An emailed link to sign a template: `signer` opens it (the token is the proof) and signs for
    `for_customer` (themselves, or a child they may book for). Single use; only the token's hash is kept."""

    template = models.ForeignKey(WaiverTemplate, on_delete=models.CASCADE, related_name="+")
    signer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    for_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, blank=True)
    reminder = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "token_hash"],
                condition=~models.Q(token_hash=""),
                name="waiverrequest_token_unique",
            ),
        ]

    def __str__(self):
        return self.email
