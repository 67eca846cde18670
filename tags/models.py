from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accounts.tenancy import TenantModel
from customers.models import Customer


class TagEvent(models.TextChoices):
    """The Activity Log's kinds of event about tags."""

    TAGS = "tags", "Tags"


class Color(models.TextChoices):
    """A small palette, each drawn by a `tag-<color>` class (CSP allows no inline styles)."""

    GRAY = "gray", "Gray"
    BLUE = "blue", "Blue"
    TEAL = "teal", "Teal"
    GREEN = "green", "Green"
    YELLOW = "yellow", "Yellow"
    ORANGE = "orange", "Orange"
    RED = "red", "Red"
    PINK = "pink", "Pink"
    PURPLE = "purple", "Purple"


class Tag(TenantModel):
    name = models.CharField(max_length=60)
    color = models.CharField(max_length=10, choices=Color.choices, default=Color.GRAY)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="tag_name_unique"),
            models.CheckConstraint(condition=models.Q(color__in=Color.values), name="tag_color_valid"),
            # The target of the composite foreign key that keeps a customer's tags inside one organization.
            models.UniqueConstraint(fields=["organization", "id"], name="tag_organization_id_unique"),
        ]

    def __str__(self):
        return self.name


class CustomerTag(TenantModel):
    # Both are enforced by composite foreign keys, (organization, customer) and (organization, tag), added in
    # the migration; they also keep a row inside one organization. Plain keys would be checked a second time
    # for each row when thousands are tagged at once, and the unique (customer, tag) and (organization, tag,
    # customer) indexes serve every lookup, the key checks' included. The organization needs no plain key
    # (the composite key to the customer proves it) nor an index of its own (the filter index leads with it).
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, editable=False, db_index=False, db_constraint=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="assignments", db_index=False, db_constraint=False
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "tag"], name="customer_tag_unique")]
        indexes = [models.Index(fields=["organization", "tag", "customer"], name="customer_tag_filter_idx")]

    def __str__(self):
        return f"{self.customer_id}: {self.tag_id}"


class TagAudit(models.TextChoices):
    """What the organization's audit trail records of tags."""

    TAG_CREATED = "tag.created", "Tag created"
    TAG_CHANGED = "tag.changed", "Tag changed"
    TAG_MERGED = "tag.merged", "Tags merged"
    TAG_DELETED = "tag.deleted", "Tag deleted"
