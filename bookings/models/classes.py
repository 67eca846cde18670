"""Classes and events: a course (e.g. "Saturday tumble") has dated sessions; customers register for one
session (paid with a class pass or credit) or for the whole term (its term package, bought in the store)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.tenancy import TenantModel
from billing.models import MAX_PRICE, CreditEntry, Package, PunchCard, Purchase
from bookings.models.places import Room
from customers.models import Customer
from waivers.models import WaiverTemplate


class Course(TenantModel):
    """A class or event that meets in sessions."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    instructor = models.CharField(max_length=120, blank=True)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="courses")
    capacity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1000)])
    min_age = models.PositiveSmallIntegerField(
        "youngest age", null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    max_age = models.PositiveSmallIntegerField(
        "oldest age", null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    session_price = models.PositiveIntegerField(
        "drop-in price",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_PRICE)],
        help_text="One session paid with credit, in minor units. Empty: no drop-ins paid with credit.",
    )
    currency = models.CharField(max_length=3)
    passes = models.ManyToManyField(
        Package,
        through="CoursePass",
        blank=True,
        related_name="courses",
        help_text="Class passes (punch cards) a session may use.",
    )
    term_package = models.ForeignKey(
        Package,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="term_courses",
        help_text="Buying it in the store registers for every session still to come.",
    )
    waivers = models.ManyToManyField(
        WaiverTemplate,
        through="CourseWaiver",
        blank=True,
        related_name="+",
        help_text="Signed for each registrant; staff see who is missing one.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="course_organization_id_unique"),
            models.UniqueConstraint("organization", Lower("name"), name="course_name_unique"),
        ]

    def __str__(self):
        return self.name


class CoursePass(TenantModel):
    """A class pass a course's sessions accept (set with `through_defaults` naming the organization)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE)
    package = models.ForeignKey(Package, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "package"], name="course_pass_unique")]


class CourseWaiver(TenantModel):
    """A waiver a course needs (set with `through_defaults` naming the organization)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE)
    template = models.ForeignKey(WaiverTemplate, on_delete=models.CASCADE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "template"], name="course_waiver_unique")]


class Session(TenantModel):
    """One meeting of a course."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Empty: the class's.",
    )
    instructor = models.CharField(max_length=120, blank=True, help_text="Empty: the class's.")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="session_organization_id_unique"),
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="session_time_order"),
        ]
        indexes = [models.Index(fields=["organization", "starts_at"], name="session_calendar_idx")]

    def __str__(self):
        return f"{self.course} {self.starts_at:%Y-%m-%d %H:%M}"


class PaidWith(models.TextChoices):
    TERM = "term", "Term"
    PASS = "pass", "Class pass"
    CREDIT = "credit", "Credit"
    DESK = "desk", "At the desk"


class Registration(TenantModel):
    """A customer's place in one session, and what pays for it: the term they bought, a class pass (punched
    at check-in), credit, or the desk."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="registrations")
    registered_by = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="A guardian."
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    paid_with = models.CharField(max_length=10, choices=PaidWith.choices)
    term_purchase = models.ForeignKey(
        Purchase, on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    punch_card = models.ForeignKey(
        PunchCard, on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    credit_entry = models.OneToOneField(
        CreditEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="registration"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="registration_organization_id_unique"
            ),
            models.UniqueConstraint(
                fields=["session", "customer"],
                condition=Q(cancelled_at=None),
                name="registration_once_per_session",
            ),
        ]
        indexes = [models.Index(fields=["organization", "customer"], name="registration_customer_idx")]

    def __str__(self):
        return f"{self.customer_id} in {self.session_id}"


class RegistrationEvent(models.TextChoices):
    REGISTERED = "class.registered", "Registered for a class"
    CANCELLED = "class.cancelled", "Class registration cancelled"
    CHECKED_IN = "class.checked_in", "Checked in to a class"


class CourseAudit(models.TextChoices):
    """What the organization's audit trail records of classes."""

    SAVED = "class.course_saved", "Class saved"
    ARCHIVED = "class.course_archived", "Class archived"
    RESTORED = "class.course_restored", "Class restored"
    SCHEDULED = "class.sessions_added", "Class sessions added"
    SESSION_CANCELLED = "class.session_cancelled", "Class session cancelled"
