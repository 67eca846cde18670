"""Memberships: Roster's own, billed by Stripe subscriptions with their invoices, and those managed elsewhere
(external subscriptions), recorded for the whole picture."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.money import format_minor
from accounts.tenancy import TenantModel
from billing.models.packages import MAX_PRICE, Interval, Package, every
from billing.models.sales import Channel, Payment
from customers.models import Customer


class SubscriptionStatus(models.TextChoices):
    """Roster's view of a Stripe subscription: Stripe's status, with "paused" for an active one whose
    collection is paused (Stripe keeps those `active`)."""

    INCOMPLETE = "incomplete", "Starting"
    TRIALING = "trialing", "Trialing"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Past due"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"


class Subscription(TenantModel):
    """A membership package bought for `member`, renewed by Stripe charging `payer`'s card every period. Its
    state is Stripe's subscription as last heard of (`synced_at`: when Stripe said it), so webhooks arriving
    in any order never put an older state over a newer one."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="subscriptions")
    member = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, related_name="subscriptions")
    member_label = models.CharField(max_length=250)
    payer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="subscriptions_paid"
    )
    payer_label = models.CharField(max_length=250)
    price = models.PositiveIntegerField(help_text="Each period's price before tax, in minor units.")
    tax = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=10, choices=Interval.choices)
    interval_count = models.PositiveSmallIntegerField(default=1)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    stripe_subscription = models.CharField(max_length=255, blank=True)
    payment_method = models.CharField(max_length=255, blank=True, help_text="The Stripe card it charges.")
    status = models.CharField(
        max_length=12, choices=SubscriptionStatus.choices, default=SubscriptionStatus.INCOMPLETE
    )
    current_period_end = models.DateTimeField(null=True, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True, help_text="Empty while paused: until resumed.")
    cancel_at = models.DateTimeField(null=True, blank=True, help_text="When it ends, if it is set to end.")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    commitment_ends_at = models.DateTimeField(
        null=True, blank=True, help_text="End of the minimum term: the member may not cancel before it."
    )
    synced_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="subscription_organization_id_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "stripe_subscription"],
                condition=~models.Q(stripe_subscription=""),
                name="subscription_stripe_once",
            ),
        ]
        indexes = [
            # The roster's membership filter: members by status.
            models.Index(fields=["organization", "status", "member"], name="subscription_status_idx"),
            models.Index(fields=["organization", "member", "-created_at"], name="subscription_member_idx"),
            models.Index(fields=["organization", "payer"], name="subscription_payer_idx"),
        ]

    @property
    def total(self) -> int:
        return self.price + self.tax

    @property
    def total_display(self) -> str:
        return format_minor(self.total, self.currency)

    @property
    def period_display(self) -> str:
        return every(self.interval_count, self.interval)

    @property
    def is_live(self) -> bool:
        return self.status not in (SubscriptionStatus.CANCELLED, SubscriptionStatus.INCOMPLETE)


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Unpaid"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class SubscriptionInvoice(TenantModel):
    """One period Stripe billed a membership for, and the payment that paid it (a purchase of the package:
    the first with the sale's channel, each renewal as a renewal). Known by its Stripe id: recorded once."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="invoices")
    stripe_invoice = models.CharField(max_length=255)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=6, choices=InvoiceStatus.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    payment = models.OneToOneField(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="subscription_invoice"
    )
    failure_noticed_at = models.DateTimeField(null=True, blank=True, help_text="When the payer was emailed.")
    synced_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="subscription_invoice_organization_id_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "stripe_invoice"], name="subscription_invoice_stripe_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "subscription", "-period_start"], name="subscription_invoice_idx"
            ),
        ]

    @property
    def amount_display(self) -> str:
        return format_minor(self.amount, self.currency)


class SubscriptionEvent(models.TextChoices):
    PAYMENT_FAILED = "member.declined", "Membership payment declined"
    PAUSED = "member.paused", "Membership paused"
    RESUMED = "member.resumed", "Membership resumed"
    CANCELLING = "member.ending", "Membership set to end"
    CANCELLED = "member.cancelled", "Membership cancelled"
    CARD_CHANGED = "member.card", "Membership card changed"


class SubscriptionAudit(models.TextChoices):
    PAUSED = "membership.paused", "Paused a membership"
    RESUMED = "membership.resumed", "Resumed a membership"
    CANCELLED = "membership.cancelled", "Cancelled a membership"
    CARD_CHANGED = "membership.card_changed", "Changed a membership's card"


class ExternalStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"
    ENDED = "ended", "Ended"


# The pill of a membership's status, on the profile and in the Memberships report.
STATUS_TONES = {
    ExternalStatus.ACTIVE: "text-bg-success",
    ExternalStatus.PAUSED: "text-bg-warning",
    ExternalStatus.CANCELLED: "text-bg-secondary",
    ExternalStatus.ENDED: "text-bg-light border",
    SubscriptionStatus.PAST_DUE: "text-bg-danger",
    SubscriptionStatus.TRIALING: "text-bg-success",
}


class ExternalSubscription(TenantModel):
    """A membership managed outside Roster (another processor, a school contract), recorded by staff so the
    profile and the Memberships report show the whole picture. Roster never charges it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="external_subscriptions")
    provider = models.CharField(max_length=120, help_text="Who manages it, e.g. School contract, PayPal.")
    name = models.CharField(max_length=120, help_text="What it is, e.g. Swim team, spring term.")
    amount = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PRICE)], help_text="In minor units."
    )
    currency = models.CharField(max_length=3, help_text="The organization's currency when it was recorded.")
    interval = models.CharField(
        "billed every", max_length=10, choices=Interval.choices, default=Interval.MONTH
    )
    starts_on = models.DateField("starts on")
    ends_on = models.DateField("ends on", null=True, blank=True, help_text="Empty: no end date.")
    status = models.CharField(max_length=10, choices=ExternalStatus.choices, default=ExternalStatus.ACTIVE)
    reference = models.CharField(
        max_length=100, blank=True, help_text="Its id in the other system, e.g. I-8Y2K4."
    )
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="externalsubscription_organization_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=1, amount__lte=MAX_PRICE), name="externalsubscription_amount"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="externalsubscription_currency"
            ),
            models.CheckConstraint(
                condition=models.Q(interval__in=Interval.values), name="externalsubscription_interval"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ExternalStatus.values), name="externalsubscription_status"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on=None) | models.Q(ends_on__gte=models.F("starts_on")),
                name="externalsubscription_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "customer"], name="externalsub_customer_idx"),
            # The Memberships report's filters and order: by status, by provider, newest start first.
            models.Index(fields=["organization", "status", "-starts_on"], name="externalsub_status_idx"),
            models.Index(fields=["organization", "provider", "-starts_on"], name="externalsub_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"

    @property
    def status_tone(self) -> str:
        return STATUS_TONES[self.status]

    @property
    def amount_display(self) -> str:
        """$25.00 / month · $300.00 / year."""
        return f"{format_minor(self.amount, self.currency)} / {self.interval}"


class ExternalEvent(models.TextChoices):
    """The Activity Log's kinds of event about external subscriptions."""

    ADDED = "external_added", "External subscription added"
    CHANGED = "external_changed", "External subscription changed"


class ExternalAudit(models.TextChoices):
    """What the organization's audit trail records of external subscriptions."""

    ADDED = "external.added", "External subscription added"
    CHANGED = "external.changed", "External subscription changed"
