"""The organization's Stripe account and what Roster keeps of it: its keys, the events its webhook delivers,
its customers and their saved cards, and the online store's checkouts."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantModel
from billing.models.packages import Package
from billing.models.sales import Purchase
from billing.models.spots import SpotHold
from customers.models import Customer


class PaymentAccount(TenantModel):
    """The organization's own Stripe account, as an owner connected it in Settings → Payments: a restricted
    (or secret) key and the webhook endpoint's signing secret, both encrypted (billing.secrets), and the
    publishable key, which is public by design. The secret is never shown again: `key_hint` is its last
    four characters."""

    secret_key_encrypted = models.TextField()
    publishable_key = models.CharField(max_length=255)
    webhook_secret_encrypted = models.TextField()
    key_hint = models.CharField(max_length=4, help_text="The secret key's last four characters.")
    livemode = models.BooleanField(
        help_text="Live keys (rk_live_/sk_live_) take real money; test keys don't."
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    connected_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="paymentaccount_one_per_organization"),
            models.CheckConstraint(
                condition=models.Q(livemode=True, publishable_key__startswith="pk_live_")
                | models.Q(livemode=False, publishable_key__startswith="pk_test_"),
                name="paymentaccount_keys_of_one_mode",
            ),
        ]

    @property
    def mode_label(self) -> str:
        return "Live" if self.livemode else "Test"


class PaymentAccountAudit(models.TextChoices):
    """What the organization's audit trail records of its Stripe account."""

    CONNECTED = "payments.connected", "Stripe account connected"
    KEYS_REPLACED = "payments.keys_replaced", "Stripe keys replaced"
    DISCONNECTED = "payments.disconnected", "Stripe account disconnected"


class StripeEvent(TenantModel):
    """A webhook delivery from the organization's Stripe account, verified and kept once by Stripe's event id:
    a repeated delivery finds its row and is not processed again. `processed_at` is empty while no handler
    has applied it (an event type Roster does not act on stays so)."""

    stripe_id = models.CharField(max_length=255)
    type = models.CharField(max_length=255)
    created = models.DateTimeField(help_text="When Stripe created the event.")
    payload = models.JSONField(help_text="The event's data.object, as Stripe sent it.")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "stripe_id"], name="stripeevent_once_per_id"),
        ]
        indexes = [
            models.Index(fields=["organization", "-received_at"], name="stripeevent_received_idx"),
            # What the worker has yet to apply, looked for every minute: few rows, however long the log.
            models.Index(
                fields=["organization"], condition=models.Q(processed_at=None), name="stripeevent_pending_idx"
            ),
        ]


class StripeCustomer(TenantModel):
    """The Stripe customer (`cus_…`) made in the organization's own Stripe account for a payer of the online
    store, kept beside the roster rather than on it: the roster knows nothing of Stripe."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    stripe_customer = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "customer"], name="stripecustomer_one_per_customer"
            ),
        ]


class SavedCard(TenantModel):
    """A card a customer saved in the organization's Stripe account (the card itself stays with Stripe): what
    the store offers them next time, and what staff may charge at the desk."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="saved_cards")
    stripe_payment_method = models.CharField(max_length=255)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="savedcard_organization_id_unique"),
            models.UniqueConstraint(
                fields=["organization", "stripe_payment_method"], name="savedcard_once_per_payment_method"
            ),
            models.UniqueConstraint(
                fields=["organization", "customer"],
                condition=models.Q(is_default=True),
                name="savedcard_one_default_per_customer",
            ),
        ]
        indexes = [models.Index(fields=["organization", "customer"], name="savedcard_customer_idx")]

    def __str__(self) -> str:
        brand = self.brand.title() or "Card"
        return f"{brand} •••• {self.last4}, expires {self.exp_month:02d}/{self.exp_year}"

    @property
    def expired(self) -> bool:
        today = timezone.localdate()
        return (self.exp_year, self.exp_month) < (today.year, today.month)


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Waiting for the card"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded: sold out while paying"


class Checkout(TenantModel):
    """One attempt to buy a package in the online store: the PaymentIntent made for it in the organization's
    Stripe account, and the purchase it became once Stripe says it succeeded (recorded once, whether the
    payer's browser or Stripe's webhook tells us first)."""

    reference = models.UUIDField(default=uuid.uuid4, editable=False, help_text="Names its Stripe calls.")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="checkouts")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", help_text="For whom.")
    payer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="checkouts")
    amount = models.PositiveIntegerField(help_text="Price and tax, in minor units.")
    currency = models.CharField(max_length=3)
    payment_intent = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_purchase = models.ForeignKey(
        Purchase, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited = models.BooleanField(
        default=False, help_text="Bought through an invitation: a package sold by invitation only may be."
    )
    hold = models.ForeignKey(
        SpotHold,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The spot kept for the buyer that this checkout takes.",
    )
    return_path = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where the payer goes once it is paid (a booking), not the receipt.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="checkout_organization_id_unique"),
            models.UniqueConstraint(fields=["organization", "reference"], name="checkout_reference_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="checkout_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["organization", "payment_intent"], name="checkout_payment_intent_idx"),
        ]
