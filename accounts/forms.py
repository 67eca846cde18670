from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from accounts.emails import EmailAddressFormField, EmailAddressInput
from accounts.models import Organization, Role, User
from accounts.ratelimit import hit, hits

TIME_ZONE_CHOICES = [(zone, zone.replace("_", " ")) for zone in sorted(available_timezones())]


class SignupForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name")
        labels = {"email": "Email"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autofocus=True, autocomplete="email")

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def validate_unique(self):
        """Never "this email already has a login": the page answers alike, the email tells its owner."""


class ResendForm(forms.Form):
    email = EmailAddressFormField()


class ConfirmSignupForm(forms.Form):
    """Opening a confirmation link also takes the password chosen at sign-up: whoever signed up with someone
    else's address cannot have the owner activate an account whose password the signer knows."""

    password = forms.CharField(
        label="The password you chose", strip=False, widget=forms.PasswordInput(attrs={"autofocus": True})
    )

    def __init__(self, *args, password_hash: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_hash = password_hash

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not check_password(password, self.password_hash):
            raise ValidationError(
                "That is not the password chosen when signing up. If you did not sign up, ignore the email; "
                "to choose a new password, use “Forgot your password?” on the log-in page."
            )
        return password


LOGIN_FAILURES_PER_ACCOUNT = 20  # from any number of addresses; axes locks one address after 5
LOGIN_FAILURE_WINDOW = 15 * 60


class LoginForm(AuthenticationForm):
    username = EmailAddressFormField(label="Email", widget=EmailAddressInput(attrs={"autofocus": True}))

    def clean(self):
        # Failures are counted per account too, so spreading guesses over many addresses does not help.
        username = self.cleaned_data.get("username")
        account = f"login-failures:{(username or '').lower()}"
        if username and hits(account) >= LOGIN_FAILURES_PER_ACCOUNT:
            raise ValidationError(
                "Too many failed log-in attempts for this account: try again in 15 minutes.",
                code="account_throttled",
            )
        try:
            return super().clean()
        except ValidationError:
            hit(account, seconds=LOGIN_FAILURE_WINDOW)
            raise

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.email_verified_at is None:  # told only to whoever knows the password
            raise ValidationError(
                "Confirm your email address first: open the link we emailed you. Lost it? Choose a new "
                "password with “Forgot your password?”: that confirms your address too.",
                code="unconfirmed",
            )


class OrganizationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, initial="America/New_York")

    class Meta:
        model = Organization
        fields = ("name", "slug", "time_zone", "currency")
        labels = {"name": "Business name", "slug": "Web address"}
        error_messages = {"slug": {"unique": "This web address is taken; try another."}}

    def clean_slug(self):
        return self.cleaned_data["slug"].strip().lower()


class OrganizationSettingsForm(OrganizationForm):
    class Meta(OrganizationForm.Meta):
        fields = ("name", "time_zone", "currency")


class StaffInviteForm(forms.Form):
    email = EmailAddressFormField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.STAFF)

    def __init__(self, *args, inviter_role: str, **kwargs):
        super().__init__(*args, **kwargs)
        if inviter_role != Role.OWNER:
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


def unique_name(form: forms.ModelForm, message: str) -> str:
    """The form's `name` with its runs of spaces made one, refused with `message` when another row of the
    form's model (archived ones included) has it, whatever the case."""
    name = " ".join(form.cleaned_data["name"].split())
    others = type(form.instance)._default_manager.filter(name__iexact=name).exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(message)
    return name
