"""The public intake form a visitor fills in, and the staff form that builds one."""

from django import forms

from customers.fields import customer_fields
from customers.forms import CustomerForm
from customers.models import Audience
from customers.rules import Channel, Rule, allowed, lock_for
from intake.models import IntakeForm


class IntakeCustomerForm(CustomerForm):
    """A visitor filling in an organization's intake form: the form's fields, in its order. The email finds
    the customer they are (or creates one), so it is never "taken". `website` is a honeypot for bots."""

    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, intake: IntakeForm, **kwargs):
        registry = {field.name: field for field in customer_fields()}
        rules = {
            item["name"]: Rule.REQUIRED
            if item["required"] and may_require(registry.get(item["name"]))
            else Rule.OPTIONAL
            for item in intake.fields
        }
        super().__init__(
            *args, rules=rules, audience=Audience.CUSTOMER, channel=Channel.ONLINE_BOOKING, **kwargs
        )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))


# Always on an intake form: the name (every customer has one) and the email (how a submission finds them).
INTAKE_LOCKED = ("first_name", "last_name", "email")


def may_require(field) -> bool:
    """Whether an intake form may make a field compulsory: as the grid allows online (never marketing
    consent)."""
    return field is not None and allowed(field, Channel.ONLINE_BOOKING, Rule.REQUIRED)


def intake_choices() -> list:
    """Fields an intake form may ask: the ones a customer may fill in themselves."""
    return [field for field in customer_fields() if field.open_to_customer and field.name != "number"]


class IntakeFormForm(forms.ModelForm):
    """An intake form's settings. Its fields come from the field picker (`field`, `required:<name>` posts)."""

    class Meta:
        model = IntakeForm
        fields = ["title", "slug", "intro", "is_open"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.choices = {field.name: field for field in intake_choices()}
        chosen = self.instance.fields or [{"name": name, "required": True} for name in INTAKE_LOCKED]
        self.picked = [item for item in chosen if item["name"] in self.choices]
        if self.is_bound:
            self.picked = [
                {"name": name, "required": name in INTAKE_LOCKED or f"required:{name}" in self.data}
                for name in dict.fromkeys(self.data.getlist("field"))
                if name in self.choices
            ]
            self.picked += [
                {"name": name, "required": True}
                for name in INTAKE_LOCKED
                if name not in {item["name"] for item in self.picked}
            ]

    @property
    def picker_rows(self) -> list[dict]:
        """Every field that may be asked: the chosen ones first, in the form's order."""
        picked = {item["name"]: item for item in self.picked}
        order = [item["name"] for item in self.picked] + [name for name in self.choices if name not in picked]
        return [
            {
                "field": self.choices[name],
                "asked": name in picked,
                "required": picked.get(name, {}).get("required", False),
                "locked": name in INTAKE_LOCKED,
                "never_required": not may_require(self.choices[name]),
            }
            for name in order
        ]

    def clean(self):
        for item in self.picked:
            field = self.choices[item["name"]]
            if item["required"] and not may_require(field):
                self.add_error(None, lock_for(field, Channel.ONLINE_BOOKING).reason)
        return super().clean()

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if IntakeForm.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another form has this link.")
        return slug

    def save(self, commit=True):
        self.instance.fields = self.picked
        return super().save(commit)
