from datetime import date

import phonenumbers
from django import forms
from django.contrib.auth.forms import SetPasswordMixin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import User
from accounts.tenancy import current_organization
from customers.fields import customer_fields, grouped
from customers.models import Customer
from customers.rules import Channel, Rule, channel_rules
from customers.search import normalize, phone_to_digits

PHONE_HELP = "Enter a valid phone number, e.g. (555) 123-4567 or +44 20 7946 0958."


def clean_phone(value: str) -> str:
    try:
        phone_to_digits(value)
    except phonenumbers.NumberParseException as error:
        raise forms.ValidationError(PHONE_HELP) from error
    return value.strip()


class CustomerForm(forms.ModelForm):
    """A form that creates or edits a customer in one channel, built from the field registry and the
    channel's rules: hidden fields are left out (a value posted for one is never read), required ones
    must be filled."""

    class Meta:
        model = Customer
        fields = [field.name for field in customer_fields()]
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, channel: str = Channel.STAFF, **kwargs):
        super().__init__(*args, **kwargs)
        rules = channel_rules(channel)
        for name, rule in rules.items():
            if rule == Rule.HIDDEN:
                del self.fields[name]
            elif name in self.fields:
                self.fields[name].required = rule == Rule.REQUIRED
        if "email" in self.fields:
            self.fields["email"].widget.attrs["autocomplete"] = "off" if channel == Channel.STAFF else "email"

    @property
    def missing_required(self) -> list[str]:
        """Fields this channel now requires that the customer being edited has left empty."""
        if not self.instance.pk:
            return []
        return [
            bound.label
            for bound in self
            if bound.field.required and getattr(self.instance, bound.name) in ("", None)
        ]

    @property
    def groups(self) -> list[tuple[str, list]]:
        registry = {field.name: field for field in customer_fields()}
        bound_fields = (self[name] for name in self.fields if name in registry)
        return grouped(bound_fields, lambda bound: registry[bound.name].group)

    def _existing(self, **lookup):
        return Customer.objects.filter(**lookup).exclude(pk=self.instance.pk).first()

    def _taken(self, customer: Customer, what: str) -> forms.ValidationError:
        url = reverse(
            "customers:profile", kwargs={"org_slug": current_organization().slug, "pk": customer.pk}
        )
        return forms.ValidationError(
            format_html('{} already belongs to <a href="{}">{}</a>.', what, url, customer.full_name)
        )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email and (existing := self._existing(email__iexact=email)):
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
        birthday = self.cleaned_data["birthday"]
        if birthday and birthday > timezone.localdate():
            raise forms.ValidationError("A birthday cannot be in the future.")
        if birthday and birthday < date(1900, 1, 1):
            raise forms.ValidationError("Enter a birthday after 1900.")
        return birthday


class CustomerSignupForm(SetPasswordMixin, CustomerForm):
    """A customer creating their own account online: the channel's fields and a password."""

    password1, password2 = SetPasswordMixin.create_password_fields()

    def _taken(self, customer: Customer, what: str) -> forms.ValidationError:
        # A visitor learns only that the detail is on file, never whose record it is.
        return forms.ValidationError(
            f"{what} is already on file with us. Ask us for a link to claim your account."
        )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(
                format_html(
                    'You already have a Roster account with this email. <a href="{}">Log in</a> to continue.',
                    reverse("accounts:login"),
                )
            )
        return super().clean_email()

    def clean(self):
        cleaned_data = super().clean()
        self.validate_passwords()
        user = User(email=cleaned_data.get("email", ""), first_name=cleaned_data.get("first_name", ""))
        self.validate_password_for_user(user)
        return cleaned_data
