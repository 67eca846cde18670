"""The credit ledger: a customer's credit, issued, spent, corrected and expired, one append-only line each."""

from django.conf import settings
from django.db import models

from accounts.money import format_minor
from accounts.tenancy import TenantModel
from billing.models.sales import Payment, Refund
from customers.models import Customer


class CreditKind(models.TextChoices):
    GIFT = "gift", "Gift"
    GOODWILL = "goodwill", "Goodwill"
    REFUND = "refund", "Refund to credit"
    SPENT = "spent", "Spent"
    EXPIRED = "expired", "Expired"
    CORRECTION = "correction", "Correction"


ISSUED_KINDS = (CreditKind.GIFT, CreditKind.GOODWILL, CreditKind.REFUND)


class CreditEntry(TenantModel):
    """One line of a customer's credit ledger, in minor units: credit issued (+), spent or expired (−), or a
    correction reversing another line. Append-only: the database refuses to change or delete a line (bar the
    customer's or user's deletion unlinking it) and any line that would take the balance, their sum, below
    zero (triggers in migration 0008)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="credit_entries"
    )
    amount = models.IntegerField(help_text="Minor units: positive adds credit, negative takes it.")
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=12, choices=CreditKind.choices)
    reason = models.CharField(max_length=300)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_entries"
    )
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="Corrected line."
    )
    expiry_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="Expired line."
    )
    expires_on = models.DateField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="creditentry_organization_id_unique"),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="creditentry_currency"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ISSUED_KINDS, amount__gt=0)
                | models.Q(kind__in=[CreditKind.SPENT, CreditKind.EXPIRED], amount__lt=0)
                | (models.Q(kind=CreditKind.CORRECTION) & ~models.Q(amount=0)),
                name="creditentry_amount_sign_of_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on=None) | models.Q(kind__in=ISSUED_KINDS),
                name="creditentry_only_issued_credit_expires",
            ),
            models.CheckConstraint(
                condition=models.Q(reverses=None) | models.Q(kind=CreditKind.CORRECTION),
                name="creditentry_correction_reverses",
            ),
            models.CheckConstraint(
                condition=models.Q(expiry_of=None) | models.Q(kind=CreditKind.EXPIRED),
                name="creditentry_expiry_of_issued",
            ),
            # A line is reversed at most once, and what is left of an issued one expires at most once.
            models.UniqueConstraint(
                fields=["organization", "reverses"],
                condition=~models.Q(reverses=None),
                name="creditentry_reversed_once",
            ),
            models.UniqueConstraint(
                fields=["organization", "expiry_of"],
                condition=~models.Q(expiry_of=None),
                name="creditentry_expires_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "customer", "-created_at"],
                include=["amount"],
                name="creditentry_customer_idx",
            ),
            # What the daily expiry looks at: issued credit with a date.
            models.Index(
                fields=["organization", "expires_on"],
                condition=~models.Q(expires_on=None),
                name="creditentry_expires_idx",
            ),
        ]

    @property
    def amount_display(self) -> str:
        """+$25.00 · −$4.50."""
        money = format_minor(abs(self.amount), self.currency)
        return f"+{money}" if self.amount > 0 else f"−{money}"


class CreditEvent(models.TextChoices):
    """The Activity Log's kinds of event about credit."""

    ISSUED = "credit_issued", "Credit issued"
    CORRECTED = "credit_corrected", "Credit corrected"
    EXPIRED = "credit_expired", "Credit expired"


class CreditAudit(models.TextChoices):
    """What the organization's audit trail records of credit."""

    ISSUED = "credit.issued", "Credit issued"
    CORRECTED = "credit.corrected", "Credit corrected"
    EXPIRED = "credit.expired", "Credit expired"
