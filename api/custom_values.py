"""Custom field values through the API: out as JSON by each field's key, in as the staff form's data, and the
form's errors by the API's names. Every endpoint that shows or takes customer fields reads them here."""

from datetime import date
from decimal import Decimal

from django.utils.html import strip_tags

from customers.fields import custom_data, customer_fields
from customers.models import Audience, Customer, FieldType

AUDIENCE = Audience.STAFF  # a key sees and edits what the organization's staff do
CustomValue = str | int | float | bool | list[str] | None  # int before float: 34 stays "34", not "34.0"


def staff_custom_fields(*, editable: bool = False) -> dict[str, object]:
    """{API key: registry item} of the custom fields staff may see (or edit)."""
    return {
        item.custom.key or item.name: item
        for item in customer_fields(AUDIENCE)
        if item.custom and (not editable or item.editable_by(AUDIENCE))
    }


def _out_value(item, value):
    match value:
        case None | [] | "":
            return None
        case Decimal():
            return float(value)
        case date():
            return value.isoformat()
    if item.type == FieldType.CHOICE:
        return item.display_value(value)
    if item.type == FieldType.MULTIPLE_CHOICE:
        return [item.option_labels.get(option_id, "?") for option_id in value]
    return value


def custom_out(customer: Customer) -> dict:
    return values_out(custom_data(customer), staff_custom_fields())


def values_out(data: dict, fields: dict[str, object]) -> dict:
    """`data`: a customer's custom values by field name; `fields`: `staff_custom_fields()`."""
    # Most customers have a few of the fields: those they lack are null without a call.
    return {
        key: None if (value := data.get(item.name)) is None else _out_value(item, value)
        for key, item in fields.items()
    }


def _option_id(item, label, errors: list[str]):
    options = {option.label.casefold(): option.pk for option in item.options if option.retired_at is None}
    found = options.get(str(label).casefold())
    if found is None:
        errors.append(f"“{label}” is not one of the options: {', '.join(o.label for o in item.options)}.")
    return found


def _form_value(item, value, errors: list[str]):
    """A custom value sent as JSON in the form the staff form's field reads."""
    if value is None:
        return [] if item.type == FieldType.MULTIPLE_CHOICE else ""
    match item.type:
        case FieldType.YES_NO:
            return {True: "true", False: "false"}.get(value, value)
        case FieldType.CHOICE:
            return _option_id(item, value, errors)
        case FieldType.MULTIPLE_CHOICE:
            chosen = value if isinstance(value, list) else [value]
            return [_option_id(item, label, errors) for label in chosen]
    return value if isinstance(value, str) else str(value)


def form_data(payload: dict, *, base: dict | None = None) -> tuple[dict, dict[str, list[str]]]:
    """The staff form's data from a JSON body (over `base`, the stored values, for a PATCH), and the errors of
    custom values that cannot be read (an unknown key, option)."""
    data, errors = dict(base or {}), {}
    for name, value in payload.items():
        if name != "custom":
            data[name] = "" if value is None else value.isoformat() if isinstance(value, date) else value
    fields = staff_custom_fields(editable=True)
    for key, value in (payload.get("custom") or {}).items():
        item = fields.get(key)
        if item is None:
            errors[f"custom.{key}"] = ["No custom field with this key that staff may edit."]
            continue
        problems: list[str] = []
        data[item.name] = _form_value(item, value, problems)
        if problems:
            errors[f"custom.{key}"] = problems
    return data, errors


def form_errors(form) -> dict[str, list[str]]:
    """The form's messages by the API's field names (custom fields by key), as plain text."""
    keys = {item.name: f"custom.{key}" for key, item in staff_custom_fields().items()}
    return {
        keys.get(name, "body" if name == "__all__" else name): [strip_tags(message) for message in messages]
        for name, messages in form.errors.items()
    }
