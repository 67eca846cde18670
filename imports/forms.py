from pathlib import PurePath

from django import forms

from customers.fields import grouped
from imports.dates import DATE_FORMATS
from imports.mapping import targets
from imports.models import ImportJob
from tags.models import Tag

EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
COLUMN_SELECT = forms.Select(attrs={"class": "form-select form-select-sm"})


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Customer list",
        help_text="CSV or Excel (.xlsx), with a header row naming the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in EXTENSIONS:
            raise forms.ValidationError("Upload a CSV or an Excel (.xlsx) file.")
        return upload


class MappingForm(forms.Form):
    """A target per column (`column_<i>`), and how to apply the rows."""

    date_format = forms.ChoiceField(label="Dates in this file are", choices=DATE_FORMATS.items())
    mode = forms.ChoiceField(label="What to do", choices=ImportJob.Mode.choices, widget=forms.RadioSelect)
    match_key = forms.ChoiceField(label="Find existing customers by", choices=ImportJob.MatchKey.choices)
    skip_errors = forms.TypedChoiceField(
        label="Rows with errors",
        choices=[("true", "Skip them and import the rest"), ("false", "Import nothing while any remain")],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )
    tags = forms.ModelMultipleChoiceField(
        label="Tag everyone in this import with",
        queryset=Tag.objects.unscoped().none(),  # the organization's tags, set per form
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    template_name = forms.CharField(
        label="Save this mapping as",
        required=False,
        max_length=80,
        help_text="Optional: a name, and files with the same columns are mapped this way next time.",
    )

    def __init__(self, *args, job: ImportJob, **kwargs):
        initial = {
            "date_format": job.date_format,
            "mode": job.mode,
            "match_key": job.match_key,
            "skip_errors": "true" if job.skip_errors else "false",
            "tags": job.tag_ids,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["tags"].queryset = Tag.objects.order_by("name")
        if not self.fields["tags"].queryset.exists():
            del self.fields["tags"]
        choices = [("", "— Don't import —")] + [
            (group, [(target.name, target.label) for target in items])
            for group, items in grouped(targets(), lambda target: target.group)
        ]
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"column_{index}"
            target = job.mapping[index] if index < len(job.mapping) else ""
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=target, widget=COLUMN_SELECT
            )
            samples = [row[index] for row in job.samples if index < len(row) and row[index]]
            self.columns.append((self[name], samples[:3]))

    @property
    def mapping(self) -> list[str]:
        return [self.cleaned_data[f"column_{index}"] for index in range(len(self.columns))]
