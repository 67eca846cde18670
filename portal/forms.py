from django import forms
from django.contrib.auth.forms import SetPasswordMixin

from accounts.emails import EmailAddressFormField
from accounts.models import User
from customers.forms import CustomerForm, check_birthday


class ClaimPasswordForm(SetPasswordMixin, forms.Form):
    """Claiming with a new login: a password (Django's validators) and the terms."""

    password1, password2 = SetPasswordMixin.create_password_fields()
    terms = forms.BooleanField(label="I accept the terms of service and the privacy policy")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned_data = super().clean()
        self.validate_passwords()
        self.validate_password_for_user(self.user)
        return cleaned_data


class SignupPasswordForm(SetPasswordMixin, forms.Form):
    """The password of an online sign-up, checked against the name and email typed beside it."""

    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean(self):
        cleaned_data = super().clean()
        self.validate_passwords()
        person = User(email=self.data.get("email", ""), first_name=self.data.get("first_name", ""))
        self.validate_password_for_user(person)
        return cleaned_data


class SignupChildForm(forms.Form):
    """A child added while signing up: a name and a birthday (the last name defaults to the parent's)."""

    first_name = forms.CharField(label="Child's first name", max_length=100)
    last_name = forms.CharField(
        label="Child's last name", max_length=100, required=False, help_text="Leave empty if it is yours."
    )
    birthday = forms.DateField(label="Child's birthday", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_birthday(self):
        return check_birthday(self.cleaned_data["birthday"])


SignupChildFormSet = forms.formset_factory(SignupChildForm, extra=2, max_num=10, validate_max=True)


class ClaimRequestForm(forms.Form):
    email = EmailAddressFormField(label="Your email address")


class GuestChildForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    birthday = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class PortalCustomerForm(CustomerForm):
    """A customer's or guardian's own form: everything the channel allows but the email, which changes only
    through a change confirmed from the new address (`EmailChangeForm`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("email", None)


class EmailChangeForm(forms.Form):
    email = EmailAddressFormField(label="New email address")

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()
