from datetime import date

import phonenumbers
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.tenancy import current_organization
from customers.fields import BUILTIN_FIELDS, BUILTIN_NAMES, custom_data, customer_fields, grouped
from customers.models import (
    STAFF_AUDIENCES,
    TEXT_TYPES,
    Audience,
    Customer,
    CustomField,
    CustomFieldOption,
    CustomFieldValue,
    FieldType,
    Scope,
)
from customers.rules import Channel, Rule, channel_rules
from customers.search import normalize, phone_to_digits

PHONE_HELP = "Enter a valid phone number, e.g. (555) 123-4567 or +44 20 7946 0958."


def _initial(value):
    """A stored custom value as its form field expects it."""
    return {True: "true", False: "false"}.get(value, value) if isinstance(value, bool) else value


def clean_phone(value: str) -> str:
    try:
        phone_to_digits(value)
    except phonenumbers.NumberParseException as error:
        raise forms.ValidationError(PHONE_HELP) from error
    return value.strip()


def check_birthday(birthday: date | None, today: date | None = None) -> date | None:
    """`today` in the organization's time zone, when many are checked at once."""
    if birthday and birthday > (today or timezone.localdate()):
        raise forms.ValidationError("A birthday cannot be in the future.")
    if birthday and birthday < date(1900, 1, 1):
        raise forms.ValidationError("Enter a birthday after 1900.")
    return birthday


class CustomerForm(forms.ModelForm):
    """A form that creates or edits a customer, built from the field registry and a set of rules — a
    channel's, or an intake form's — for an audience: hidden fields, and custom fields the audience may not
    edit, are left out (a value posted for one is never read); required ones must be filled."""

    class Meta:
        model = Customer
        fields = [field.name for field in BUILTIN_FIELDS]
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"})}

    def __init__(
        self, *args, channel: str = Channel.STAFF, audience: str, rules: dict | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.audience = audience
        rules = channel_rules(channel) if rules is None else rules
        self.registry = {field.name: field for field in customer_fields()}
        current = custom_data(self.instance)
        for name in [name for name in self.fields if name in self.registry]:
            if rules.get(name, Rule.HIDDEN) == Rule.HIDDEN:
                del self.fields[name]
        for name, rule in rules.items():
            field = self.registry.get(name)
            if field is None or rule == Rule.HIDDEN or not field.editable_by(audience):
                continue
            if field.custom:
                self.fields[name] = field.formfield(current.get(name))
                self.initial.setdefault(name, _initial(current.get(name)))
            self.fields[name].required = rule == Rule.REQUIRED
        self.order_fields(list(rules))
        if "email" in self.fields:
            self.fields["email"].widget.attrs["autocomplete"] = "off" if channel == Channel.STAFF else "email"

    @property
    def missing_required(self) -> list[str]:
        """Fields this form now requires that the customer being edited has left empty."""
        if not self.instance.pk:
            return []
        return [
            bound.label
            for bound in self
            if bound.field.required and self.registry[bound.name].value(self.instance) in ("", None, [])
        ]

    @property
    def groups(self) -> list[tuple[str, list]]:
        bound_fields = (self[name] for name in self.fields if name in self.registry)
        return grouped(bound_fields, lambda bound: self.registry[bound.name].group)

    def _existing(self, **lookup):
        return Customer.objects.filter(**lookup).exclude(pk=self.instance.pk).first()

    def _taken(self, customer: Customer, what: str) -> forms.ValidationError:
        if self.audience not in STAFF_AUDIENCES:  # customers and guardians never learn whose record it is
            return forms.ValidationError(f"{what} cannot be used here. Ask us if you need help with it.")
        url = reverse(
            "customers:profile", kwargs={"org_slug": current_organization().slug, "pk": customer.pk}
        )
        return forms.ValidationError(
            format_html('{} already belongs to <a href="{}">{}</a>.', what, url, customer.full_name)
        )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        # email_key, not iexact: UPPER() is not leakproof, so row-level security kept it from any index.
        if email and (existing := self._existing(email_key=email)):
            raise self._taken(existing, "This email")
        return email

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if number and (existing := self._existing(number_key=normalize(number))):
            raise self._taken(existing, "This customer number")
        return number

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def clean_emergency_contact_phone(self):
        return clean_phone(self.cleaned_data["emergency_contact_phone"])

    def clean_birthday(self):
        return check_birthday(self.cleaned_data["birthday"])


class CustomerSignupForm(CustomerForm):
    """A customer creating their own account online: the channel's fields. Whether the email is on the
    roster or has a login is never said here; the email we send to the address tells its owner."""

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class CustomFieldForm(forms.ModelForm):
    """Define or edit a custom field. Its type is fixed once created: stored values are of that type."""

    visible_to = forms.MultipleChoiceField(
        label="Who can see it",
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Owners always can.",
        required=False,
    )
    editable_by = forms.MultipleChoiceField(
        label="Who can edit it",
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only people who can see it; owners always can.",
        required=False,
    )

    class Meta:
        model = CustomField
        fields = [
            "label",
            "type",
            "help_text",
            "scope",
            "visible_to",
            "editable_by",
            "key",
            "min_length",
            "max_length",
            "min_value",
            "max_value",
        ]
        widgets = {"scope": forms.RadioSelect}
        labels = {"min_value": "Smallest number", "max_value": "Largest number"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["type"].disabled = True
            self.fields["type"].help_text = "Fixed once created; for another type, add a new field."
        else:  # a new field: the whole team sees and edits it until the admin says otherwise
            self.initial["visible_to"] = self.initial["editable_by"] = list(STAFF_AUDIENCES)

    def clean_key(self):
        key = self.cleaned_data["key"].replace("-", "_")
        if key in BUILTIN_NAMES:
            raise forms.ValidationError("This is the name of a built-in field.")
        if key and CustomField.objects.filter(key=key).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another field has this key.")
        return key

    def clean(self):
        data = super().clean()
        visible = {Audience.OWNER, *data.get("visible_to", [])}
        editable = {Audience.OWNER, *data.get("editable_by", [])}
        if data.get("scope") == Scope.ROSTER and visible & {Audience.CUSTOMER, Audience.GUARDIAN}:
            self.add_error("visible_to", "Roster fields are your own data: staff only. Choose Person scope.")
        if not editable <= visible:
            self.add_error("editable_by", "Whoever can edit it must also be able to see it.")
        field_type = data.get("type", self.instance.type)
        if field_type not in TEXT_TYPES:
            data["min_length"] = data["max_length"] = None
        if field_type != FieldType.NUMBER:
            data["min_value"] = data["max_value"] = None
        for low, high in (("min_length", "max_length"), ("min_value", "max_value")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, "Must not be less than the minimum.")
        order = Audience.values
        data["visible_to"] = sorted(visible, key=order.index)
        data["editable_by"] = sorted(editable, key=order.index)
        return data


class OptionForm(forms.ModelForm):
    retired = forms.BooleanField(required=False, label="Retired")

    class Meta:
        model = CustomFieldOption
        fields = ["label", "position"]
        widgets = {"position": forms.HiddenInput(attrs={"class": "option-position"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.initial["retired"] = self.instance.retired_at is not None

    def has_changed(self):
        # A blank new row is no option, whatever position the drag and drop gave it.
        if self.instance.pk is None and not self.data.get(self.add_prefix("label"), "").strip():
            return False
        return super().has_changed()


class BaseOptionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        labels, in_use = set(), []
        for form in self.forms:
            if self._should_delete_form(form):
                used = form.instance.pk and CustomFieldValue.objects.filter(option=form.instance).count()
                if used:
                    in_use.append(
                        f"“{form.instance.label}” is chosen by {used}: retire it instead of deleting."
                    )
                continue
            label = (form.cleaned_data or {}).get("label", "").strip().casefold()
            if label and label in labels:
                form.add_error("label", "This option is already in the list.")
            labels.add(label)
        if in_use:
            raise forms.ValidationError(in_use)


OptionFormSet = forms.inlineformset_factory(
    CustomField, CustomFieldOption, form=OptionForm, formset=BaseOptionFormSet, extra=3, can_delete=True
)
