import calendar

import django_filters
from django import forms
from django.db.models import Q

from customers.models import Customer, Source

# Plain widgets with Bootstrap classes: the panel is drawn on every roster page, so it stays cheap.
SELECT = forms.Select(attrs={"class": "form-select filter-input"})
YES_NO = forms.Select(
    choices=[("", "Any"), ("true", "Yes"), ("false", "No")], attrs={"class": "form-select filter-input"}
)
LETTERS = [(letter, letter.upper()) for letter in "abcdefghijklmnopqrstuvwxyz"] + [("#", "#")]


class CustomerFilter(django_filters.FilterSet):
    """The roster's filter panel and A–Z bar. Archived customers are hidden unless asked for."""

    status = django_filters.ChoiceFilter(
        choices=[("active", "Active"), ("archived", "Archived"), ("all", "All")],
        empty_label=None,
        label="Status",
        method="filter_status",
        widget=SELECT,
    )
    letter = django_filters.ChoiceFilter(choices=LETTERS, method="filter_letter", widget=forms.HiddenInput)
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at__date",
        label="Created between",
        widget=django_filters.widgets.RangeWidget(
            attrs={"type": "date", "class": "form-control filter-input"}
        ),
    )
    birthday_month = django_filters.ChoiceFilter(
        field_name="birthday__month",
        label="Birthday month",
        choices=[(number, calendar.month_name[number]) for number in range(1, 13)],
        empty_label="Any month",
        widget=SELECT,
    )
    has_email = django_filters.BooleanFilter(method="filter_has_email", label="Has email", widget=YES_NO)
    has_phone = django_filters.BooleanFilter(method="filter_has_phone", label="Has phone", widget=YES_NO)
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source", widget=SELECT)

    class Meta:
        model = Customer
        fields = []

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(archived_at=None)
        return super().filter_queryset(queryset)

    def filter_status(self, queryset, name, value):
        return {
            "active": queryset.filter(archived_at=None),
            "archived": queryset.exclude(archived_at=None),
        }.get(value, queryset)

    def filter_letter(self, queryset, name, value):
        if value == "#":  # names not starting with a letter; comparisons stay index-friendly under RLS
            return queryset.filter(Q(last_key__lt="a") | Q(last_key__gte="{"))
        return queryset.filter(last_key__prefix=value)

    def filter_has_email(self, queryset, name, value):
        return queryset.exclude(email="") if value else queryset.filter(email="")

    def filter_has_phone(self, queryset, name, value):
        return queryset.exclude(phone_digits="") if value else queryset.filter(phone_digits="")

    @property
    def active_filter_count(self) -> int:
        data = self.form.cleaned_data if self.form.is_bound and self.form.is_valid() else {}
        ignored = {"letter", "status"}
        return sum(
            1 for name, value in data.items() if name not in ignored and value not in (None, "", [])
        ) + (data.get("status") not in (None, "", "active"))
