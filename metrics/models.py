"""What a business measures about its customers (visits, spend, skill level, attendance) and the history of
each customer's values. Values are never overwritten: a correction is a new entry that supersedes the old one.

Values are float8, not numeric: row-level security lets only leakproof operators into index conditions, and
float8's comparisons are leakproof while numeric's are not, so the roster's value filters stay index ranges.
A value is entered with at most its metric's decimals and shown rounded to them, so float error never shows.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import CURRENCIES
from accounts.tenancy import TenantModel
from customers.models import Customer

MAX_DECIMALS = 6


class MetricEvent(models.TextChoices):
    """The Activity Log's kinds of event about metrics."""

    METRIC = "metric", "Metric"


class MetricKind(models.TextChoices):
    NUMBER = "number", "Number"
    COUNTER = "counter", "Counter (whole numbers from 0)"
    MONEY = "money", "Money"
    PERCENTAGE = "percentage", "Percentage (0–100)"


def local_today():
    """Today in the organization's time zone (the tenant middleware activates it for each request)."""
    return timezone.localdate()


class Metric(TenantModel):
    name = models.CharField(max_length=100)
    unit = models.CharField(
        max_length=20, blank=True, help_text="Shown after numbers, e.g. kg, visits, laps."
    )
    kind = models.CharField(max_length=20, choices=MetricKind.choices, default=MetricKind.NUMBER)
    currency = models.CharField(max_length=3, choices=CURRENCIES, blank=True)
    decimals = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_DECIMALS)], help_text="Digits after the decimal point."
    )
    higher_is_better = models.BooleanField("higher is better", default=True)
    position = models.PositiveIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="metric_name_unique"),
            models.CheckConstraint(condition=models.Q(kind__in=MetricKind.values), name="metric_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(decimals__gte=0, decimals__lte=MAX_DECIMALS), name="metric_decimals_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=MetricKind.MONEY) | models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="metric_money_has_currency",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=MetricKind.COUNTER) | models.Q(decimals=0),
                name="metric_counter_whole",
            ),
            # The target of the composite foreign key that keeps entries inside the metric's organization.
            models.UniqueConstraint(fields=["organization", "id"], name="metric_organization_id_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def places(self) -> int:
        return 0 if self.kind == MetricKind.COUNTER else self.decimals

    @property
    def kind_display(self) -> str:
        if self.kind == MetricKind.MONEY:
            return f"Money ({self.currency})"
        return {MetricKind.COUNTER: "Counter", MetricKind.PERCENTAGE: "Percentage"}.get(self.kind, "Number")

    def format(self, value: float | None) -> str:
        from metrics.formatting import format_value

        return format_value(self, value)


class MetricEntry(TenantModel):
    """One recorded value of a metric for a customer. `is_current` marks the customer's current value: the
    latest entry no correction supersedes, by (recorded_on, created_at, id); the services keep it so."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="metric_entries", db_index=False
    )
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="entries", db_index=False)
    value = models.FloatField()
    recorded_on = models.DateField(default=local_today)
    comment = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    supersedes = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="corrections", db_index=False
    )
    is_current = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # Also the roster's "has a value of this metric" filter: (organization, metric) first.
            models.UniqueConstraint(
                fields=["organization", "metric", "customer"],
                condition=models.Q(is_current=True),
                name="metric_entry_one_current",
            ),
            models.UniqueConstraint(
                fields=["organization", "supersedes"], name="metric_entry_corrected_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(supersedes=models.F("id")), name="metric_entry_not_self_correcting"
            ),
            # Finite numbers only (NaN sorts above infinity in PostgreSQL, so this refuses it too).
            models.CheckConstraint(
                condition=models.Q(value__gt=float("-inf"), value__lt=float("inf")),
                name="metric_entry_finite",
            ),
            # The target of the composite foreign key that keeps a correction in its own series.
            models.UniqueConstraint(
                fields=["organization", "customer", "metric", "id"], name="metric_entry_series_id_unique"
            ),
        ]
        indexes = [
            # The roster's filters: index ranges over current values and over when they were recorded.
            models.Index(
                fields=["organization", "metric", "value", "customer"],
                condition=models.Q(is_current=True),
                name="metric_entry_value_idx",
            ),
            models.Index(
                fields=["organization", "metric", "recorded_on", "customer"],
                condition=models.Q(is_current=True),
                name="metric_entry_recent_idx",
            ),
            models.Index(
                fields=["organization", "customer", "metric", "recorded_on"], name="metric_entry_profile_idx"
            ),
            models.Index(fields=["organization", "metric", "recorded_on"], name="metric_entry_trend_idx"),
        ]

    def __str__(self):
        return f"{self.metric_id}={self.value} for {self.customer_id} on {self.recorded_on}"


class MetricAudit(models.TextChoices):
    """What the organization's audit trail records of metric definitions."""

    METRIC_CREATED = "metric.created", "Metric added"
    METRIC_CHANGED = "metric.changed", "Metric changed"
    METRIC_ARCHIVED = "metric.archived", "Metric archived"
    METRIC_RESTORED = "metric.restored", "Metric restored"
