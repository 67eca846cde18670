"""The roster's metric filter: customers whose current value of a metric is in a range, or was recorded in
the last N days. One filter of four inputs, so a range without its metric is an error beside it. Each is a
`pk IN (…)` over a partial index of current entries: an index range, row-level security included."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import django_filters
from django import forms
from django.utils import timezone

from metrics.models import MetricEntry
from metrics.selectors import active_metrics

INPUT = "form-control form-control-sm filter-input"


@dataclass(frozen=True)
class MetricCondition:
    metric_id: int
    low: Decimal | None = None
    high: Decimal | None = None
    days: int | None = None


class MetricFilterWidget(forms.MultiWidget):
    """?metric=<id>&metric_min=&metric_max=&metric_days= — a shareable URL."""

    template_name = "metrics/metric_filter_widget.html"

    def __init__(self, attrs=None):
        number = {"type": "number", "step": "any", "class": INPUT}
        widgets = {
            "": forms.Select(attrs={"class": "form-select filter-input"}),
            "min": forms.NumberInput(attrs={**number, "placeholder": "from"}),
            "max": forms.NumberInput(attrs={**number, "placeholder": "to"}),
            "days": forms.NumberInput(attrs={"class": INPUT, "min": 1, "max": 3650, "placeholder": "days"}),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if value is None:
            return [None, None, None, None]
        return [value.metric_id, value.low, value.high, value.days]

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else ""  # the metric select


class MetricFilterField(forms.MultiValueField):
    widget = MetricFilterWidget

    def __init__(self, *, metric_choices=(), **kwargs):
        fields = (
            forms.ChoiceField(
                choices=[("", "Any metric"), *metric_choices],
                required=False,
                error_messages={"invalid_choice": "Choose one of your metrics."},
            ),
            forms.DecimalField(required=False, error_messages={"invalid": "“From” must be a number."}),
            forms.DecimalField(required=False, error_messages={"invalid": "“To” must be a number."}),
            forms.IntegerField(
                min_value=1,
                max_value=3650,
                required=False,
                error_messages={
                    "invalid": "Days must be a whole number.",
                    "min_value": "Days must be 1 to 3650.",
                    "max_value": "Days must be 1 to 3650.",
                },
            ),
        )
        kwargs.setdefault("required", False)
        super().__init__(fields, require_all_fields=False, **kwargs)
        self.widget.widgets[0].choices = self.fields[0].choices

    def compress(self, data_list):
        if not data_list:
            return None
        metric, low, high, days = data_list
        if not metric:
            if low is not None or high is not None or days is not None:
                raise forms.ValidationError("Choose the metric these values are of.")
            return None
        if low is not None and high is not None and low > high:
            raise forms.ValidationError("“From” is more than “to”.")
        return MetricCondition(int(metric), low, high, days)


class MetricFilter(django_filters.Filter):
    field_class = MetricFilterField

    def filter(self, qs, value):
        if not value:
            return qs
        entries = MetricEntry.objects.filter(metric_id=value.metric_id, is_current=True)
        if value.low is not None:
            entries = entries.filter(value__gte=float(value.low))
        if value.high is not None:
            entries = entries.filter(value__lte=float(value.high))
        if value.days is not None:
            entries = entries.filter(recorded_on__gte=timezone.localdate() - timedelta(days=value.days))
        return qs.filter(pk__in=entries.values("customer_id"))


def metric_filters(audience: str) -> dict[str, django_filters.Filter]:
    """The panel's Metric filter, offering the organization's active metrics (none: no filter)."""
    choices = [(str(metric.pk), _choice_label(metric)) for metric in active_metrics()]
    if not choices:
        return {}
    return {"metric": MetricFilter(label="Metric", metric_choices=choices)}


def _choice_label(metric) -> str:
    extra = metric.currency if metric.kind == "money" else "%" if metric.kind == "percentage" else metric.unit
    return f"{metric.name} ({extra})" if extra else metric.name
