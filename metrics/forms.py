from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone

from accounts.forms import unique_name
from accounts.models import CURRENCIES
from metrics.models import MAX_DECIMALS, Metric, MetricEntry, MetricKind

LARGEST = Decimal("1e12")
EARLIEST = date(1900, 1, 1)


class MetricForm(forms.ModelForm):
    """Define or edit a metric. Its kind and currency are fixed once it has values."""

    higher_is_better = forms.TypedChoiceField(
        label="Direction",
        choices=[(True, "Higher is better (visits, skill)"), (False, "Lower is better (lap time, no-shows)")],
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
        initial=True,
        help_text="Colors the trend arrow on profiles: green when a value moves the good way.",
    )
    decimals = forms.IntegerField(
        min_value=0,
        max_value=MAX_DECIMALS,
        initial=0,
        error_messages={
            "min_value": f"Use 0 to {MAX_DECIMALS} decimals.",
            "max_value": f"Use 0 to {MAX_DECIMALS} decimals.",
            "invalid": "Enter a whole number of decimals.",
        },
        help_text="Digits after the decimal point. Counters have none.",
    )
    currency = forms.ChoiceField(choices=[("", "—"), *CURRENCIES], required=False)

    class Meta:
        model = Metric
        fields = ["name", "kind", "unit", "currency", "decimals", "higher_is_better"]

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk and not self.instance.currency:
            self.initial["currency"] = organization.currency
        elif self.instance.entries.exists():
            for name in ("kind", "currency"):
                self.fields[name].disabled = True
            self.fields[
                "kind"
            ].help_text = "Fixed: customers have values of this kind. For another, add a metric."

    def clean_name(self):
        return unique_name(self, "Another metric has this name (archived ones included).")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == MetricKind.MONEY and not data.get("currency"):
            self.add_error("currency", "Choose the currency of these amounts.")
        if kind != MetricKind.MONEY:
            data["currency"] = ""
        if kind in (MetricKind.MONEY, MetricKind.PERCENTAGE):
            data["unit"] = ""  # the currency or % says it
        if kind == MetricKind.COUNTER:
            data["decimals"] = 0
        return data


def validate_value(metric: Metric, value: Decimal) -> None:
    """What a value of `metric` may be; raises ValidationError with a message for the value field."""
    if abs(value) >= LARGEST:
        raise forms.ValidationError("That number is too large.")
    if metric.kind == MetricKind.COUNTER and value < 0:
        raise forms.ValidationError("A counter can't be negative.")
    if metric.kind == MetricKind.PERCENTAGE and not 0 <= value <= 100:
        raise forms.ValidationError("A percentage is between 0 and 100.")
    places = metric.places
    if value != value.quantize(Decimal(1).scaleb(-places)):
        if places == 0:
            raise forms.ValidationError("Enter a whole number.")
        raise forms.ValidationError(f"Use at most {places} decimal place{'s' if places != 1 else ''}.")


class _ValueForm(forms.Form):
    value = forms.DecimalField(
        widget=forms.NumberInput(attrs={"step": "any"}),
        error_messages={"invalid": "Enter a number, e.g. 12 or 12.5."},
    )
    recorded_on = forms.DateField(
        label="Measured on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date."},
    )
    comment = forms.CharField(
        max_length=200, required=False, widget=forms.TextInput(attrs={"maxlength": 200})
    )

    def clean_recorded_on(self):
        day = self.cleaned_data["recorded_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("Not a future date: record a value once it is measured.")
        if day < EARLIEST:
            raise forms.ValidationError("Enter a date after 1900.")
        return day

    def check_value(self, metric: Metric | None) -> None:
        value = self.cleaned_data.get("value")
        if metric is not None and value is not None:
            try:
                validate_value(metric, value)
            except forms.ValidationError as error:
                self.add_error("value", error)


class EntryForm(_ValueForm):
    """Record a value of one of the organization's active metrics."""

    metric = forms.ModelChoiceField(
        queryset=Metric.objects.unscoped().none(),
        empty_label="Choose a metric",
        error_messages={"invalid_choice": "Choose one of your active metrics."},
    )
    field_order = ["metric", "value", "recorded_on", "comment"]

    def __init__(self, *args, metrics=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = (
            metrics if metrics is not None else Metric.objects.filter(archived_at=None)
        ).order_by("position", "name")
        self.initial.setdefault("recorded_on", timezone.localdate())

    def clean(self):
        data = super().clean()
        self.check_value(data.get("metric"))
        return data


class CorrectionForm(_ValueForm):
    """The right value (and date) for an entry that was wrong."""

    def __init__(self, *args, entry: MetricEntry, **kwargs):
        self.entry = entry
        value = Decimal(repr(entry.value)).quantize(Decimal(1).scaleb(-entry.metric.places))
        kwargs.setdefault("initial", {"value": value, "recorded_on": entry.recorded_on})
        super().__init__(*args, **kwargs)
        self.fields["value"].label = "Correct value"
        self.fields["comment"].label = "Why (optional)"

    def clean(self):
        data = super().clean()
        self.check_value(self.entry.metric)
        return data
