from django import forms

from privacy.models import PrivacySettings


class PrivacySettingsForm(forms.ModelForm):
    class Meta:
        model = PrivacySettings
        fields = ["archived_erase_months", "import_file_days", "export_days"]
        widgets = {name: forms.NumberInput(attrs={"min": 1, "max": 3650}) for name in fields}

    def clean(self):
        data = super().clean()
        for name in self.Meta.fields:
            value = data.get(name)
            if value is not None and not 1 <= value <= 3650:
                self.add_error(name, "Enter a number from 1 to 3650.")
        return data


class ExportForm(forms.Form):
    include_notes = forms.BooleanField(
        required=False,
        label="Include notes",
        help_text="Only notes the whole team may read; never private ones.",
    )


class EraseForm(forms.Form):
    """Typing the person's name, as on their profile, confirms the erasure."""

    name = forms.CharField(label="Type their full name to confirm", max_length=250)

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if name.casefold() != " ".join(self.expected.split()).casefold():
            raise forms.ValidationError("That is not the customer's name as it is on their profile.")
        return name


class ReauthenticateForm(forms.Form):
    password = forms.CharField(label="Your password", widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        if not self.user.check_password(self.cleaned_data["password"]):
            raise forms.ValidationError("That is not your password.")
        return self.cleaned_data["password"]
