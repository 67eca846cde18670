"""The one rule for an email address at every entrance (logins, sign-up, the staff form, intake forms, the
API, imports): Django's, plus letters of any script before the @ (RFC 6531: müller@example.de), which mail
servers deliver and people have."""

from django import forms
from django.core.validators import validate_email
from django.db import models


def validate_email_address(value: str) -> None:
    """Raise ValidationError unless `value` is an email address; a non-ASCII letter or digit before the @ is
    checked as an ASCII one would be (punctuation and spaces of other scripts are still refused)."""
    local, at, domain = value.rpartition("@")
    ascii_local = (
        local
        if local.isascii()
        else "".join("a" if not char.isascii() and char.isalnum() else char for char in local)
    )
    validate_email(f"{ascii_local}{at}{domain}")


class EmailAddressInput(forms.TextInput):
    """Not `type=email`: the browser would refuse müller@… before the server could accept it (HTML's rule
    allows only ASCII before the @). Phones still show their email keyboard."""

    def __init__(self, attrs=None):
        super().__init__(
            {"inputmode": "email", "autocapitalize": "none", "spellcheck": "false", **(attrs or {})}
        )


class EmailAddressFormField(forms.EmailField):
    widget = EmailAddressInput
    default_validators = [validate_email_address]


class EmailAddressField(models.EmailField):
    default_validators = [validate_email_address]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": EmailAddressFormField, **kwargs})
