"""Punch cards: the visits a class pass gives, and each one used."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantModel
from billing.models.sales import Purchase
from customers.models import Customer


class PunchCard(TenantModel):
    """The visits a class-pass purchase gives its holder. `used` counts the punches not undone, kept beside
    them so a punch is checked against what is left under one row lock (and by the database)."""

    purchase = models.OneToOneField(Purchase, on_delete=models.PROTECT, related_name="punch_card")
    holder = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, related_name="punch_cards")
    visits = models.PositiveSmallIntegerField(help_text="The package's visits when bought.")
    used = models.PositiveSmallIntegerField(default=0)
    valid_until = models.DateField(null=True, blank=True, help_text="Last day of use. Empty: no expiry.")
    reminded_last_visit_at = models.DateTimeField(null=True, blank=True)
    reminded_expiry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="punchcard_organization_id_unique"),
            models.CheckConstraint(condition=models.Q(visits__gte=1), name="punchcard_visits_positive"),
            models.CheckConstraint(
                condition=models.Q(used__gte=0, used__lte=models.F("visits")), name="punchcard_used_fits"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "holder"], name="punchcard_holder_idx"),
            # What the daily reminder looks at: cards with a visit left.
            models.Index(
                fields=["organization", "valid_until"],
                condition=models.Q(used__lt=models.F("visits")),
                name="punchcard_open_idx",
            ),
        ]

    @property
    def remaining(self) -> int:
        return self.visits - self.used

    def expired_on(self, today) -> bool:
        return self.valid_until is not None and today > self.valid_until

    def usable_on(self, today) -> bool:
        return bool(self.remaining) and not self.expired_on(today)

    def status_on(self, today) -> str:
        """Expired · Used up · 3 of 10 left."""
        if self.expired_on(today):
            return "Expired"
        if not self.remaining:
            return "Used up"
        return f"{self.remaining} of {self.visits} left"


class Punch(TenantModel):
    """One visit taken from a punch card; never deleted: an undone punch keeps who undid it and why."""

    card = models.ForeignKey(PunchCard, on_delete=models.CASCADE, related_name="punches")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    undo_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(undone_at=None, undo_reason="")
                | (~models.Q(undone_at=None) & ~models.Q(undo_reason="")),
                name="punch_undone_with_reason",
            ),
        ]
        indexes = [models.Index(fields=["organization", "card", "-at"], name="punch_card_idx")]


class PunchEvent(models.TextChoices):
    """The Activity Log's kinds of event about punch cards."""

    PUNCH = "punch", "Visit punched"
    PUNCH_UNDONE = "punch_undone", "Punch undone"
    PUNCH_CARD_EXTENDED = "punch_extended", "Punch card extended"


class PunchAudit(models.TextChoices):
    """What the organization's audit trail records of punch cards."""

    PUNCHED = "punch.used", "Visit punched"
    UNDONE = "punch.undone", "Punch undone"
    EXTENDED = "punch.extended", "Punch card extended"
