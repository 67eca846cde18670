"""What a business sells: packages, one-time, class passes and memberships, with their terms."""

from decimal import ROUND_HALF_UP, Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from accounts.money import format_minor
from accounts.tenancy import TenantModel

MAX_PRICE = 100_000_000  # minor units: a million in any offered currency


def every(count: int, unit: str) -> str:
    """How often something renews: "every month", "every 2 weeks"."""
    return f"every {unit}" if count == 1 else f"every {count} {unit}s"


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
    BOOKING = "booking", "With a booking: a party's deposit, kept by the bookings app"


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
        return every(self.interval_count, self.interval or "period")

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


class PackageAudit(models.TextChoices):
    """What the organization's audit trail records of packages."""

    CREATED = "package.created", "Package added"
    CHANGED = "package.changed", "Package changed"
    ARCHIVED = "package.archived", "Package archived"
    RESTORED = "package.restored", "Package restored"
