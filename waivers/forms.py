from django import forms
from django.core.exceptions import ValidationError

from waivers.images import signature_png
from waivers.models import WaiverTemplate

KEEP, RESIGN = "keep", "resign"


class TemplateForm(forms.Form):
    """Add or edit a waiver; on an edit, a changed text becomes a new version and `on_change` says whether
    earlier signatures still count."""

    name = forms.CharField(max_length=120)
    text = forms.CharField(
        label="Waiver text",
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Exactly what people read and sign. Line breaks are kept.",
    )
    validity_months = forms.IntegerField(
        label="Valid for (months)",
        required=False,
        min_value=1,
        max_value=120,
        help_text="Leave empty for a waiver that never expires.",
        error_messages={"min_value": "Use 1 to 120 months.", "max_value": "Use 1 to 120 months."},
    )
    guardian_signs_for_minors = forms.BooleanField(
        label="A guardian signs for children under 18",
        required=False,
        initial=True,
        help_text="A guardian who may book for the child signs on their behalf.",
    )
    on_change = forms.ChoiceField(
        label="When the text changes",
        choices=[
            (KEEP, "Earlier signatures still count (a typo, a clarification)"),
            (RESIGN, "Everyone signs the new version again"),
        ],
        initial=KEEP,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, template: WaiverTemplate | None = None, **kwargs):
        self.template = template
        if template is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": template.name,
                "text": template.current_version.text,
                "validity_months": template.validity_months,
                "guardian_signs_for_minors": template.guardian_signs_for_minors,
                "on_change": KEEP,
            }
        super().__init__(*args, **kwargs)
        if template is None:
            del self.fields["on_change"]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        others = WaiverTemplate.objects.filter(name__iexact=name)
        if self.template is not None:
            others = others.exclude(pk=self.template.pk)
        if others.exists():
            raise ValidationError("Another waiver has this name (archived ones included).")
        return name

    def clean_text(self):
        return self.cleaned_data["text"].replace("\r\n", "\n")


class SignForm(forms.Form):
    """What signing asks on every page (portal, front desk, emailed link): who signs (at the desk: the
    customer or a guardian), for whom, the typed name, agreement, and the drawn signature (a PNG data URL the
    pad writes into a hidden field)."""

    signer = forms.TypedChoiceField(label="Who is signing", coerce=int)
    people = forms.TypedMultipleChoiceField(
        label="Signing for", coerce=int, widget=forms.CheckboxSelectMultiple
    )
    typed_name = forms.CharField(
        label="Type your full name",
        max_length=200,
        help_text="Your typed name and your drawn signature both sign the waiver.",
    )
    agree = forms.BooleanField(
        label="I have read this waiver and agree to it.",
        error_messages={"required": "Tick this box to agree to the waiver."},
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)  # sized in images.py
    version = forms.IntegerField(widget=forms.HiddenInput)  # the version read, refused if replaced since

    def __init__(
        self, *args, version, signers: list, people: list, ticked: list[int] | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.version = version
        self.fields["version"].initial = version.pk
        self.signers = {person.pk: person for person in signers}
        self.people_by_pk = {person.pk: person for person in people}
        self.fields["signer"].choices = [(person.pk, person.full_name) for person in signers]
        self.fields["signer"].initial = signers[0].pk if signers else None
        if len(signers) == 1:  # online the signer is whoever opened the page: nothing to choose
            self.fields["signer"].widget = forms.HiddenInput()
        self.fields["people"].choices = [(person.pk, person.full_name) for person in people]
        self.fields["people"].initial = ticked if ticked is not None else list(self.people_by_pk)

    def clean_signature(self):
        return signature_png(self.cleaned_data.get("signature", ""))

    def clean_typed_name(self):
        name = " ".join(self.cleaned_data["typed_name"].split())
        if not name:
            raise ValidationError("Type your full name.")
        return name

    def clean_version(self):
        if self.cleaned_data["version"] != self.version.pk:
            raise ValidationError(
                "This waiver has just been updated. Please read the new text and sign again."
            )
        return self.version

    @property
    def top_errors(self) -> list[str]:
        """Errors no visible field shows: the form's own, the version read, a signer posted as hidden."""
        hidden = ["version", "signer"] if self.only_signer else ["version"]
        return [*self.non_field_errors(), *(error for name in hidden for error in self.errors.get(name, []))]

    @property
    def only_signer(self):
        """The signer when there is no one else to choose."""
        return next(iter(self.signers.values())) if len(self.signers) == 1 else None

    @property
    def signer_choice(self):
        return self.signers[self.cleaned_data["signer"]]

    @property
    def people_chosen(self) -> list:
        return [self.people_by_pk[pk] for pk in self.cleaned_data["people"]]
