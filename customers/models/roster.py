"""The roster itself: customers, their activity log, bulk operations on them and saved roster views."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.audit import caller_label
from accounts.emails import EmailAddressField
from accounts.tenancy import TenantManager, TenantModel
from customers.extend import BulkAction, activity_kind_labels, find
from customers.models.duplicates import AddressKey, EmailKey, PhoneKey

# Sort and search keys use the "C" collation so that a prefix match (`^@`, see customers.lookups) walks the
# same btree index that orders the roster: a page of matches stops at its LIMIT instead of sorting them all.
KEY_COLLATION = "C"


def age_on(birthday, day) -> int:
    return day.year - birthday.year - ((day.month, day.day) < (birthday.month, birthday.day))


class Source(models.TextChoices):
    STAFF = "staff", "Staff"
    ONLINE_BOOKING = "online_booking", "Online booking"
    ONLINE_STORE = "online_store", "Online store"
    IMPORT = "import", "Import"
    API = "api", "API"
    FORM = "form", "Intake form"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NON_BINARY = "non_binary", "Non-binary"
    UNDISCLOSED = "undisclosed", "Prefer not to say"


class CustomerManager(TenantManager):
    """The roster: a customer merged into another (a tombstone) is on no list, search, segment or export."""

    def get_queryset(self):
        return super().get_queryset().filter(merged_into=None)

    def with_tombstones(self):
        """The organization's customers, tombstones included: for merges, their undo and redirects."""
        return super().get_queryset()

    def bulk_create(self, objs, *args, **kwargs):
        from customers.search import refresh_keys

        objs = list(objs)
        for customer in objs:
            refresh_keys(customer)
        return super().bulk_create(objs, *args, **kwargs)


class Customer(TenantModel):
    """One entry of an organization's roster."""

    # No index of its own: the (organization, …) indexes lead with it, and each customer written is one entry
    # fewer to write (an update of indexed columns writes all of them again).
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, editable=False, db_index=False
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = EmailAddressField(blank=True)
    phone = models.CharField(max_length=40, blank=True)  # as typed; phone_digits is the normalized form
    phone_digits = models.CharField(
        max_length=20, blank=True, editable=False, db_collation=KEY_COLLATION, help_text="E.164 digits."
    )
    birthday = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    address_line1 = models.CharField("address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    marketing_opt_in = models.BooleanField("marketing emails", default=False)
    # A contact preference staff set (profile → Loyalty): exports leave them out, package invites must too.
    do_not_solicit = models.BooleanField(default=False, db_default=False, editable=False)
    number = models.CharField("customer number", max_length=40, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.STAFF, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="customer_records",
        help_text="The customer's own login, once they have one.",
    )

    # Search keys: lowercased, accents removed (see customers.search.normalize); kept by save().
    first_key = models.CharField(max_length=100, db_collation=KEY_COLLATION, editable=False)
    last_key = models.CharField(max_length=100, db_collation=KEY_COLLATION, editable=False)
    name_key = models.CharField(max_length=201, db_collation=KEY_COLLATION, editable=False)
    email_key = models.CharField(max_length=254, db_collation=KEY_COLLATION, editable=False, blank=True)
    email_domain = models.CharField(max_length=254, db_collation=KEY_COLLATION, editable=False, blank=True)
    phone_rev = models.CharField(max_length=20, db_collation=KEY_COLLATION, editable=False, blank=True)
    number_key = models.CharField(max_length=40, db_collation=KEY_COLLATION, editable=False, blank=True)
    # The duplicate finder's match keys (customers.duplicates), computed by PostgreSQL from the fields above.
    email_match = models.GeneratedField(
        expression=EmailKey("email"), output_field=models.TextField(), db_persist=True
    )
    phone_match = models.GeneratedField(
        expression=PhoneKey("phone_digits"), output_field=models.TextField(), db_persist=True
    )
    address_match = models.GeneratedField(
        expression=AddressKey("address_line1", "postal_code"),
        output_field=models.TextField(),
        db_persist=True,
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A tombstone: this entry was merged into that customer (customers.merge), whose profile it redirects to.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
        db_constraint=False,  # the composite (organization, merged_into) key checks it, in the organization
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CustomerManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=~models.Q(email=""),
                name="customer_email_unique_per_org",
            ),
            models.UniqueConstraint(
                fields=["organization", "number_key"],
                condition=~models.Q(number_key=""),
                name="customer_number_unique_per_org",
            ),
            # The target of composite foreign keys that keep links between customers inside one organization.
            models.UniqueConstraint(fields=["organization", "id"], name="customer_organization_id_unique"),
        ]
        indexes = [
            models.Index(
                fields=["organization", "last_key", "first_key", "id"], name="customer_roster_order_idx"
            ),
            models.Index(
                fields=["organization", "first_key", "last_key", "id"], name="customer_first_order_idx"
            ),
            models.Index(fields=["organization", "email_key"], name="customer_email_key_idx"),
            models.Index(fields=["organization", "phone_rev"], name="customer_phone_rev_idx"),
            models.Index(fields=["organization", "created_at"], name="customer_created_idx"),
            models.Index(fields=["organization", "updated_at", "id"], name="customer_updated_idx"),
            models.Index(
                fields=["organization", "email_domain", "email_key"], name="customer_email_domain_idx"
            ),
            models.Index(fields=["organization", "phone_digits"], name="customer_phone_idx"),
            models.Index(fields=["organization", "number_key"], name="customer_number_key_idx"),
            models.Index(fields=["organization", "name_key"], name="customer_name_key_idx"),
            # Reports → Customers reads every column it counts from this index alone (an index-only scan):
            # customers not merged away only, as the default manager selects them.
            models.Index(
                fields=["organization", "archived_at"],
                include=["id", "created_at", "birthday", "source", "user", "email"],
                condition=models.Q(merged_into__isnull=True),
                name="customer_report_idx",
            ),
            models.Index(fields=["organization", "birthday"], name="customer_birthday_idx"),
            models.Index(
                fields=["organization", "email_match"],
                condition=~models.Q(email_match=""),
                name="customer_email_match_idx",
            ),
            models.Index(
                fields=["organization", "phone_match"],
                condition=~models.Q(phone_match=""),
                name="customer_phone_match_idx",
            ),
            models.Index(
                fields=["organization", "address_match"],
                condition=~models.Q(address_match=""),
                name="customer_address_match_idx",
            ),
            models.Index(
                fields=["organization", "merged_into"],
                condition=models.Q(merged_into__isnull=False),
                name="customer_tombstone_idx",
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def age(self) -> int | None:
        """Age today in the active (the organization's) time zone."""
        return age_on(self.birthday, timezone.localdate()) if self.birthday else None

    @property
    def is_tombstone(self) -> bool:
        return self.merged_into_id is not None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def save(self, *args, **kwargs):
        from customers.search import refresh_keys

        refresh_keys(self)
        super().save(*args, **kwargs)


class Activity(TenantModel):
    """One event in a customer's history, written by the service that made the change."""

    class Kind(models.TextChoices):
        """The roster's own kinds of event; feature apps register theirs (customers.extend.ActivityKinds)."""

        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        ARCHIVED = "archived", "Archived"
        RESTORED = "restored", "Restored"
        DELETED = "deleted", "Deleted"
        MERGED = "merged", "Merged"
        MERGE_UNDONE = "merge_undone", "Merge undone"

    # No index of its own: activity_customer_idx leads with it.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, editable=False, db_index=False
    )
    # Enforced by a composite (organization, customer) foreign key from a migration (see CustomFieldValue).
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="activities", db_constraint=False
    )
    customer_label = models.CharField(max_length=250, help_text="Who it was about, kept after a deletion.")
    kind = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_label = models.CharField(
        max_length=150,
        blank=True,
        default=caller_label,
        help_text="What acted when no person did, e.g. API key “Website”.",
    )
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}")
    # Text, not a bounded column: it names people, forms and permissions, whose lengths add up.
    detail = models.TextField(blank=True, help_text="Where it came from, e.g. which form.")
    subject_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The feature app's record the event is about (e.g. a note), so that app can hide the event "
        "from staff who may not read that record.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "customer", "-created_at"], name="activity_customer_idx"),
            models.Index(
                fields=["subject_id"],
                condition=models.Q(subject_id__isnull=False),
                name="activity_subject_idx",
            ),
        ]

    def __str__(self):
        return f"{self.kind_label} {self.customer_label}"

    @property
    def kind_label(self) -> str:
        return activity_kind_labels().get(self.kind, self.kind)


class BulkOperation(TenantModel):
    """A bulk action on many customers, run by a worker; the roster polls it for progress."""

    action = models.CharField(max_length=20, help_text="The key of a registered customers.extend.BulkAction.")
    params = models.JSONField(default=dict, blank=True, help_text='What the action needs, e.g. {"tag": 7}.')
    customer_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField()
    done = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.bulk_action.label} {self.total}"

    @property
    def bulk_action(self):
        return find(BulkAction, self.action)

    @property
    def description(self) -> str:
        """What the action was given, as its messages name it: (“VIP”)."""
        return self.bulk_action.describe(self.params)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


class Segment(TenantModel):
    """A saved roster view: its search, A–Z letter and filters as a query string (the conditions, not the
    customers, so it stays right as the roster changes). Shared with the team or kept private."""

    name = models.CharField(max_length=80)
    query = models.TextField(help_text="The roster's query string, e.g. q=smith&tag=3&tag_mode=all.")
    shared = models.BooleanField("share with the team", default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("organization", "owner", Lower("name"), name="segment_name_unique")
        ]

    def __str__(self):
        return self.name


class CustomerAudit(models.TextChoices):
    """What the organization's audit trail records of custom fields, required-fields rules and exports."""

    CUSTOM_FIELD_CREATED = "custom_field.created", "Custom field added"
    CUSTOM_FIELD_CHANGED = "custom_field.changed", "Custom field changed"
    CUSTOM_FIELD_RETIRED = "custom_field.retired", "Custom field retired"
    CUSTOM_FIELD_RESTORED = "custom_field.restored", "Custom field restored"
    CUSTOM_FIELDS_REORDERED = "custom_field.reordered", "Custom fields reordered"
    RULES_CHANGED = "rules.changed", "Required fields changed"
    EXPORT_DOWNLOADED = "export.downloaded", "Customers exported"
    DO_NOT_SOLICIT_CHANGED = "customer.do_not_solicit", "Do not solicit changed"
    CUSTOMERS_MERGED = "customer.merged", "Customers merged"
    MERGE_UNDONE = "customer.merge_undone", "Customer merge undone"
