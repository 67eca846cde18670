from datetime import date

import phonenumbers
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.tenancy import current_organization
from customers.fields import customer_fields, grouped
from customers.models import Customer
from customers.search import normalize, phone_to_digits

PHONE_HELP = "Enter a valid phone number, e.g. (555) 123-4567 or +44 20 7946 0958."


def clean_phone(value: str) -> str:
    try:
        phone_to_digits(value)
    except phonenumbers.NumberParseException as error:
        raise forms.ValidationError(PHONE_HELP) from error
    return value.strip()


class CustomerForm(forms.ModelForm):
    """The staff portal's add / edit form, built from the field registry."""

    class Meta:
        model = Customer
        fields = [field.name for field in customer_fields()]
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    @property
    def groups(self) -> list[tuple[str, list]]:
        registry = {field.name: field for field in customer_fields()}
        return grouped((self[name] for name in self.fields), lambda bound: registry[bound.name].group)

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
