"""The one rule for an email address at every entrance (the staff form, sign-up, intake forms, the API,
imports): Django's, plus letters of any script before the @ (RFC 6531: müller@example.de), which mail
servers deliver and people have."""

from django import forms
from django.core.validators import validate_email
from django.db import models


def validate_customer_email(value: str) -> None:
    """Raise ValidationError unless `value` is an email address; a non-ASCII letter or digit before the @ is
    checked as an ASCII one would be (punctuation and spaces of other scripts are still refused)."""
    local, at, domain = value.rpartition("@")
    ascii_local = "".join("a" if not char.isascii() and char.isalnum() else char for char in local)
    validate_email(f"{ascii_local}{at}{domain}")


class CustomerEmailFormField(forms.EmailField):
    default_validators = [validate_customer_email]


class CustomerEmailField(models.EmailField):
    default_validators = [validate_customer_email]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": CustomerEmailFormField, **kwargs})
