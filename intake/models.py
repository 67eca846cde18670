"""Intake forms (public forms asking for chosen customer fields) and answers waiting for staff review."""

from django.conf import settings
from django.db import models

from accounts.tenancy import TenantModel
from customers.models import Customer


class IntakeEvent(models.TextChoices):
    """The Activity Log's kinds of event about intake forms."""

    FORM = "form", "Sent a form"


class IntakeForm(TenantModel):
    """A public form, `/<org>/forms/<slug>/`, that asks visitors for a chosen set of customer fields."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, help_text="The end of the form's link.")
    intro = models.TextField(blank=True, help_text="Shown above the form.")
    fields = models.JSONField(default=list, help_text='[{"name": "email", "required": true}, …] in order.')
    is_open = models.BooleanField("accepting submissions", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "customers_intakeform"  # moved from the customers app with its data
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="intake_form_slug_unique"),
            models.UniqueConstraint(fields=["organization", "id"], name="intake_form_organization_id_unique"),
        ]

    def __str__(self):
        return self.title


class PendingChange(TenantModel):
    """An intake form answer that differs from what is on file: an anonymous post never overwrites a
    customer, so it waits here until staff accept or reject it from the profile."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pending_changes")
    intake = models.ForeignKey(IntakeForm, on_delete=models.SET_NULL, null=True, related_name="+")
    form_title = models.CharField(max_length=120, help_text="The form's title when it was sent.")
    field = models.CharField(max_length=100, help_text="Its registry name: phone, cf_7…")
    before = models.JSONField(null=True, help_text="What was on file when the answer came.")
    proposed = models.JSONField(help_text="The answer, in the form of jsonable().")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "customers_pendingchange"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "rejected"]),
                name="pending_change_status_valid",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "customer", "status"], name="pending_change_customer_idx")
        ]

    def __str__(self):
        return f"{self.field}: {self.proposed} ({self.status})"


class IntakeAudit(models.TextChoices):
    """What the organization's audit trail records of intake forms."""

    INTAKE_FORM_CREATED = "intake_form.created", "Intake form added"
    INTAKE_FORM_CHANGED = "intake_form.changed", "Intake form changed"
