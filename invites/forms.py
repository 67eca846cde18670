from django import forms

from customers.filters import ListedModelChoiceField
from invites.models import HOLD_HOURS_MAX, InviteSettings, PackageInviteSettings


class WordedEmailForm(forms.ModelForm):
    """An invitation email's wording: a one-line subject, a body with its {{ link }}, which `purpose` says."""

    purpose = ""

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        if "\n" in subject or "\r" in subject:
            raise forms.ValidationError("The subject must fit on one line.")
        return subject

    def clean_body(self):
        body = self.cleaned_data["body"]
        if "{{ link }}" not in body.replace("{{link}}", "{{ link }}"):
            raise forms.ValidationError(
                f"The email must contain {{{{ link }}}}: it is how the customer {self.purpose}."
            )
        return body


class InviteSettingsForm(WordedEmailForm):
    purpose = "claims"

    class Meta:
        model = InviteSettings
        fields = ["subject", "body", "expiry_hours", "remind_after_days", "max_reminders"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expiry_hours"].min_value = self.fields["expiry_hours"].widget.attrs["min"] = 1
        self.fields["expiry_hours"].max_value = self.fields["expiry_hours"].widget.attrs["max"] = 336
        self.fields["remind_after_days"].min_value = self.fields["remind_after_days"].widget.attrs["min"] = 1
        self.fields["remind_after_days"].help_text = "Each reminder brings a new link, valid as long again."
        self.fields["max_reminders"].widget.attrs["max"] = 2

    def clean_expiry_hours(self):
        hours = self.cleaned_data["expiry_hours"]
        if not 1 <= hours <= 336:
            raise forms.ValidationError("Between 1 hour and 14 days (336 hours).")
        return hours

    def clean_remind_after_days(self):
        days = self.cleaned_data["remind_after_days"]
        if days < 1:
            raise forms.ValidationError("At least 1 day.")
        return days

    def clean_max_reminders(self):
        count = self.cleaned_data["max_reminders"]
        if count > 2:
            raise forms.ValidationError("At most 2 reminders.")
        return count


class PackageInviteForm(forms.Form):
    """Invite one customer from their profile: the package, for whom (themselves or someone they may buy
    for), a personal note."""

    package = ListedModelChoiceField(
        queryset=None,
        empty_label="Package…",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    for_whom = forms.TypedChoiceField(
        label="Buying for", coerce=int, widget=forms.Select(attrs={"class": "form-select form-select-sm"})
    )
    note = forms.CharField(
        label="Personal message",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, packages, people: list, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = packages
        self.people = {person.pk: person for person in people}
        self.fields["for_whom"].choices = [
            (pk, f"{person.first_name} (self)" if pk == customer.pk else person.full_name)
            for pk, person in self.people.items()
        ]
        self.fields["for_whom"].initial = customer.pk

    def clean_for_whom(self):
        return self.people[self.cleaned_data["for_whom"]]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Would you tell us why? (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PackageInviteSettingsForm(WordedEmailForm):
    purpose = "answers"

    class Meta:
        model = PackageInviteSettings
        fields = ["subject", "body", "expiry_days", "remind_after_days", "max_reminders"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def clean(self):
        """An invitation closes on its day (the offer's deadline), so a reminder due after that never goes."""
        data = super().clean()
        days, open_for = data.get("remind_after_days"), data.get("expiry_days")
        if data.get("max_reminders") and days and open_for and days >= open_for:
            self.add_error(
                "remind_after_days",
                f"Reminders would come after the invitation closes: remind sooner than the {open_for} days "
                "it is open, or send none.",
            )
        return data


class HoldWindowForm(forms.Form):
    """How long an offer from a package's waitlist holds its spot."""

    hold_hours = forms.IntegerField(
        label="Hold an offered spot for (hours)",
        min_value=1,
        max_value=HOLD_HOURS_MAX,
        help_text=f"From 1 hour to a week ({HOLD_HOURS_MAX} hours); then the spot goes to the next person.",
    )


class WaitlistReasonForm(forms.Form):
    """Why staff change someone's place in a line: kept in its history and the customer's Activity Log."""

    reason = forms.CharField(label="Reason", max_length=300, strip=True)
