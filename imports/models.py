from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.tenancy import TenantModel, tenant_upload_path
from customers.models import Customer


class ImportJob(TenantModel):
    """One file (or API request) of customers on its way into the roster: read → mapped → dry run → run."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        MAPPING = "mapping", "Needs mapping"
        VALIDATING = "validating", "Validating"
        READY = "ready", "Ready to run"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Mode(models.TextChoices):
        UPSERT = "upsert", "Add new customers and update existing ones"
        CREATE = "create", "Only add new customers"
        UPDATE = "update", "Only update existing customers"

    class MatchKey(models.TextChoices):
        EMAIL = "email", "Email"
        NUMBER = "number", "Customer number"
        PHONE = "phone", "Phone"

    class Origin(models.TextChoices):
        UPLOAD = "upload", "Upload"
        API = "api", "API"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.UPLOAD)
    file = models.FileField(upload_to=tenant_upload_path, max_length=300)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    file_format = models.CharField(max_length=10, blank=True, help_text="csv or xlsx, read from the content.")
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    headers = models.JSONField(default=list)
    samples = models.JSONField(default=list, help_text="The first rows, shown beside the mapping.")
    mapping = models.JSONField(default=list, help_text="A target per column: a field name, tags, note or ''.")
    date_format = models.CharField(max_length=20, default="auto")
    match_key = models.CharField(max_length=10, choices=MatchKey.choices, default=MatchKey.EMAIL)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.UPSERT)
    skip_errors = models.BooleanField(
        "skip rows with errors", default=True, help_text="Otherwise nothing runs while any error remains."
    )
    tag_ids = models.JSONField(default=list, help_text="Tags given to everyone in the import.")
    template = models.ForeignKey(
        "ImportTemplate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The saved mapping the columns were matched with.",
    )
    auto_run = models.BooleanField(
        default=False, help_text="Run as soon as the dry run passes (API imports)."
    )
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    validated_rows = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    claimed_rows = models.PositiveIntegerField(
        default=0, help_text="Rows matching customers with their own login, whose blanks only are filled."
    )
    lookalike_rows = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text="Rows to add that the duplicate finder scores as existing customers.",
    )
    new_tags = models.JSONField(default=list, help_text="Tag names the import will create.")
    processed_rows = models.PositiveIntegerField(default=0, help_text="Rows of the file the run has done.")
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0, help_text="Rows the run found already up to date.")
    message = models.TextField(blank=True, help_text="Why it failed, or what the reader should know.")
    cancel_requested = models.BooleanField(default=False)
    crashes = models.PositiveSmallIntegerField(
        default=0,
        help_text="Workers that began the job at `crash_point` and died there (killed, out of memory).",
    )
    crash_point = models.CharField(max_length=60, blank=True, help_text="Status and progress they began at.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    api_key_name = models.CharField(max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="import_job_idempotency_unique",
            ),
            # The target of the same-organization keys of its issues and records.
            models.UniqueConstraint(fields=["organization", "id"], name="import_job_organization_id_unique"),
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="import_job_recent_idx")]

    def __str__(self):
        return self.file_name

    @property
    def is_active(self) -> bool:
        """The worker has it (or will): pages poll for progress."""
        return self.status in (self.Status.QUEUED, self.Status.VALIDATING, self.Status.RUNNING)

    @property
    def can_delete(self) -> bool:
        """An upload that never ran and that no worker holds (waiting for its mapping or its start, failed or
        cancelled before it ran): nothing of it reached the roster."""
        return self.started_at is None and not self.is_active

    @property
    def can_undo(self) -> bool:
        """A finished import that added customers and updated none: archiving what it added undoes it."""
        return (
            self.status == self.Status.DONE
            and self.created > 0
            and self.updated == 0
            and self.undone_at is None
        )

    @property
    def percent(self) -> int:
        total = self.total_rows or 0
        done = self.processed_rows if self.status == self.Status.RUNNING else self.validated_rows
        return min(100, round(100 * done / total)) if total else 0

    @property
    def plan_summary(self) -> str:
        """What the dry run found, for the audit trail."""
        return (
            f"{self.to_create:,} to add, {self.to_update:,} to update, {self.error_rows:,} rows with errors"
        )

    @property
    def rows_per_second(self) -> int | None:
        if not (self.started_at and self.processed_rows):
            return None
        seconds = ((self.finished_at or timezone.now()) - self.started_at).total_seconds()
        return round(self.processed_rows / seconds) if seconds > 0 else None

    @property
    def duration(self) -> str:
        """How long the run took, as people say it: "2 min 5 s"."""
        if not (self.started_at and self.finished_at):
            return ""
        minutes, seconds = divmod(round((self.finished_at - self.started_at).total_seconds()), 60)
        return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


class ImportIssue(TenantModel):
    """A problem with one row (and column) of an import's file; the row is skipped."""

    # Enforced by a composite (organization, job) foreign key added in a migration: checked once a row.
    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="issues", db_index=False, db_constraint=False
    )
    row = models.PositiveIntegerField(help_text="As a spreadsheet numbers it: the header is row 1.")
    column = models.CharField(max_length=255, blank=True)
    message = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["organization", "job", "row"], name="import_issue_row_idx")]

    def __str__(self):
        return f"Row {self.row}: {self.message}"


class ImportRecord(TenantModel):
    """A customer an import created or updated: the roster's "imported by this job" filter and the undo."""

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # Kept inside the organization by a composite foreign key added in the migration.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    # No plain key (the composite key to the customer proves the organization) nor an index of its own
    # (import_record_unique leads with it): an import writes one record a customer.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, editable=False, db_index=False, db_constraint=False
    )
    created = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "job", "customer"], name="import_record_unique")
        ]
        indexes = [models.Index(fields=["customer"], name="import_record_customer_idx")]

    def __str__(self):
        return f"{self.job_id}: {self.customer_id}"


class ImportTemplate(TenantModel):
    """A saved mapping, suggested for the next file whose columns look the same."""

    name = models.CharField(max_length=80)
    columns = models.JSONField(default=dict, help_text="{normalized header: target}")
    date_format = models.CharField(max_length=20, default="auto")
    match_key = models.CharField(max_length=10, choices=ImportJob.MatchKey.choices, default="email")
    mode = models.CharField(max_length=10, choices=ImportJob.Mode.choices, default="upsert")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="import_template_name_unique"),
            models.UniqueConstraint(
                fields=["organization", "id"], name="import_template_organization_id_unique"
            ),
        ]

    def __str__(self):
        return self.name


class ImportAudit(models.TextChoices):
    """What the organization's audit trail records of imports."""

    IMPORT_STARTED = "import.started", "Import started"
    IMPORT_CANCELLED = "import.cancelled", "Import cancelled"
    IMPORT_UNDONE = "import.undone", "Import undone"
    IMPORT_DELETED = "import.deleted", "Upload deleted"
