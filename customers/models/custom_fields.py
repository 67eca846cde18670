"""What an organization asks about its customers: field rules per channel (Required Customer Fields), custom
fields with their options and values, and intake forms."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual

from accounts.tenancy import TenantModel
from customers.models.roster import KEY_COLLATION, Customer
from customers.rules import Channel, Rule


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
            # The target of the same-organization keys of options and values.
            models.UniqueConstraint(
                fields=["organization", "id"], name="custom_field_organization_id_unique"
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
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id"], name="custom_field_option_organization_id_unique"
            )
        ]

    def __str__(self):
        return self.label


KEY_LENGTH = 100  # a value's normalized key is cut here (search reads prefixes)


class CustomFieldValue(TenantModel):
    """One customer's value of one custom field, in the column of its type so every filter is an index range.

    Typed columns, not JSONB: row-level security lets only leakproof operators into index conditions, and no
    jsonb operator is leakproof (nor is numeric's; numbers are filtered on a float column, shown as typed).
    A multiple choice answer is one row per chosen option."""

    # No index of their own: custom_value_unique leads with customer_id, and options are looked up by the
    # partial custom_value_option_fk_idx (deleting an option checks for values). No plain key either: all
    # three are enforced by composite (organization, …) foreign keys added in migrations, which also keep a
    # value inside one organization; plain keys would check each imported value a second time.
    # Nor a plain key to the organization: the composite key to the customer (who has one) proves it, and an
    # import would check it again at commit for every value.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, editable=False, db_constraint=False
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="custom_values", db_index=False, db_constraint=False
    )
    field = models.ForeignKey(
        CustomField, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    text = models.TextField(blank=True, help_text="Text types as entered; numbers as typed.")
    key = models.CharField(
        max_length=KEY_LENGTH,
        blank=True,
        db_collation=KEY_COLLATION,
        help_text="Normalized text, for search.",
    )
    number = models.FloatField(null=True)
    date = models.DateField(null=True)
    flag = models.BooleanField(null=True)
    option = models.ForeignKey(
        CustomFieldOption,
        on_delete=models.RESTRICT,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "field", "option"], nulls_distinct=False, name="custom_value_unique"
            )
        ]
        # Partial, one per typed column: a value enters only the index of its own type (an import writes
        # 3-4 index entries per value, not 11), and each filter is an index range of its field's values.
        indexes = [
            models.Index(
                fields=["organization", "field", "option", "customer"],
                condition=models.Q(option__isnull=False),
                name="custom_value_option_idx",
            ),
            models.Index(
                fields=["organization", "field", "date", "customer"],
                condition=models.Q(date__isnull=False),
                name="custom_value_date_idx",
            ),
            models.Index(
                fields=["organization", "field", "number", "customer"],
                condition=models.Q(number__isnull=False),
                name="custom_value_number_idx",
            ),
            models.Index(
                fields=["organization", "field", "flag", "customer"],
                condition=models.Q(flag__isnull=False),
                name="custom_value_flag_idx",
            ),
            # Search (key ^@) and "contains" (LIKE on key, read from the index alone: an index-only scan).
            models.Index(
                fields=["organization", "field", "key", "customer"],
                condition=~models.Q(key=""),
                name="custom_value_key_idx",
            ),
            # The few values whose key was cut at KEY_LENGTH: "contains" reads their text.
            models.Index(
                fields=["organization", "field", "customer"],
                condition=models.Q(GreaterThanOrEqual(Length("key"), KEY_LENGTH)),
                name="custom_value_long_text_idx",
            ),
            models.Index(
                fields=["option"], condition=models.Q(option__isnull=False), name="custom_value_option_fk_idx"
            ),
        ]

    def __str__(self):
        return f"{self.field_id}={self.text or self.number or self.date or self.flag or self.option_id}"
