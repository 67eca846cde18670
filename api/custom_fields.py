"""Custom fields: the definitions staff may see, and a customer's values, read and set with the validation and
the service of the profile's edit (only fields staff may see and edit)."""

import copy
from typing import Any

from ninja import Query, Router, Schema, Status

from api.auth import scoped
from api.resources import FieldErrors, PageQuery, Problem, customer_of, form_refused, page, within
from customers.fields import CustomerField, custom_data, customer_fields, jsonable
from customers.forms import CustomerForm
from customers.models import Audience, CustomField
from customers.rules import Channel, Rule, channel_rules
from customers.services import customer_update

router = Router(tags=["Custom fields"])
Value = str | int | float | bool | list[int] | None


class OptionOut(Schema):
    id: int
    label: str
    retired: bool


class FieldOut(Schema):
    id: int
    key: str
    label: str
    type: str
    help_text: str
    scope: str
    editable: bool
    min_length: int | None
    max_length: int | None
    min_value: float | None
    max_value: float | None
    options: list[OptionOut]


class FieldPage(Schema):
    items: list[FieldOut]
    next_cursor: str | None


class ValuesOut(Schema):
    values: dict[str, Any]


class ValuesIn(Schema):
    values: dict[str, Value]


def _api_key(item: CustomerField) -> str:
    """How the API names a field: its key, or cf_<id> for one without."""
    return item.custom.key or item.name


def _field_out(item: CustomerField) -> dict:
    custom = item.custom
    return {
        "id": custom.pk,
        "key": _api_key(item),
        "label": custom.label,
        "type": custom.type,
        "help_text": custom.help_text,
        "scope": custom.scope,
        "editable": item.editable_by(Audience.STAFF),
        "min_length": custom.min_length,
        "max_length": custom.max_length,
        "min_value": custom.min_value,
        "max_value": custom.max_value,
        "options": [
            {"id": option.pk, "label": option.label, "retired": option.retired_at is not None}
            for option in item.options
        ],
    }


def _staff_fields() -> dict[int, CustomerField]:
    """{id: field} of the live custom fields the Staff role may see."""
    return {item.custom.pk: item for item in customer_fields(Audience.STAFF) if item.custom}


def _values(customer) -> dict:
    data = custom_data(customer)
    return {_api_key(item): jsonable(data.get(item.name)) for item in _staff_fields().values()}


@router.get("/custom-fields/", response={200: FieldPage}, summary="Custom field definitions")
def field_list(request, query: Query[PageQuery]):
    key = scoped(request, "fields")
    with within(key):
        fields = _staff_fields()
        result = page(CustomField.objects.filter(pk__in=list(fields)).order_by("id"), query)
        return {**result, "items": [_field_out(fields[custom.pk]) for custom in result["items"]]}


@router.get("/custom-fields/{field_id}/", response={200: FieldOut, 404: Problem}, summary="A custom field")
def field_detail(request, field_id: int):
    key = scoped(request, "fields")
    with within(key):
        item = _staff_fields().get(field_id)
        if item is None:
            return Status(404, {"detail": "No such custom field."})
        return _field_out(item)


@router.get(
    "/customers/{customer_id}/custom/",
    response={200: ValuesOut, 404: Problem},
    summary="A customer's custom field values",
    description="Keyed by each field's key (cf_<id> for a field without one): choices as option ids, numbers "
    "as text, dates as YYYY-MM-DD, null for no value.",
)
def values_read(request, customer_id: int):
    key = scoped(request, "fields")
    with within(key):
        return {"values": _values(customer_of(customer_id))}


def _form_value(value: Value):
    """A JSON value as the profile's form posts it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [str(item) for item in value]
    return "" if value is None else str(value)


@router.put(
    "/customers/{customer_id}/custom/",
    response={200: ValuesOut, 404: Problem, 422: FieldErrors},
    summary="Set a customer's custom field values",
    description="Sets the fields named (by key or cf_<id>; null clears one) and keeps the others, with the "
    "profile's validation and rules: only fields staff may edit; a field the Staff Portal requires cannot be "
    "cleared. The change is in the customer's Activity Log.",
)
def values_write(request, customer_id: int, body: ValuesIn):
    key = scoped(request, "fields", write=True)
    with within(key):
        customer = customer_of(customer_id)
        staff_rules = channel_rules(Channel.STAFF)
        fields = {
            _api_key(item): item
            for item in _staff_fields().values()
            if item.editable_by(Audience.STAFF) and staff_rules.get(item.name, Rule.HIDDEN) != Rule.HIDDEN
        }
        unknown = sorted(set(body.values) - set(fields))
        if unknown:
            detail = f"Unknown, or not editable by staff: {', '.join(unknown)}."
            return Status(
                422, {"detail": detail, "errors": {name: ["No such field to edit."] for name in unknown}}
            )
        rules = {fields[name].name: staff_rules[fields[name].name] for name in body.values}
        data = {fields[name].name: _form_value(value) for name, value in body.values.items()}
        form = CustomerForm(data, instance=copy.copy(customer), audience=Audience.STAFF, rules=rules)
        if not form.is_valid():
            return form_refused(form, names={item.name: name for name, item in fields.items()})
        customer_update(customer=customer, data=form.cleaned_data, by=None)
        return {"values": _values(customer)}
