from django import forms

from api.models import Scope


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “Website sign-ups”.")
    scopes = forms.MultipleChoiceField(
        label="It may",
        choices=Scope.choices,
        initial=[Scope.IMPORTS],
        widget=forms.CheckboxSelectMultiple,
    )
