"""The demo organization's public intake form, asking for two of its custom fields."""

from customers.models import CustomField
from intake.models import IntakeForm


def demo_intake_form() -> None:
    asked = CustomField.objects.filter(label__in=["Allergies", "School"]).order_by("position")
    IntakeForm.objects.create(
        title="Birthday party guest registration",
        slug="party-guests",
        intro="Coming to a party with us? Tell us who is coming so we can get everything ready.",
        fields=[
            {"name": "first_name", "required": True},
            {"name": "last_name", "required": True},
            {"name": "email", "required": True},
            {"name": "phone", "required": False},
            {"name": "birthday", "required": True},
            *({"name": field.name, "required": False} for field in asked),
        ],
    )
