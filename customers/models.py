from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.tenancy import TenantManager, TenantModel
from customers.rules import Channel, Rule

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
    def bulk_create(self, objs, *args, **kwargs):
        from customers.search import refresh_keys

        objs = list(objs)
        for customer in objs:
            refresh_keys(customer)
        return super().bulk_create(objs, *args, **kwargs)


class Customer(TenantModel):
    """One entry of an organization's roster."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
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

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

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
            models.Index(
                fields=["organization", "email_domain", "email_key"], name="customer_email_domain_idx"
            ),
            models.Index(fields=["organization", "phone_digits"], name="customer_phone_idx"),
            models.Index(fields=["organization", "number_key"], name="customer_number_key_idx"),
            models.Index(fields=["organization", "name_key"], name="customer_name_key_idx"),
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
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def save(self, *args, **kwargs):
        from customers.search import refresh_keys

        refresh_keys(self)
        super().save(*args, **kwargs)


class Activity(TenantModel):
    """One event in a customer's history, written by the service that made the change."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        ARCHIVED = "archived", "Archived"
        RESTORED = "restored", "Restored"
        DELETED = "deleted", "Deleted"
        FORM = "form", "Sent a form"
        FAMILY = "family", "Family"
        AFFILIATION = "affiliation", "Affiliation"
        INVITE = "invite", "Account invite"
        CLAIMED = "claimed", "Claimed their account"
        PORTAL_VIEWED = "portal_viewed", "Portal viewed by staff"
        NOTE = "note", "Note"
        TAGS = "tags", "Tags"
        METRIC = "metric", "Metric"

    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, related_name="activities")
    customer_label = models.CharField(max_length=250, help_text="Who it was about, kept after a deletion.")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}")
    detail = models.CharField(max_length=200, blank=True, help_text="Where it came from, e.g. which form.")
    note = models.ForeignKey(
        "notes.Note",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # a partial index below: most events are about no note
        help_text="The note an event is about: shown only to those who may read that note.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "customer", "-created_at"], name="activity_customer_idx"),
            models.Index(fields=["note"], condition=models.Q(note__isnull=False), name="activity_note_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.customer_label}"


# How the roster reports a finished bulk action: "3 customers tagged".
BULK_DONE = {
    "archive": "archived",
    "restore": "restored",
    "invite": "invited",
    "add_tag": "tagged",
    "remove_tag": "untagged",
}


class BulkOperation(TenantModel):
    """A bulk action on many customers, run by a worker; the roster polls it for progress."""

    class Action(models.TextChoices):
        ARCHIVE = "archive", "Archive"
        RESTORE = "restore", "Restore"
        INVITE = "invite", "Invite"
        ADD_TAG = "add_tag", "Add tag"
        REMOVE_TAG = "remove_tag", "Remove tag"

    action = models.CharField(max_length=20, choices=Action.choices)
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
        return f"{self.get_action_display()} {self.total}"

    @property
    def past_tense(self) -> str:
        return BULK_DONE[self.action]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


class FieldRule(TenantModel):
    """An organization's rule for one customer field in one channel, where it departs from the default."""

    field = models.CharField(max_length=100)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    rule = models.CharField(max_length=10, choices=Rule.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "field", "channel"], name="field_rule_unique"),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="field_rule_channel_valid"
            ),
            models.CheckConstraint(condition=models.Q(rule__in=Rule.values), name="field_rule_rule_valid"),
        ]

    def __str__(self):
        return f"{self.field} / {self.channel}: {self.rule}"


class FieldRuleChange(TenantModel):
    """History of the Required Customer Fields grid: who changed which cell, when, from what to what."""

    field = models.CharField(max_length=100)
    channel = models.CharField(max_length=20)
    before = models.CharField(max_length=10)
    after = models.CharField(max_length=10)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-changed_at"], name="field_rule_change_idx")]

    def __str__(self):
        return f"{self.field} / {self.channel}: {self.before} → {self.after}"


class FieldType(models.TextChoices):
    TEXT = "text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    YES_NO = "yes_no", "Yes / no"
    CHOICE = "choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    URL = "url", "Web address"


TEXT_TYPES = (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL)
CHOICE_TYPES = (FieldType.CHOICE, FieldType.MULTIPLE_CHOICE)


class Scope(models.TextChoices):
    PERSON = "person", "Person — describes the customer; they may see it and fill it in online"
    ROSTER = "roster", "Roster — your own data about the customer; staff only"


class Audience(models.TextChoices):
    """Who may see or edit a custom field: each staff role, the customer, the customer's guardians."""

    OWNER = "owner", "Owners"
    ADMIN = "admin", "Admins"
    STAFF = "staff", "Staff"
    CUSTOMER = "customer", "The customer"
    GUARDIAN = "guardian", "Guardians"


STAFF_AUDIENCES = (Audience.OWNER, Audience.ADMIN, Audience.STAFF)


class CustomField(TenantModel):
    """A field an organization adds to its customers. Retired fields keep their values and can come back."""

    label = models.CharField(max_length=100)
    key = models.SlugField(
        max_length=50, blank=True, help_text="Internal name for imports and the API, e.g. tshirt_size."
    )
    help_text = models.CharField(max_length=300, blank=True)
    type = models.CharField(max_length=20, choices=FieldType.choices)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ROSTER)
    visible_to = ArrayField(models.CharField(max_length=10, choices=Audience.choices), default=list)
    editable_by = ArrayField(models.CharField(max_length=10, choices=Audience.choices), default=list)
    min_length = models.PositiveIntegerField(null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "key"], condition=~models.Q(key=""), name="custom_field_key_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(type__in=FieldType.values), name="custom_field_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(editable_by__contained_by=models.F("visible_to")),
                name="custom_field_edit_implies_see",
            ),
        ]
        indexes = [models.Index(fields=["organization", "position", "id"], name="custom_field_order_idx")]

    def __str__(self):
        return self.label

    @property
    def name(self) -> str:
        """Its name in forms, the Required Customer Fields grid and activity changes."""
        return f"cf_{self.pk}"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def visible_to_display(self) -> str:
        return ", ".join(Audience(audience).label for audience in self.visible_to)

    @property
    def editable_by_display(self) -> str:
        return ", ".join(Audience(audience).label for audience in self.editable_by)


class CustomFieldOption(TenantModel):
    """A choice of a single or multiple choice field. Retired options stay on the customers who have them."""

    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.label


class CustomFieldValue(TenantModel):
    """One customer's value of one custom field, in the column of its type so every filter is an index range.

    Typed columns, not JSONB: row-level security lets only leakproof operators into index conditions, and no
    jsonb operator is leakproof (nor is numeric's; numbers are filtered on a float column, shown as typed).
    A multiple choice answer is one row per chosen option."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="custom_values")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="+", db_index=False)
    text = models.TextField(blank=True, help_text="Text types as entered; numbers as typed.")
    key = models.CharField(
        max_length=100, blank=True, db_collation=KEY_COLLATION, help_text="Normalized text, for search."
    )
    number = models.FloatField(null=True)
    date = models.DateField(null=True)
    flag = models.BooleanField(null=True)
    option = models.ForeignKey(CustomFieldOption, on_delete=models.RESTRICT, null=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "field", "option"], nulls_distinct=False, name="custom_value_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "field", "option", "customer"], name="custom_value_option_idx"
            ),
            models.Index(fields=["organization", "field", "date", "customer"], name="custom_value_date_idx"),
            models.Index(
                fields=["organization", "field", "number", "customer"], name="custom_value_number_idx"
            ),
            models.Index(fields=["organization", "field", "flag", "customer"], name="custom_value_flag_idx"),
            models.Index(fields=["organization", "key", "field"], name="custom_value_key_idx"),
        ]

    def __str__(self):
        return f"{self.field_id}={self.text or self.number or self.date or self.flag or self.option_id}"


class IntakeForm(TenantModel):
    """A public form, `/<org>/forms/<slug>/`, that asks visitors for a chosen set of customer fields."""

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, help_text="The end of the form's link.")
    intro = models.TextField(blank=True, help_text="Shown above the form.")
    fields = models.JSONField(default=list, help_text='[{"name": "email", "required": true}, …] in order.')
    is_open = models.BooleanField("accepting submissions", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="intake_form_slug_unique")
        ]

    def __str__(self):
        return self.title


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
