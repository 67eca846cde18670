"""A person's data exports, erasure records with their certificates, and how long things are kept."""

from django.conf import settings
from django.db import models

from accounts.tenancy import TenantModel, tenant_upload_path
from customers.models import Customer


class PrivacySettings(TenantModel):
    """How long the organization keeps what it no longer needs (Settings → Privacy); beat applies it daily."""

    archived_erase_months = models.PositiveSmallIntegerField(
        "erase archived customers after (months)",
        null=True,
        blank=True,
        help_text="Customers archived this long are erased, as from their profile. Empty: never.",
    )
    import_file_days = models.PositiveSmallIntegerField(
        "keep import files (days)",
        default=90,
        help_text="Uploaded files of finished imports; the reports stay.",
    )
    export_days = models.PositiveSmallIntegerField(
        "keep personal data exports (days)",
        default=7,
        help_text="Then the file is deleted and its link dies.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="privacy_settings_one_per_org"),
            models.CheckConstraint(
                condition=models.Q(export_days__gte=1), name="privacy_export_days_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(import_file_days__gte=1), name="privacy_import_file_days_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(archived_erase_months__gte=1), name="privacy_archived_months_positive"
            ),
        ]

    def __str__(self):
        return f"Privacy settings of {self.organization_id}"


class PersonExport(TenantModel):
    """Everything about one person as a ZIP, built by a worker part by part (the page shows the progress)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        EXPIRED = "expired", "Deleted"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    include_notes = models.BooleanField(default=False)
    by_customer = models.BooleanField(default=False, help_text="Asked for by the customer in the portal.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    parts_done = models.PositiveSmallIntegerField(default=0)
    parts_total = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=tenant_upload_path, max_length=300, blank=True)
    token_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the emailed link's token.")
    downloaded_at = models.DateTimeField(null=True, blank=True, help_text="The emailed link works once.")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "customer", "-created_at"], name="export_customer_idx")
        ]

    def __str__(self):
        return f"Export {self.pk} of {self.customer_id}"

    @property
    def percent(self) -> int:
        return round(100 * self.parts_done / self.parts_total) if self.parts_total else 0


class ErasureRecord(TenantModel):
    """The proof of one erasure: no name, a reference, and the certificate's JSON exactly as hashed."""

    reference = models.CharField(max_length=20)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, related_name="+")
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    erased_by_label = models.CharField(max_length=250, blank=True)
    erased_at = models.DateTimeField()
    certificate = models.TextField(help_text="The certificate's JSON, byte for byte what the hash is of.")
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "reference"], name="erasure_reference_unique")
        ]

    def __str__(self):
        return self.reference


class PrivacyAudit(models.TextChoices):
    EXPORT_STARTED = "privacy.export_started", "Personal data export started"
    EXPORT_DOWNLOADED = "privacy.export_downloaded", "Personal data export downloaded"
    CUSTOMER_ERASED = "privacy.customer_erased", "Customer erased"
    SETTINGS_CHANGED = "privacy.settings_changed", "Privacy settings changed"
    RETENTION_RUN = "privacy.retention_run", "Retention applied"


class PrivacyEvent(models.TextChoices):
    EXPORTED = "exported", "Data exported"
    ERASED = "erased", "Erased"
