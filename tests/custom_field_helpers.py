"""What the custom field test modules share: fields made through the service and `fields`, one of every kind
in org A, a fixture registered for every module by tests/conftest.py."""

import pytest

from accounts.tenancy import tenant
from customers import services
from customers.models import (
    STAFF_AUDIENCES,
    Audience,
    CustomField,
    CustomFieldOption,
    FieldType,
    Scope,
)

SETTINGS = "/app/{slug}/settings/custom-fields/"


def make_field(label, field_type, *, options=(), **attributes) -> CustomField:
    attributes = {"visible_to": list(STAFF_AUDIENCES), "editable_by": list(STAFF_AUDIENCES)} | attributes
    field = CustomField(label=label, type=field_type, **attributes)
    rows = [{"option": CustomFieldOption(label=text), "retired": False, "delete": False} for text in options]
    return services.custom_field_save(field=field, options=rows, by=None)


def option_id(field, label) -> int:
    return CustomFieldOption.objects.get(field=field, label=label).pk


@pytest.fixture
def fields(org_a):
    """A field of every kind the tests need, in org A."""
    with tenant(org_a):
        return {
            "size": make_field("T-shirt size", FieldType.CHOICE, options=["S", "M", "L"]),
            "allergies": make_field(
                "Allergies",
                FieldType.TEXT,
                scope=Scope.PERSON,
                visible_to=[*STAFF_AUDIENCES, Audience.CUSTOMER],
                editable_by=[*STAFF_AUDIENCES, Audience.CUSTOMER],
                max_length=40,
            ),
            "joined": make_field("Joined club", FieldType.DATE),
            "visits": make_field("Visits", FieldType.NUMBER, min_value=0, max_value=500),
            "waiver": make_field("Waiver signed", FieldType.YES_NO),
            "sports": make_field("Sports", FieldType.MULTIPLE_CHOICE, options=["Soccer", "Swim", "Climb"]),
            "site": make_field("Website", FieldType.URL),
            "parent_email": make_field("Parent email", FieldType.EMAIL),
            "parent_phone": make_field("Parent phone", FieldType.PHONE),
            "notes": make_field("Long notes", FieldType.LONG_TEXT),
            "secret": make_field(
                "Credit risk",
                FieldType.TEXT,
                visible_to=[Audience.OWNER, Audience.ADMIN],
                editable_by=[Audience.OWNER],
            ),
        }


def edit_url(org, pk) -> str:
    return f"/app/{org.slug}/customers/{pk}/edit/"


BASE = {"first_name": "Jane", "last_name": "Doe"}
