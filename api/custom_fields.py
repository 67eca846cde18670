"""Custom fields: the definitions staff may see, and a customer's values, read and set with the validation and
the service of the profile's edit (only fields staff may see and edit). Values are as the customers resource
has them under `custom`: keyed by each field's key (cf_<id> for one without), choices by their label."""

import copy
from typing import Any

from ninja import Query, Router, Schema, Status

from api.auth import scoped
from api.common import CursorPage, FieldErrors, PageParams, Problem, paginate
from api.custom_values import CustomValue, custom_out, form_data, form_errors
from api.resources import customer_of
from customers.fields import CustomerField, customer_fields
from customers.forms import CustomerForm
from customers.models import Audience, CustomField
from customers.rules import Channel, Rule, channel_rules
from customers.services import customer_update

router = Router()


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


class ValuesOut(Schema):
    values: dict[str, Any]


class ValuesIn(Schema):
    values: dict[str, CustomValue]


def _staff_fields() -> dict[int, CustomerField]:
    """{id: field} of the live custom fields the Staff role may see."""
    return {item.custom.pk: item for item in customer_fields(Audience.STAFF) if item.custom}


def _field_out(item: CustomerField) -> dict:
    custom = item.custom
    return {
        "id": custom.pk,
        "key": custom.key or item.name,
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


@router.get(
    "/custom-fields/",
    response={200: CursorPage[FieldOut], 403: Problem, 422: Problem},
    summary="Custom field definitions",
)
def field_list(request, page: Query[PageParams]):
    scoped(request, "fields")
    fields = _staff_fields()
    result = paginate(request, CustomField.objects.filter(pk__in=list(fields)), page)
    return {**result, "items": [_field_out(fields[custom.pk]) for custom in result["items"]]}


@router.get(
    "/custom-fields/{field_id}/",
    response={200: FieldOut, 403: Problem, 404: Problem, 422: Problem},
    summary="A custom field",
)
def field_read(request, field_id: int):
    scoped(request, "fields")
    item = _staff_fields().get(field_id)
    if item is None:
        return Status(404, {"detail": "No such custom field."})
    return _field_out(item)


@router.get(
    "/customers/{customer_id}/custom/",
    response={200: ValuesOut, 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's custom field values",
    description="Keyed by each field's key: choices by their label, dates as YYYY-MM-DD, null for no value.",
)
def values_read(request, customer_id: int):
    scoped(request, "fields")
    return {"values": custom_out(customer_of(customer_id))}


@router.put(
    "/customers/{customer_id}/custom/",
    response={200: ValuesOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Set a customer's custom field values",
    description="Sets the fields named (null clears one) and keeps the others, with the profile's "
    "validation and rules: only fields staff may edit and the Staff Portal shows; one it requires cannot be "
    "cleared. The change is in the customer's Activity Log.",
)
def values_write(request, customer_id: int, body: ValuesIn):
    scoped(request, "fields", write=True)
    customer = customer_of(customer_id)
    data, errors = form_data({"custom": body.values})
    staff_rules = channel_rules(Channel.STAFF)
    rules = {name: staff_rules.get(name, Rule.HIDDEN) for name in data}
    keys = {item.name: item.custom.key or item.name for item in _staff_fields().values()}
    for name in [name for name, rule in rules.items() if rule == Rule.HIDDEN]:
        errors[f"custom.{keys[name]}"] = ["Hidden in the Staff Portal: staff cannot edit it."]
    if errors:
        raise FieldErrors(errors)
    form = CustomerForm(data, instance=copy.copy(customer), audience=Audience.STAFF, rules=rules)
    if not form.is_valid():
        raise FieldErrors(form_errors(form))
    customer_update(customer=customer, data=form.cleaned_data, by=None)
    return {"values": custom_out(customer)}
