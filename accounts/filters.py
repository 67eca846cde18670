"""The audit log's filters: who, what and when."""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone

from accounts.audit import actor_label, audit_action_choices
from accounts.models import AuditEvent, User


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        return actor_label(user)


class StaffFilter(django_filters.ModelChoiceFilter):
    field_class = StaffChoiceField


def _actors(request):
    """Everyone who has done something recorded here, those who have left the staff since included."""
    return User.objects.filter(pk__in=AuditEvent.objects.values("actor_id")).order_by(
        "first_name", "last_name", "email"
    )


def _day_start(day: date) -> datetime:
    """Midnight of `day` in the organization's time zone (the active one): the bounds stay index-friendly."""
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditEventFilter(django_filters.FilterSet):
    actor = StaffFilter(
        label="Who",
        queryset=_actors,
        empty_label="Anyone",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    action = django_filters.ChoiceFilter(
        label="What",
        choices=audit_action_choices,
        empty_label="Any change",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    since = django_filters.DateFilter(
        label="From",
        method="filter_since",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    until = django_filters.DateFilter(
        label="To",
        method="filter_until",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )

    class Meta:
        model = AuditEvent
        fields = []

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))
