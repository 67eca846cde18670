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

    @property
    def scope_grid(self) -> list[tuple[str, tuple]]:
        """(resource, (its read box or None, its write box or None)) per resource: the page's grid."""
        boxes = {str(box.data["value"]): box for box in self["scopes"]}
        resources = dict.fromkeys(value.split(":")[0] for value in Scope.values)
        return [
            (Scope.resource_label(resource), (boxes.get(f"{resource}:read"), boxes.get(f"{resource}:write")))
            for resource in resources
        ]
