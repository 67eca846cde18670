"""Who looks after whom (guardian links between customers) and the companies, schools and clubs customers
belong to. Both stay inside one organization: besides row-level security, composite foreign keys on
(organization_id, customer_id) make a link to another organization's customer impossible."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower

from accounts.emails import EmailAddressField
from accounts.tenancy import TenantModel
from customers.models import Customer


class FamilyEvent(models.TextChoices):
    """The Activity Log's kinds of event about families and affiliations."""

    FAMILY = "family", "Family"
    AFFILIATION = "affiliation", "Affiliation"


class Relationship(models.TextChoices):
    PARENT = "parent", "Parent"
    GUARDIAN = "guardian", "Guardian"
    GRANDPARENT = "grandparent", "Grandparent"
    SIBLING = "sibling", "Sibling"
    OTHER = "other", "Other"


class GuardianPermission(models.TextChoices):
    """What a guardian may do for the customer they look after (portal and billing ask `guardian_may`)."""

    VIEW_PROFILE = "view_profile", "View profile"
    EDIT_PROFILE = "edit_profile", "Edit profile"
    BOOK = "book", "Book for them"
    PURCHASE = "purchase", "Buy and assign purchases"
    PAY = "pay", "Pay with own saved cards"
    VIEW_HISTORY = "view_history", "See bookings and payments"
    NOTIFICATIONS = "notifications", "Receive their notifications"


DEFAULT_PERMISSIONS = {
    Relationship.PARENT: list(GuardianPermission.values),
    Relationship.GUARDIAN: list(GuardianPermission.values),
    Relationship.GRANDPARENT: ["view_profile", "book", "purchase", "pay", "view_history"],
    Relationship.SIBLING: ["view_profile", "book"],
    Relationship.OTHER: ["view_profile"],
}


class GuardianLink(TenantModel):
    """`guardian` looks after `dependant`. No self-links, no duplicates, no cycles (a database trigger), at
    most one primary guardian per dependant."""

    guardian = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="dependant_links")
    dependant = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="guardian_links")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    is_primary = models.BooleanField("primary guardian", default=False)
    permissions = ArrayField(
        models.CharField(max_length=20, choices=GuardianPermission.choices), default=list
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guardian", "dependant"], name="guardian_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("dependant")), name="guardian_link_not_self"
            ),
            models.UniqueConstraint(
                fields=["dependant"], condition=models.Q(is_primary=True), name="guardian_link_one_primary"
            ),
            models.CheckConstraint(
                condition=models.Q(permissions__contained_by=GuardianPermission.values),
                name="guardian_link_permissions_valid",
            ),
        ]

    def __str__(self):
        return f"{self.guardian_id} → {self.dependant_id} ({self.relationship})"

    def permission_labels(self) -> list[str]:
        return [
            GuardianPermission(code).label for code in GuardianPermission.values if code in self.permissions
        ]


class AffiliationKind(models.TextChoices):
    SCHOOL = "school", "School"
    COMPANY = "company", "Company"
    CLUB = "club", "Club or team"
    OTHER = "other", "Other"


class AffiliatedOrganization(TenantModel):
    """A company, school or club the business deals with: organizes events, sends field trips."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=AffiliationKind.choices, default=AffiliationKind.SCHOOL)
    contact_name = models.CharField("contact person", max_length=200, blank=True)
    email = EmailAddressField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="affiliated_organization_name_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "id"], name="affiliated_organization_organization_id_unique"
            ),
        ]

    def __str__(self):
        return self.name


class AffiliationRole(models.TextChoices):
    ORGANIZER = "organizer", "Organizer"
    EMPLOYEE = "employee", "Employee"
    TEACHER = "teacher", "Teacher"
    MEMBER = "member", "Member"


class Affiliation(TenantModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="affiliations")
    affiliated = models.ForeignKey(
        AffiliatedOrganization, on_delete=models.CASCADE, related_name="affiliations"
    )
    role = models.CharField(max_length=20, choices=AffiliationRole.choices, default=AffiliationRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "affiliated"], name="affiliation_unique")]

    def __str__(self):
        return f"{self.customer_id} {self.role} of {self.affiliated_id}"
