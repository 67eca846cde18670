"""The customer field registry: built-in fields and the organization's custom fields as one ordered list,
which every form, the profile, the Required Customer Fields grid, filters and exports are drawn from.

A field says who may see and edit it (an *audience*: a staff role, the customer, a guardian). Built-in fields
are the person's own details: everyone who sees the customer sees them, and channel rules decide what each
form asks. Custom fields carry their own visibility; a field an audience may not see is left out entirely."""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from django import forms
from django.core.cache import cache

from accounts.emails import EmailAddressFormField
from customers.extend import read_once
from customers.models import (
    KEY_LENGTH,
    Audience,
    Customer,
    CustomField,
    CustomFieldOption,
    CustomFieldValue,
    FieldType,
    Scope,
)
from customers.search import normalize


@dataclass(frozen=True)
class CustomerField:
    name: str
    group: str
    label: str
    custom: CustomField | None = None
    options: tuple[CustomFieldOption, ...] = field(default=())

    @property
    def type(self) -> str | None:
        return self.custom.type if self.custom else None

    @property
    def help_text(self) -> str:
        return self.custom.help_text if self.custom else ""

    def visible_to(self, audience: str) -> bool:
        return self.custom is None or audience in self.custom.visible_to

    def editable_by(self, audience: str) -> bool:
        return self.custom is None or audience in self.custom.editable_by

    @property
    def open_to_customer(self) -> bool:
        """May the customer fill it in themselves (online forms, self-service)?"""
        return self.custom is None or (
            self.custom.scope == Scope.PERSON and Audience.CUSTOMER in self.custom.editable_by
        )

    def value(self, customer: Customer):
        if self.custom is None:
            return getattr(customer, self.name)
        return custom_data(customer).get(self.name)

    def display(self, customer: Customer):
        """The value as people read it (profile, exports): choices by label, yes/no as words."""
        value = self.value(customer)
        if self.custom is None:
            display = getattr(customer, f"get_{self.name}_display", None)
            if display:
                return display()
        return self.display_value(value)

    def display_value(self, value):
        if value is None or value == [] or value == "":
            return ""
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if self.type in (FieldType.CHOICE, FieldType.MULTIPLE_CHOICE):
            chosen = value if isinstance(value, list) else [value]
            return ", ".join(self.option_labels.get(option_id, "?") for option_id in chosen)
        return value

    @cached_property
    def option_labels(self) -> dict[int, str]:
        """Built once: an import shows a label for each of its rows."""
        return {option.pk: option.label for option in self.options}

    def formfield(self, current=None) -> forms.Field:
        """The form field of a custom field (built-in ones come from the model form). A retired option
        stays offered to a customer who has it, so saving their form does not drop it unasked."""
        return _formfield(self, current)


def _builtin(name: str, group: str) -> CustomerField:
    return CustomerField(name, group, str(Customer._meta.get_field(name).verbose_name).capitalize())


BUILTIN_FIELDS = [
    _builtin("first_name", "Name"),
    _builtin("last_name", "Name"),
    _builtin("email", "Contact"),
    _builtin("phone", "Contact"),
    _builtin("birthday", "Personal"),
    _builtin("gender", "Personal"),
    _builtin("address_line1", "Address"),
    _builtin("address_line2", "Address"),
    _builtin("city", "Address"),
    _builtin("region", "Address"),
    _builtin("postal_code", "Address"),
    _builtin("country", "Address"),
    _builtin("emergency_contact_name", "Emergency contact"),
    _builtin("emergency_contact_phone", "Emergency contact"),
    _builtin("marketing_opt_in", "Preferences"),
    _builtin("number", "Internal"),
]
BUILTIN_NAMES = frozenset(field.name for field in BUILTIN_FIELDS)
CUSTOM_GROUP = "More about them"
CACHE_KEY = "custom-fields"  # the cache key function adds the organization


# A registry read once for a block of work (registry_pinned), instead of once per form of a batch.
_pinned: ContextVar[list[CustomerField] | None] = ContextVar("pinned_custom_fields", default=None)


@contextmanager
def registry_pinned():
    """Read the custom fields once for the enclosed block: a batch builds a form per item."""
    token = _pinned.set(_custom_registry())
    try:
        yield
    finally:
        _pinned.reset(token)


def _custom_registry() -> list[CustomerField]:
    """Every custom field of the organization, retired ones included, in their order."""
    registry = _pinned.get()
    if registry is not None:
        return registry
    return read_once(_cached_registry)  # a profile asks for it from several boxes


def _cached_registry() -> list[CustomerField]:
    return cache.get_or_set(CACHE_KEY, _registry_from_database, 3600)


def _registry_from_database() -> list[CustomerField]:
    fields = list(CustomField.objects.order_by("position", "id"))
    options: dict[int, list] = {}
    for option in CustomFieldOption.objects.order_by("position", "id"):
        options.setdefault(option.field_id, []).append(option)
    return [
        CustomerField(custom.name, CUSTOM_GROUP, custom.label, custom, tuple(options.get(custom.pk, ())))
        for custom in fields
    ]


def forget_custom_fields() -> None:
    cache.delete(CACHE_KEY)


def customer_fields(audience: str | None = None, *, include_retired: bool = False) -> list[CustomerField]:
    """The fields in display order; with an audience, only those it may see."""
    custom = [item for item in _custom_registry() if include_retired or not item.custom.is_retired]
    fields = BUILTIN_FIELDS + custom
    return fields if audience is None else [item for item in fields if item.visible_to(audience)]


def field_labels() -> dict[str, str]:
    """{name: label} of every field ever defined, for history that outlived a field's retirement."""
    return {item.name: item.label for item in customer_fields(include_retired=True)}


def grouped(items, group_of) -> list[tuple[str, list]]:
    """[(group, [items…]), …] keeping the registry's order."""
    groups: dict[str, list] = {}
    for item in items:
        groups.setdefault(group_of(item), []).append(item)
    return list(groups.items())


# Values -------------------------------------------------------------------------------------------------


def load_custom_data(customers) -> None:
    """Read the custom values of these customers in one query, into `customer.custom_data`."""
    customers = list(customers)
    values = custom_values([customer.pk for customer in customers])
    for customer in customers:
        customer.custom_data = values[customer.pk]


def custom_values(customer_ids: list[int]) -> dict[int, dict]:
    """{customer id: {field name: value}} of these customers' custom values, read in one query."""
    by_id: dict[int, dict] = {customer_id: {} for customer_id in customer_ids}
    rows = CustomFieldValue.objects.filter(customer_id__any_of=list(by_id)).order_by("id")
    registry = {item.custom.pk: item for item in _custom_registry()}
    for row in rows.values_list("customer_id", "field_id", "text", "number", "date", "flag", "option_id"):
        customer_id, field_id, text, _number, day, flag, option_id = row
        item = registry.get(field_id)
        if item is None:
            continue
        data = by_id[customer_id]
        match item.type:
            case FieldType.NUMBER:
                data[item.name] = Decimal(text)
            case FieldType.DATE:
                data[item.name] = day
            case FieldType.YES_NO:
                data[item.name] = flag
            case FieldType.CHOICE:
                data[item.name] = option_id
            case FieldType.MULTIPLE_CHOICE:
                data.setdefault(item.name, []).append(option_id)
            case _:
                data[item.name] = text
    positions = {option.pk: option.position for item in registry.values() for option in item.options}
    for data in by_id.values():
        for value in data.values():
            if isinstance(value, list):
                value.sort(key=lambda option_id: positions.get(option_id, 0))
    return by_id


def custom_data(customer: Customer) -> dict:
    if not hasattr(customer, "custom_data"):
        load_custom_data([customer]) if customer.pk else setattr(customer, "custom_data", {})
    return customer.custom_data


def jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# Form fields --------------------------------------------------------------------------------------------

YES_NO_CHOICES = [("", "—"), ("true", "Yes"), ("false", "No")]


def _coerce_yes_no(value):
    return {"true": True, "false": False}.get(value)


def _formfield(item: CustomerField, current) -> forms.Field:
    from customers.forms import clean_phone

    custom = item.custom
    common = {"label": item.label, "help_text": custom.help_text, "required": False}
    text_limits = {"min_length": custom.min_length, "max_length": custom.max_length}
    match custom.type:
        case FieldType.TEXT:
            return forms.CharField(**common, **(text_limits | {"max_length": custom.max_length or 500}))
        case FieldType.LONG_TEXT:
            return forms.CharField(
                **common,
                **(text_limits | {"max_length": custom.max_length or 5000}),
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        case FieldType.NUMBER:
            return forms.DecimalField(
                **common,
                min_value=custom.min_value,
                max_value=custom.max_value,
                max_digits=15,
                decimal_places=4,
            )
        case FieldType.DATE:
            return forms.DateField(**common, widget=forms.DateInput(attrs={"type": "date"}))
        case FieldType.YES_NO:
            return forms.TypedChoiceField(
                **common, choices=YES_NO_CHOICES, coerce=_coerce_yes_no, empty_value=None
            )
        case FieldType.CHOICE | FieldType.MULTIPLE_CHOICE:
            kept = set(current if isinstance(current, list) else [current])
            choices = [
                (option.pk, option.label)
                for option in item.options
                if option.retired_at is None or option.pk in kept
            ]
            if custom.type == FieldType.CHOICE:
                return forms.TypedChoiceField(
                    **common, choices=[("", "—"), *choices], coerce=int, empty_value=None
                )
            return forms.TypedMultipleChoiceField(
                **common, choices=choices, coerce=int, widget=forms.CheckboxSelectMultiple
            )
        case FieldType.EMAIL:
            return EmailAddressFormField(**common)
        case FieldType.PHONE:
            return forms.CharField(**common, max_length=40, validators=[clean_phone])
        case FieldType.URL:
            return forms.URLField(**common, assume_scheme="https", max_length=500)
    raise ValueError(f"Unknown field type {custom.type}")


def custom_value_columns(item: CustomerField, value) -> list[dict]:
    """The stored form of one custom field's value: a row's typed columns ({column: value}) per stored row."""
    match item.type:
        case FieldType.MULTIPLE_CHOICE:
            return [{"option_id": option_id} for option_id in value]
        case FieldType.CHOICE:
            return [{"option_id": value}]
        case FieldType.NUMBER:
            return [{"text": format(value.normalize(), "f"), "number": float(value)}]
        case FieldType.DATE:
            return [{"date": value}]
        case FieldType.YES_NO:
            return [{"flag": value}]
    return [{"text": value, "key": normalize(value)[:KEY_LENGTH]}]


def same_value(before, after) -> bool:
    if isinstance(before, list) or isinstance(after, list):
        return sorted(before or []) == sorted(after or [])
    return before == after
