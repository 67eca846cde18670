"""What a business sold: purchases, their payments and refunds. Money is an integer of minor units with its
currency, never a float."""

from django.conf import settings
from django.db import models

from accounts.tenancy import TenantModel
from billing.models.packages import Package
from customers.models import Customer


class Channel(models.TextChoices):
    STAFF = "staff", "Sold by staff"
    STORE = "store", "Online store"
    RENEWAL = "renewal", "Membership renewal"


class Purchase(TenantModel):
    """One package bought for one customer (`customer`), paid for by `payer`: the customer or someone who
    looks after them. Kept for the books: a deleted customer leaves their name behind."""

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="purchases")
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="purchases", help_text="Who it is for."
    )
    customer_label = models.CharField(max_length=250)
    payer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, related_name="purchases_paid")
    payer_label = models.CharField(max_length=250)
    price = models.PositiveIntegerField(help_text="The package's price when bought, in minor units.")
    tax = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its spot was given back: refunded in full, membership ended.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="purchase_organization_id_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "package"], name="purchase_package_idx"),
            models.Index(fields=["organization", "customer", "-created_at"], name="purchase_customer_idx"),
            models.Index(fields=["organization", "payer", "-created_at"], name="purchase_payer_idx"),
        ]

    @property
    def total(self) -> int:
        return self.price + self.tax


class Method(models.TextChoices):
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"
    TERMINAL = "terminal", "External card terminal"
    CREDIT = "credit", "Credit balance"


class Payment(TenantModel):
    """Money received for a purchase. `refunded` is the sum of its refunds, kept beside it so a refund can be
    checked against what remains under one row lock."""

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="payments")
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=10, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True, help_text="Cheque number, terminal receipt…")
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    stripe_payment_intent = models.CharField(max_length=255, blank=True)
    refunded = models.PositiveIntegerField(default=0)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The purchase's package and payer, copied by the database (trigger billing_payment_of_purchase, migration
    # 0006) so the Sales report groups a year of payments without joining purchases. Unset on a new instance.
    package = models.ForeignKey(
        Package, on_delete=models.PROTECT, null=True, editable=False, related_name="+"
    )
    payer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, editable=False, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="payment_organization_id_unique"),
            models.CheckConstraint(
                condition=models.Q(refunded__lte=models.F("amount")), name="payment_refunds_fit"
            ),
            # A card payment is recorded once, whoever (the payer's browser or Stripe's webhook) comes first.
            models.UniqueConstraint(
                fields=["organization", "stripe_payment_intent"],
                condition=~models.Q(stripe_payment_intent=""),
                name="payment_stripe_payment_intent_once",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "purchase"], name="payment_purchase_idx"),
            # The Sales report reads a period of payments by date from this index alone, and refunds by date.
            models.Index(
                fields=["organization", "created_at"],
                include=["amount", "refunded", "package", "payer"],
                name="payment_sales_idx",
            ),
        ]

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded

    @property
    def status(self) -> str:
        if not self.refunded:
            return "Paid"
        return "Refunded" if self.refunded == self.amount else "Partly refunded"

    @property
    def method_display(self) -> str:
        """Cash · Cheque 1024 · Visa •••• 4242."""
        if self.method == Method.CARD and self.card_last4:
            return f"{self.card_brand.title() or 'Card'} •••• {self.card_last4}"
        label = self.get_method_display()
        return f"{label} {self.reference}" if self.reference else label


class Refund(TenantModel):
    """Money given back from a payment, with why."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    stripe_refund = models.CharField(max_length=255, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="refund_organization_id_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
            # A Stripe refund is recorded once, made by Roster or come by webhook from the dashboard.
            models.UniqueConstraint(
                fields=["organization", "stripe_refund"],
                condition=~models.Q(stripe_refund=""),
                name="refund_stripe_refund_once",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "payment"], name="refund_payment_idx"),
            models.Index(fields=["organization", "created_at"], name="refund_created_idx"),
        ]


class PaymentEvent(models.TextChoices):
    """The Activity Log's kinds of event about purchases and payments."""

    PURCHASE = "purchase", "Purchase"
    REFUND = "refund", "Refund"
    CARD_SAVED = "card_saved", "Card saved"
    CARD_REMOVED = "card_removed", "Card removed"


class PaymentAudit(models.TextChoices):
    """What the organization's audit trail records of sales and refunds."""

    SALE_RECORDED = "sale.recorded", "Sale recorded"
    REFUND_MADE = "refund.made", "Refund made"
