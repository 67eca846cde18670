"""A merge of two customers: what the merged-away entry and the kept one were, and what each app moved, so
it can be undone (customers.merge)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantModel
from customers.models.roster import Customer

UNDO_DAYS = 30


class Merge(TenantModel):
    """`merged` became a tombstone pointing at `survivor`. `before` holds both customers' rows and custom
    values as they were; `records` each MergeHandler's undo record ({handler key: record})."""

    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    merged = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    survivor_label = models.CharField(max_length=250)
    merged_label = models.CharField(max_length=250)
    choices = models.JSONField(default=dict, blank=True, help_text='{field: "survivor" | "merged"}')
    before = models.JSONField(default=dict)
    records = models.JSONField(default=dict)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(survivor=models.F("merged")), name="merge_not_self"),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="merge_recent_idx"),
            models.Index(fields=["organization", "survivor"], name="merge_survivor_idx"),
            models.Index(fields=["organization", "merged"], name="merge_merged_idx"),
        ]

    def __str__(self):
        return f"{self.merged_label} → {self.survivor_label}"

    @property
    def undo_until(self):
        return self.created_at + timedelta(days=UNDO_DAYS)

    @property
    def undoable(self) -> bool:
        return self.undone_at is None and timezone.now() < self.undo_until
