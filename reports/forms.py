"""The form that schedules a report: the report's own controls (a preset period only, so each email covers
the period before it is sent), when it goes out and to whom."""

from django import forms

from customers.reports import PRESETS, report_query
from customers.segments import segments_for
from reports.models import WEEKDAYS, Frequency
from reports.selectors import report_readers

SCHEDULE_PRESETS = [(key, label) for key, label in PRESETS.items() if key != "custom"]
DAYS = [(day, day) for day in range(1, 29)]
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


class RecipientChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, membership):
        user = membership.user
        name = user.display_name
        return f"{name} ({user.email})" if name != user.email else user.email


class ScheduleForm(forms.Form):
    range = forms.ChoiceField(
        label="Period", choices=SCHEDULE_PRESETS, help_text="Counted back from each email."
    )
    every = forms.ChoiceField(label="By", choices=[("week", "Week"), ("month", "Month")])
    segment = forms.ModelChoiceField(label="Customers", queryset=None, required=False, empty_label="Everyone")
    frequency = forms.ChoiceField(label="Send", choices=Frequency.choices, widget=forms.RadioSelect)
    weekday = forms.TypedChoiceField(
        label="On", choices=list(enumerate(WEEKDAYS)), coerce=int, initial=0, required=False, empty_value=None
    )
    day_of_month = forms.TypedChoiceField(
        label="On day",
        choices=DAYS,
        coerce=int,
        initial=1,
        required=False,
        empty_value=None,
        help_text="1 to 28, so every month has it.",
    )
    hour = forms.TypedChoiceField(label="At", choices=HOURS, coerce=int, initial=7)
    recipients = RecipientChoice(
        label="Email it to",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        help_text="Staff who may read reports.",
    )

    def __init__(self, data=None, *, membership, report, initial=None):
        super().__init__(data, initial=initial)
        self.membership, self.report = membership, report
        self.fields["segment"].queryset = segments_for(membership)
        self.fields["recipients"].queryset = report_readers(report.permission)
        for name in ("range", "every", "segment"):
            if name not in report.controls:
                del self.fields[name]
        self.fields["hour"].help_text = f"In {membership.organization.time_zone}."

    def clean(self):
        data = super().clean()
        weekly = data.get("frequency") == Frequency.WEEKLY
        day_field, other = ("weekday", "day_of_month") if weekly else ("day_of_month", "weekday")
        if data.get(day_field) in (None, "") and day_field not in self.errors:
            self.add_error(day_field, "Choose the day it goes out.")
        data[other] = None
        return data

    def schedule(self) -> dict:
        """The service's keyword arguments: the report's saved query, when, and to whom."""
        data = self.cleaned_data
        controls = {"range": data.get("range"), "every": data.get("every"), "segment": data.get("segment")}
        controls = {name: getattr(value, "pk", value) for name, value in controls.items() if value}
        form, query = report_query(controls, self.membership, self.report)
        return {
            "query": query.as_dict(form.range_key),
            "frequency": data["frequency"],
            "weekday": data["weekday"],
            "day_of_month": data["day_of_month"],
            "hour": data["hour"],
            "recipients": list(data["recipients"]),
        }


def initial_from(query: dict, schedule=None) -> dict:
    """The form's first values: a schedule's, or the report page's controls (its period if a preset)."""
    presets = dict(SCHEDULE_PRESETS)
    initial = {
        "range": query.get("range") if query.get("range") in presets else "last_week",
        "every": query.get("every") or "week",
        "segment": query.get("segment"),
        "frequency": Frequency.WEEKLY,
    }
    if schedule is not None:
        initial |= {
            "frequency": schedule.frequency,
            "weekday": schedule.weekday if schedule.weekday is not None else 0,
            "day_of_month": schedule.day_of_month or 1,
            "hour": schedule.hour,
            "recipients": [row.membership for row in schedule.recipient_rows.all() if row.membership],
        }
    return initial
