"""Reads of intake answers: stored answers back in their field's type, as people read them, and the answers
waiting for review on a profile."""

from datetime import date
from decimal import Decimal

from customers.fields import CustomerField, customer_fields
from customers.models import Customer, FieldType
from intake.models import PendingChange

EMPTY = ("", None, [])


def answer_value(item: CustomerField, stored):
    """A stored answer (see jsonable) back in the type its field holds."""
    if stored is None:
        return None
    if item.name == "birthday" or item.type == FieldType.DATE:
        return date.fromisoformat(stored)
    if item.type == FieldType.NUMBER:
        return Decimal(stored)
    return stored


def answer_display(item: CustomerField, value) -> str:
    """An answer as people read it: choices by their label, yes/no as words."""
    if item.custom is None and value not in EMPTY:
        choices = dict(Customer._meta.get_field(item.name).choices or ())
        if value in choices:
            return str(choices[value])
    return str(item.display_value(value))


def form_responses(customer: Customer, audience: str) -> list[dict]:
    """The answers waiting for review on this customer that `audience` may see and edit, oldest first."""
    fields = {field.name: field for field in customer_fields(audience) if field.editable_by(audience)}
    changes = PendingChange.objects.filter(customer=customer, status=PendingChange.Status.PENDING)
    rows = []
    for change in changes.order_by("submitted_at", "id"):
        item = fields.get(change.field)
        if item is not None:
            rows.append(
                {
                    "change": change,
                    "label": item.label,
                    "on_file": answer_display(item, item.value(customer)),
                    "proposed": answer_display(item, answer_value(item, change.proposed)),
                }
            )
    return rows
