from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.functions import RandomUUID
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.emails import EmailAddressField
from accounts.tenancy import TenantModel

# Top-level paths an organization slug must not shadow (customer pages live at /<org-slug>/).
RESERVED_SLUGS = frozenset(
    {
        "app",
        "admin",
        "accounts",
        "static",
        "media",
        "api",
        "orgs",
        "healthz",
        "join",
        "www",
        "help",
        "signup",
        "stripe",
    }
)
CURRENCIES = [
    ("USD", "US dollar"),
    ("CAD", "Canadian dollar"),
    ("EUR", "Euro"),
    ("GBP", "Pound sterling"),
    ("AUD", "Australian dollar"),
    ("NZD", "New Zealand dollar"),
    ("CHF", "Swiss franc"),
    ("SEK", "Swedish krona"),
    ("NOK", "Norwegian krone"),
    ("DKK", "Danish krone"),
    ("MXN", "Mexican peso"),
]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        return self.get(email=username.lower())

    def create_superuser(self, email, password=None, **fields):
        fields.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """The global login: one person, possibly staff or customer of several organizations."""

    email = EmailAddressField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform staff: may use the platform admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its owner proved the address (a link we emailed); empty: no log-in.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        # Stored lowercased, so the unique index is case-insensitive.
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.email


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError("“%(slug)s” is reserved; choose another address.", params={"slug": value})


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError("Choose a time zone from the list.")


class Organization(models.Model):
    """A business using Roster: the tenant. A global table; everything it owns carries its id."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "Use lowercase letters, digits and single hyphens."
            ),
            validate_slug_not_reserved,
        ],
        help_text="Used in your web addresses, e.g. /app/bounce-party-center/.",
    )
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="USD")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"


class Membership(TenantModel):
    """A user's staff role in one organization."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_per_org"),
            # The target of composite keys from tenant tables that name a staff member (same_organization).
            models.UniqueConstraint(fields=["organization", "id"], name="membership_organization_id_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]
        indexes = [models.Index(fields=["organization", "role"], name="membership_org_role_idx")]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class StaffInvitation(TenantModel):
    """An email invitation to join an organization's staff. Only the token's hash is stored."""

    email = EmailAddressField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    token_hash = models.CharField(max_length=64, blank=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="staff_invitation_one_pending_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="staff_invitation_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["organization", "token_hash"], name="staff_invitation_token_idx")]

    def __str__(self):
        return f"{self.email} → {self.organization_id}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class AuditAction(models.TextChoices):
    """What the audit trail records of accounts: the organization's details and who is on its staff. Every app
    registers its own actions (accounts.audit.register_audit_actions)."""

    ORGANIZATION_CHANGED = "organization.changed", "Organization details changed"
    STAFF_INVITED = "staff.invited", "Staff invited"
    STAFF_INVITATION_REVOKED = "staff.invitation_revoked", "Staff invitation revoked"
    STAFF_JOINED = "staff.joined", "Staff joined"
    ROLE_CHANGED = "role.changed", "Staff role changed"
    STAFF_REMOVED = "staff.removed", "Staff removed"


class AuditEvent(TenantModel):
    """One change to the organization's setup or access, written by the service that made it, in the same
    transaction. Read by owners and admins at Settings → Audit log."""

    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_label = models.CharField(
        max_length=300, blank=True, help_text="Who did it, as they were named then; kept once they are gone."
    )
    action = models.CharField(max_length=40, help_text="A registered audit action, e.g. staff.invited.")
    target = models.CharField(max_length=200, blank=True, help_text="What it was done to: a field, tag, key…")
    detail = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{what: [before, after]}")

    class Meta:
        constraints = []
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="audit_event_newest_idx"),
            models.Index(fields=["organization", "action", "-created_at"], name="audit_event_action_idx"),
            models.Index(fields=["organization", "actor", "-created_at"], name="audit_event_actor_idx"),
        ]

    def __str__(self):
        return f"{self.action_label} {self.target}".strip()

    @property
    def action_label(self) -> str:
        from accounts.audit import audit_action_label  # the registry reads this module

        return audit_action_label(self.action)

    @property
    def change_rows(self) -> list[tuple[str, object, object]]:
        """(what, before, after) of each change recorded."""
        return [
            (what, *values) if isinstance(values, list) and len(values) == 2 else (what, None, values)
            for what, values in self.changes.items()
        ]


class QueuedTask(models.Model):
    """A task a transaction queued, kept in that transaction until the broker has it (`accounts.outbox`).
    A global table, as the broker's queue is: `kwargs` carries the task's `org_id`, and nothing shows it."""

    task = models.CharField(max_length=200)
    kwargs = models.JSONField()
    # The Celery task id, the same however many times the row is handed over, so the task runs once.
    task_id = models.UUIDField(db_default=RandomUUID())
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.task
