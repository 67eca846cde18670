"""Parties: what a business offers (party packages) and what customers booked (bookings). A booking takes
its room from its start until the room is ready again; the database refuses two live bookings of one room
that overlap, so two people racing for the last slot cannot both get it."""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q
from django.db.models.functions import Lower

from accounts.money import format_minor
from accounts.tenancy import TenantModel
from billing.models import MAX_PRICE, Checkout, Package, Purchase
from bookings.models.places import Room
from customers.models import Customer
from waivers.models import WaiverTemplate


class PartyPackage(TenantModel):
    """A party the business offers online and at the desk: how long, for how many guests, in which rooms,
    and the deposit that books it (sold through billing as `deposit_package`)."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="Shown on the booking page.")
    minutes = models.PositiveSmallIntegerField(
        "length (minutes)", default=120, validators=[MinValueValidator(15), MaxValueValidator(12 * 60)]
    )
    max_guests = models.PositiveSmallIntegerField(
        "guests at most", default=20, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    price = models.PositiveIntegerField(
        validators=[MaxValueValidator(MAX_PRICE)], help_text="The whole party, in minor units (cents)."
    )
    deposit = models.PositiveIntegerField(
        validators=[MaxValueValidator(MAX_PRICE)],
        help_text="Paid by card when booking online, in minor units; the rest is paid on the day.",
    )
    currency = models.CharField(max_length=3)
    rooms = models.ManyToManyField(Room, through="PartyRoom", related_name="party_packages")
    deposit_package = models.OneToOneField(
        Package, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="party_package"
    )
    waivers = models.ManyToManyField(
        WaiverTemplate,
        through="PartyWaiver",
        blank=True,
        related_name="+",
        help_text="Signed for the party's child before it is booked online; staff see who is missing one.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="party_package_organization_id_unique"
            ),
            models.UniqueConstraint("organization", Lower("name"), name="party_package_name_unique"),
            models.CheckConstraint(
                condition=Q(deposit__lte=models.F("price")), name="party_deposit_in_price"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def price_display(self) -> str:
        return format_minor(self.price, self.currency)

    @property
    def deposit_display(self) -> str:
        return format_minor(self.deposit, self.currency)


class PartyRoom(TenantModel):
    """A room a party package may be held in (set with `through_defaults` naming the organization)."""

    package = models.ForeignKey(PartyPackage, on_delete=models.CASCADE)
    room = models.ForeignKey(Room, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["package", "room"], name="party_room_unique")]


class PartyWaiver(TenantModel):
    """A waiver a party package needs (set with `through_defaults` naming the organization)."""

    package = models.ForeignKey(PartyPackage, on_delete=models.CASCADE)
    template = models.ForeignKey(WaiverTemplate, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["package", "template"], name="party_waiver_unique")]


class BookingStatus(models.TextChoices):
    HELD = "held", "Held while paying"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Not paid in time"


LIVE_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED)


class BookingChannel(models.TextChoices):
    ONLINE = "online", "Online"
    STAFF = "staff", "Staff"


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Booking(TenantModel):
    """A party: its package, room and time, the customer it is for (the birthday child) and the one who
    booked and pays (a guardian, or the same person). Names are kept as labels, as sales keep theirs."""

    package = models.ForeignKey(PartyPackage, on_delete=models.PROTECT, related_name="bookings")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    free_at = models.DateTimeField(
        help_text="When the room is ready for the next party: the end and the buffer."
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="bookings", help_text="For whom."
    )
    customer_label = models.CharField(max_length=250)
    booked_by = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="bookings_made"
    )
    booked_by_label = models.CharField(max_length=250)
    guests = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1000)])
    status = models.CharField(max_length=10, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)
    held_until = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=BookingChannel.choices)
    checkout = models.OneToOneField(
        Checkout, on_delete=models.SET_NULL, null=True, blank=True, related_name="booking"
    )
    deposit_purchase = models.OneToOneField(
        Purchase, on_delete=models.SET_NULL, null=True, blank=True, related_name="booking"
    )
    note = models.CharField(max_length=500, blank=True, help_text="For staff: allergies, cake, theme…")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    guests_arrived = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="booking_organization_id_unique"),
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="booking_time_order"),
            models.CheckConstraint(
                condition=Q(ends_at__lte=models.F("free_at")), name="booking_free_after_end"
            ),
            ExclusionConstraint(
                name="booking_room_not_double_booked",
                expressions=[
                    ("room", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "free_at", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=LIVE_STATUSES),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "starts_at"], name="booking_calendar_idx"),
            models.Index(fields=["organization", "customer", "starts_at"], name="booking_customer_idx"),
            models.Index(fields=["organization", "booked_by", "starts_at"], name="booking_booked_by_idx"),
        ]

    def __str__(self):
        return f"{self.package} for {self.customer_label}, {self.starts_at:%Y-%m-%d %H:%M}"


class BookingEvent(models.TextChoices):
    """Kinds of activity a booking leaves on the customer's log (Activity.kind, ≤ 20 characters)."""

    CREATED = "booking.created", "Booking made"
    CHANGED = "booking.changed", "Booking changed"
    CANCELLED = "booking.cancelled", "Booking cancelled"
    CHECKED_IN = "booking.checked_in", "Checked in"


class BookingAudit(models.TextChoices):
    ROOM_SAVED = "booking.room_saved", "Room saved"
    PACKAGE_SAVED = "booking.package_saved", "Party package saved"
    SETTINGS_CHANGED = "booking.settings", "Booking settings changed"
    CANCELLED = "booking.cancelled", "Booking cancelled"
