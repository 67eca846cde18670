from django import forms

from notes.models import Note, Visibility


class NoteForm(forms.ModelForm):
    text = forms.CharField(
        label="Note",
        max_length=10_000,
        error_messages={"required": "Write something first."},
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "What should the team know? Links become clickable."}
        ),
    )
    visibility = forms.ChoiceField(
        label="Who can read it",
        choices=Visibility.choices,
        initial=Visibility.STAFF,
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
    )
    pinned = forms.BooleanField(label="Pin to the top of the profile", required=False)

    class Meta:
        model = Note
        fields = ["text", "visibility"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pinned"].initial = self.instance.pinned_at is not None

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write something first.")
        return text
