from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from accounts.tenancy import TenantModel


class Scope(models.TextChoices):
    """What a key may do, per resource: "<resource>:write" includes reading it."""

    CUSTOMERS_READ = "customers:read", "Customers: read"
    CUSTOMERS_WRITE = "customers:write", "Customers: create, update, archive"
    FIELDS_READ = "fields:read", "Custom fields: read definitions and values"
    FIELDS_WRITE = "fields:write", "Custom fields: set values"
    TAGS_READ = "tags:read", "Tags: read"
    TAGS_WRITE = "tags:write", "Tags: add to and remove from customers"
    NOTES_READ = "notes:read", "Notes: read"
    NOTES_WRITE = "notes:write", "Notes: add"
    METRICS_READ = "metrics:read", "Metrics: read definitions and history"
    METRICS_WRITE = "metrics:write", "Metrics: record values"
    FAMILIES_READ = "families:read", "Families: read guardian links"
    FAMILIES_WRITE = "families:write", "Families: link guardians"
    SEGMENTS_READ = "segments:read", "Segments: read and list members"
    ACTIVITY_READ = "activity:read", "Activity: read"
    PAYMENTS_READ = "payments:read", "Payments and subscriptions: read"
    BOOKINGS_READ = "bookings:read", "Bookings: read"
    IMPORTS = "imports:write", "Imports: send customers, read import jobs"

    @classmethod
    def resource_label(cls, resource: str) -> str:
        """ "Custom fields" for "fields": the part of its scopes' labels before the colon."""
        value = f"{resource}:write" if f"{resource}:write" in cls.values else f"{resource}:read"
        return str(cls(value).label).split(":")[0]


class ApiKey(TenantModel):
    """An organization's key to the JSON API. Only a hash is kept: the key is shown once, when made."""

    name = models.CharField(max_length=100, help_text="What uses it, e.g. “Website sign-ups”.")
    prefix = models.CharField(max_length=16, help_text="The start of the key, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key, hex.")
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_labels(self) -> list[str]:
        return [Scope(scope).label for scope in self.scopes if scope in Scope.values]

    def may(self, resource: str, *, write: bool = False) -> bool:
        return f"{resource}:write" in self.scopes or (not write and f"{resource}:read" in self.scopes)


class ApiKeyAudit(models.TextChoices):
    """What the organization's audit trail records of API keys."""

    API_KEY_CREATED = "api_key.created", "API key created"
    API_KEY_REVOKED = "api_key.revoked", "API key revoked"
