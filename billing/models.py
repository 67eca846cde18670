"""What a business sells (packages) and what it sold: purchases, their payments and refunds. Money is an
integer of minor units with its currency, never a float."""

import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.money import format_minor
from accounts.tenancy import TenantModel
from customers.models import Customer

MAX_PRICE = 100_000_000  # minor units: a million in any offered currency


def _tax_on(amount: int, rate: Decimal) -> int:
    return int((Decimal(amount) * Decimal(rate) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class PackageKind(models.TextChoices):
    ONE_TIME = "one_time", "One-time package"
    CLASS_PASS = "class_pass", "Class pass (punch card)"
    MEMBERSHIP = "membership", "Membership"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public: listed in the online store"
    INVITE = "invite", "By invitation: only customers invited to buy it"
    STAFF = "staff", "Staff only: sold from a customer's profile"


class ForWhom(models.TextChoices):
    ANYONE = "anyone", "Anyone"
    ADULT = "adult", "Adults"
    CHILD = "child", "Children"


class Interval(models.TextChoices):
    WEEK = "week", "week(s)"
    MONTH = "month", "month(s)"
    YEAR = "year", "year(s)"


class Package(TenantModel):
    """Something the business sells: a one-time package (party, drop-in, gift), a class pass of N visits or a
    recurring membership. Archived, never deleted, once it exists: sales will point at it."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="Shown in the store under the name.")
    kind = models.CharField(max_length=20, choices=PackageKind.choices, default=PackageKind.ONE_TIME)
    price = models.PositiveIntegerField(
        validators=[MaxValueValidator(MAX_PRICE)], help_text="In minor units (cents) of `currency`."
    )
    currency = models.CharField(max_length=3, help_text="The organization's currency when it was made.")
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=6,
        decimal_places=3,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Added on top of the price, e.g. 8.25.",
    )
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many can be sold in all. Empty: no limit."
    )
    visits = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Visits on a class pass, e.g. 10."
    )
    valid_days = models.PositiveSmallIntegerField(
        "valid for (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="How long a class pass lasts from the day it is bought, e.g. 365. Empty: no expiry.",
    )
    interval = models.CharField(
        "period",
        max_length=10,
        choices=Interval.choices,
        blank=True,
        help_text="A membership renews after this many of them.",
    )
    interval_count = models.PositiveSmallIntegerField(
        "renews every",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="1 and month(s): monthly; 2 and week(s): every other week.",
    )
    signup_fee = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_PRICE)],
        help_text="In minor units, charged once with the first period (before tax).",
    )
    minimum_periods = models.PositiveSmallIntegerField(
        "minimum term",
        default=0,
        validators=[MaxValueValidator(120)],
        help_text="Periods a member pays before they may cancel, e.g. 3. 0: none.",
    )
    # The Stripe price this membership is billed with, and the terms it was made for: new terms, a new price.
    stripe_product = models.CharField(max_length=255, blank=True, editable=False)
    stripe_price = models.CharField(max_length=255, blank=True, editable=False)
    stripe_price_terms = models.CharField(max_length=100, blank=True, editable=False)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    for_whom = models.CharField("for", max_length=10, choices=ForWhom.choices, default=ForWhom.ANYONE)
    min_age = models.PositiveSmallIntegerField(
        "youngest age", null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    max_age = models.PositiveSmallIntegerField(
        "oldest age", null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    sale_starts_at = models.DateTimeField("on sale from", null=True, blank=True)
    sale_ends_at = models.DateTimeField("on sale until", null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="package_organization_id_unique"),
            models.UniqueConstraint("organization", Lower("name"), name="package_name_unique"),
            models.CheckConstraint(condition=models.Q(price__lte=MAX_PRICE), name="package_price_range"),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="package_currency"
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0, tax_rate__lte=100), name="package_tax_rate_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=PackageKind.CLASS_PASS) | models.Q(visits__gte=1),
                name="package_class_pass_has_visits",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_days=None) | models.Q(valid_days__gte=1), name="package_valid_days"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=PackageKind.MEMBERSHIP) | ~models.Q(interval=""),
                name="package_membership_renews",
            ),
            models.CheckConstraint(
                condition=models.Q(min_age=None)
                | models.Q(max_age=None)
                | models.Q(min_age__lte=models.F("max_age")),
                name="package_age_range",
            ),
            models.CheckConstraint(
                condition=models.Q(sale_starts_at=None)
                | models.Q(sale_ends_at=None)
                | models.Q(sale_starts_at__lt=models.F("sale_ends_at")),
                name="package_sale_window",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def price_display(self) -> str:
        return format_minor(self.price, self.currency)

    @property
    def total(self) -> int:
        """Price and tax of one purchase (of one period, for a membership)."""
        return self.price + self.tax_amount

    @property
    def tax_amount(self) -> int:
        """The tax on one purchase, in minor units rounded half up: 8.25% of 29,900 is 2,467."""
        return _tax_on(self.price, self.tax_rate)

    @property
    def tax_display(self) -> str:
        """8.25% · 20% · an em dash for none."""
        return f"{self.tax_rate.normalize():f}%" if self.tax_rate else "—"

    @property
    def terms(self) -> str:
        """What one purchase gives, in a few words: "10 visits", "renews every month · $15.00 sign-up fee"."""
        if self.kind == PackageKind.CLASS_PASS:
            return f"{self.visits} visit{'s' if self.visits != 1 else ''}"
        if self.kind == PackageKind.MEMBERSHIP:
            terms = [f"renews {self.period_display}"]
            if self.signup_fee:
                terms.append(f"{format_minor(self.signup_fee, self.currency)} sign-up fee")
            if self.minimum_periods:
                terms.append(
                    f"at least {self.minimum_periods} payment{'s' if self.minimum_periods != 1 else ''}"
                )
            return " · ".join(terms)
        return ""

    @property
    def period_display(self) -> str:
        """ "every month", "every 2 weeks"."""
        unit = self.interval or "period"
        return f"every {unit}" if self.interval_count == 1 else f"every {self.interval_count} {unit}s"

    @property
    def signup_fee_tax(self) -> int:
        return _tax_on(self.signup_fee, self.tax_rate)

    @property
    def audience(self) -> str:
        """Who it is for: "Anyone", "Adults", "Children 5–12"."""
        label = self.get_for_whom_display()
        if self.for_whom != ForWhom.CHILD or (self.min_age is None and self.max_age is None):
            return label
        if self.max_age is None:
            return f"{label} {self.min_age}+"
        return f"{label} {self.min_age or 0}–{self.max_age}"


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
        unit = self.interval
        return f"every {unit}" if self.interval_count == 1 else f"every {self.interval_count} {unit}s"

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


class PackageAudit(models.TextChoices):
    """What the organization's audit trail records of packages."""

    CREATED = "package.created", "Package added"
    CHANGED = "package.changed", "Package changed"
    ARCHIVED = "package.archived", "Package archived"
    RESTORED = "package.restored", "Package restored"


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

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="checkout_organization_id_unique"),
            models.UniqueConstraint(fields=["organization", "reference"], name="checkout_reference_unique"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="checkout_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["organization", "payment_intent"], name="checkout_payment_intent_idx"),
        ]


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
