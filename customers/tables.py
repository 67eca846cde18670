import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.tenancy import current_organization
from customers.models import Customer

NOWRAP = {"th": {"class": "text-nowrap"}, "td": {"class": "text-nowrap"}}


def age_on(birthday, today) -> int:
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


def profile_url(record) -> str:
    return reverse("customers:profile", kwargs={"org_slug": current_organization().slug, "pk": record.pk})


class CustomerTable(tables.Table):
    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"id": "select-page", "aria-label": "Select all on this page"},
            "td__input": {"name": "ids", "form": "bulk-form", "class": "row-select", "aria-label": "Select"},
        },
        orderable=False,
    )
    name = tables.Column(accessor="last_key", order_by=("last_key", "first_key", "id"), verbose_name="Name")
    email = tables.Column(order_by=("email_key", "id"))
    phone = tables.Column(order_by=("phone_digits", "id"), attrs=NOWRAP)
    birthday = tables.Column(verbose_name="Birthday / age", order_by=("birthday", "id"), attrs=NOWRAP)
    tags = tables.Column(empty_values=(), orderable=False, verbose_name="Tags")
    created_at = tables.Column(verbose_name="Created", order_by=("created_at", "id"), attrs=NOWRAP)
    last_activity_at = tables.Column(
        verbose_name="Last activity", order_by=("last_activity_at", "id"), attrs=NOWRAP
    )

    class Meta:
        model = Customer
        fields = ("select", "name", "email", "phone", "birthday", "tags", "created_at", "last_activity_at")
        attrs = {
            "class": "table table-hover align-middle roster-table mb-0",
            "id": "roster-table",
            "thead": {"hx-boost": "true", "hx-target": "#results"},  # sorting swaps the results only
        }
        row_attrs = {"data-href": profile_url, "tabindex": "-1"}
        empty_text = "No customers match."
        order_by_field = "sort"

    def render_name(self, record):
        archived = (
            mark_safe(' <span class="badge text-bg-secondary">archived</span>') if record.is_archived else ""
        )
        return format_html(
            '<a href="{}">{}, {}</a>{}', profile_url(record), record.last_name, record.first_name, archived
        )

    def render_birthday(self, value):
        return format_html(
            '{} <span class="text-body-secondary">({})</span>',
            value.strftime("%b %-d, %Y"),
            age_on(value, timezone.localdate()),
        )

    def render_tags(self):
        return "—"

    # Plain strftime: tables2's date columns compile a template per cell, costlier than the rest of the page.
    def render_created_at(self, value):
        return timezone.localtime(value).strftime("%b %-d, %Y")

    def render_last_activity_at(self, value):
        return timezone.localtime(value).strftime("%b %-d, %Y %H:%M")
