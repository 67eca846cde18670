"""Waitlists of packages with a capacity: who waits for a spot, in what order, and the offers that hold a
freed spot for the next person for a while (a billing SpotHold each)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.tenancy import TenantModel
from billing.models import Package, SpotHold
from customers.models import Customer

HOLD_HOURS_DEFAULT, HOLD_HOURS_MAX = 24, 168


class Waitlist(TenantModel):
    """The line for one package, made when the first person joins or staff open it."""

    package = models.OneToOneField(Package, on_delete=models.CASCADE, related_name="waitlist")
    hold_hours = models.PositiveSmallIntegerField(
        "hold an offered spot for (hours)",
        default=HOLD_HOURS_DEFAULT,
        help_text=f"From 1 hour to a week ({HOLD_HOURS_MAX} hours).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="waitlist_organization_id_unique"),
            models.UniqueConstraint(fields=["organization", "package"], name="waitlist_one_per_package"),
            models.CheckConstraint(
                condition=models.Q(hold_hours__gte=1, hold_hours__lte=HOLD_HOURS_MAX),
                name="waitlist_hold_hours_range",
            ),
        ]

    def __str__(self):
        return f"Waitlist of {self.package_id}"


class EntryStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered a spot"
    BOUGHT = "bought", "Bought"
    LEFT = "left", "Left"
    REMOVED = "removed", "Removed by staff"
    EXPIRED = "expired", "Offer expired"


LIVE_STATUSES = (EntryStatus.WAITING, EntryStatus.OFFERED)


class WaitlistEntry(TenantModel):
    """One person in a line: `customer` waits, `joined_by` is whose login joined (themselves or a guardian
    with the *purchase* permission). `position` orders the line (lowest first); staff may change it."""

    waitlist = models.ForeignKey(Waitlist, on_delete=models.CASCADE, related_name="entries")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", help_text="For whom.")
    joined_by = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, related_name="+")
    position = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.WAITING)
    joined_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="waitlist_entry_organization_id_unique"
            ),
            # One live place per person and package; those who left or bought may join again.
            models.UniqueConstraint(
                fields=["organization", "waitlist", "customer"],
                condition=models.Q(status__in=["waiting", "offered"]),
                name="waitlist_entry_one_live_per_customer",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "waitlist", "status", "position"], name="waitlist_entry_line_idx"
            ),
            models.Index(fields=["organization", "customer"], name="waitlist_entry_customer_idx"),
            models.Index(fields=["organization", "joined_by"], name="waitlist_entry_joined_by_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} on {self.waitlist_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class WaitlistChange(models.TextChoices):
    JOINED = "joined", "Joined"
    OFFERED = "offered", "Offered a spot"
    BOUGHT = "bought", "Bought"
    DECLINED = "declined", "Declined the offer"
    LEFT = "left", "Left the waitlist"
    EXPIRED = "expired", "Offer expired"
    PROMOTED = "promoted", "Promoted by staff"
    REMOVED = "removed", "Skipped by staff"
    MOVED_UP = "moved_up", "Moved up"
    MOVED_DOWN = "moved_down", "Moved down"


class WaitlistEvent(TenantModel):
    """One change of an entry, in its history: when, by which staff member (None: the customer or the
    system), what, and why."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    what = models.CharField(max_length=12, choices=WaitlistChange.choices)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "entry", "at"], name="waitlist_event_entry_idx")]

    def __str__(self):
        return f"{self.get_what_display()} at {self.at:%Y-%m-%d %H:%M}"


class WaitlistOffer(TenantModel):
    """A freed spot held for an entry's person until its hold ends: accepted when its hold is bought, else
    declined or expired. The link's token is kept only as its hash, issued by the worker that emails it."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    hold = models.OneToOneField(SpotHold, on_delete=models.CASCADE, related_name="waitlist_offer")
    token_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "token_hash"], name="waitlist_offer_token_idx")]

    def __str__(self):
        return f"Offer to {self.entry_id} until {self.hold.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.declined_at is None and self.expired_at is None and self.hold.is_live


class WaitlistEventKind(models.TextChoices):
    """The Activity Log's kinds of event about waitlists."""

    JOINED = "waitlist_joined", "Joined a waitlist"
    OFFERED = "waitlist_offered", "Offered a spot"
    BOUGHT = "waitlist_bought", "Bought an offered spot"
    LEFT = "waitlist_left", "Left a waitlist"
    EXPIRED = "waitlist_expired", "Waitlist offer expired"
    CHANGED = "waitlist_changed", "Waitlist changed by staff"


class WaitlistAudit(models.TextChoices):
    """What the organization's audit trail records of waitlists."""

    SETTINGS_CHANGED = "waitlist.changed", "Waitlist hold window changed"
