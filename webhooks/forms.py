from django import forms

from webhooks.models import EventType


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where Roster posts the events, e.g. https://example.com/roster-webhooks.",
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="What receives them, e.g. “Mailing list sync”."
    )
    events = forms.MultipleChoiceField(
        label="Events", choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )


class EndpointEditForm(EndpointForm):
    enabled = forms.BooleanField(
        label="Enabled", required=False, help_text="A disabled endpoint gets no events (a test still goes)."
    )
