from django import forms

from tags.models import Tag


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "color", "description"]
        widgets = {"description": forms.TextInput(attrs={"placeholder": "What it means, when to use it"})}

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the tag a name.")
        return name


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Tag.objects.unscoped().none(), label="Merge into", empty_label="Choose a tag…"
    )

    def __init__(self, *args, source: Tag, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Tag.objects.exclude(pk=source.pk).order_by("name")
