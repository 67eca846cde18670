"""Webhooks out: the URLs an organization registers for the roster's events, and every delivery to them."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from accounts.tenancy import TenantModel
from customers import events

RESPONSE_KEPT = 2048  # characters of a receiver's answer shown in the delivery log


class EventType(models.TextChoices):
    """The events an endpoint may ask for (a test sends `ping`, which no one subscribes to)."""

    CUSTOMER_CREATED = events.CUSTOMER_CREATED, "Customer created"
    CUSTOMER_UPDATED = events.CUSTOMER_UPDATED, "Customer updated"
    CUSTOMER_ARCHIVED = events.CUSTOMER_ARCHIVED, "Customer archived"
    CUSTOMER_RESTORED = events.CUSTOMER_RESTORED, "Customer restored"
    TAG_ADDED = events.TAG_ADDED, "Tag added to a customer"
    IMPORT_FINISHED = events.IMPORT_FINISHED, "Import finished"


PING = "ping"


class WebhookEndpoint(TenantModel):
    """A URL of the organization's that Roster posts the events it asked for to, signed with its secret."""

    url = models.URLField("URL", max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=40, choices=EventType.choices), default=list)
    secret = models.TextField(help_text="The signing secret, encrypted (billing.secrets): shown once.")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True, help_text="First failed try since a success.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="webhookendpoint_organization_id_unique"
            )
        ]

    def __str__(self):
        return self.url

    def event_labels(self) -> list[str]:
        return [EventType(event).label for event in self.events if event in EventType.values]


class WebhookDelivery(TenantModel):
    """One event for one endpoint: the body exactly as signed and sent, and what each try got back."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    tries = models.PositiveIntegerField(default=0)
    retries_left = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a pending delivery is tried next; the beat sweep sends what is due.",
    )
    attempts = models.JSONField(default=list, help_text="Each try: at, code, error, ms.")
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The start of the last answer.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_tried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "endpoint", "-created_at"], name="webhook_delivery_log_idx"),
            models.Index(fields=["organization", "created_at"], name="webhook_delivery_age_idx"),
            models.Index(
                fields=["organization", "next_try_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint_id}"


class WebhookAudit(models.TextChoices):
    """What the organization's audit trail records of webhook endpoints."""

    ENDPOINT_CREATED = "webhook.created", "Webhook endpoint added"
    ENDPOINT_CHANGED = "webhook.changed", "Webhook endpoint changed"
    ENDPOINT_DELETED = "webhook.deleted", "Webhook endpoint deleted"
    SECRET_ROTATED = "webhook.secret_rotated", "Webhook signing secret rotated"
    ENDPOINT_DISABLED = "webhook.disabled", "Webhook endpoint disabled after failing"
