"""Where and when parties and classes happen: rooms, the weekly opening hours, closed days, and the
organization's booking rules."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from accounts.tenancy import TenantModel


class Room(TenantModel):
    """A room or area parties are held in, e.g. "Jungle room"."""

    name = models.CharField(max_length=80)
    guests = models.PositiveSmallIntegerField(
        "fits (guests)", validators=[MinValueValidator(1), MaxValueValidator(1000)], help_text="At most."
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="room_organization_id_unique"),
            models.UniqueConstraint("organization", Lower("name"), name="room_name_unique"),
        ]

    def __str__(self):
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class OpeningHours(TenantModel):
    """When parties may be booked on one day of the week, in the organization's time zone. A day without a
    row is closed."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "weekday"], name="opening_hours_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="opening_hours_order"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Blackout(TenantModel):
    """A day nothing can be booked online (a holiday, a private event)."""

    date = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["organization", "date"], name="blackout_one_per_day")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()


class BookingSettings(TenantModel):
    """The organization's booking rules; the defaults until an admin saves them."""

    slot_minutes = models.PositiveSmallIntegerField(
        "start times every (minutes)",
        default=30,
        validators=[MinValueValidator(15), MaxValueValidator(240)],
        help_text="Parties start on the hour and every this many minutes after.",
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        "between parties (minutes)",
        default=30,
        validators=[MaxValueValidator(240)],
        help_text="Kept free after each party to clean the room.",
    )
    hold_minutes = models.PositiveSmallIntegerField(
        "slot held while paying (minutes)",
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
    )
    days_ahead = models.PositiveSmallIntegerField(
        "book up to (days ahead)", default=180, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    cancel_hours = models.PositiveSmallIntegerField(
        "customers may cancel until (hours before)",
        default=48,
        validators=[MaxValueValidator(24 * 60)],
        help_text="Before that, cancelling online refunds the deposit; after, customers call the desk.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="booking_settings_one_per_org"),
        ]

    def __str__(self):
        return "Booking settings"
