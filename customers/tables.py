from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, tzinfo
from html import escape  # what django.utils.html.escape runs, without its lazy-text wrapper: ~20 calls a row

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString

from customers.extend import RosterColumn, RowMark, registered
from customers.models import Customer

NOWRAP = {"th": {"class": "text-nowrap"}}
# The columns a row draws, and the keys the search compares its exact matches on (customers.search): the
# roster reads these alone, not all 38 (Django compiles, hashes and loads each selected column). Extensions
# read what else they show by the customers' pks.
ROW_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birthday",
    "created_at",
    "last_activity_at",
    "archived_at",
    "user",
    "first_key",
    "last_key",
    "number_key",
)
PROFILE_PK = 10**15  # stands for a customer's id in the profile URL, reversed once per table
ARCHIVED = ' <span class="badge text-bg-secondary">archived</span>'
ROW = (
    '\n<tr data-href="{url}" tabindex="-1">'
    '\n  <td><input type="checkbox" name="ids" value="{pk}" form="bulk-form"'
    ' class="form-check-input row-select" aria-label="Select {full_name}"></td>'
    '\n  <td class="roster-name"><a href="{url}">{last_name}, {first_name}</a>{marks}{archived}</td>'
    "{after_name}"
    '\n  <td class="roster-email"{email_title}>{email}</td>{after_email}'
    '\n  <td class="roster-phone">{phone}</td>{after_phone}'
    '\n  <td class="text-nowrap">{birthday}</td>{after_birthday}'
    '\n  <td class="text-nowrap roster-wide">{created}</td>{after_created_at}'
    '\n  <td class="text-nowrap">{last_activity}</td>{after_last_activity_at}'
    "\n</tr>"
)


class CustomerTable(tables.Table):
    """The roster's built-in columns and their sort orders; the header is drawn by
    customers/roster_table.html, the rows by `rows_html`, with the columns feature apps register
    (customers.extend.RosterColumn) after the one each names."""

    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={"th__input": {"id": "select-page", "aria-label": "Select all on this page"}},
        orderable=False,
    )
    name = tables.Column(accessor="last_key", order_by=("last_key", "first_key", "id"), verbose_name="Name")
    email = tables.Column(order_by=("email_key", "id"))
    phone = tables.Column(order_by=("phone_digits", "id"), attrs=NOWRAP)
    birthday = tables.Column(verbose_name="Birthday / age", order_by=("birthday", "id"), attrs=NOWRAP)
    created_at = tables.Column(
        verbose_name="Created",
        order_by=("created_at", "id"),
        attrs={"th": {"class": "text-nowrap roster-wide"}},  # hidden in narrow windows (app.css)
    )
    last_activity_at = tables.Column(
        verbose_name="Last activity", order_by=("last_activity_at", "id"), attrs=NOWRAP
    )

    class Meta:
        model = Customer
        fields = ("select", "name", "email", "phone", "birthday", "created_at", "last_activity_at")
        template_name = "customers/roster_table.html"
        attrs = {
            "class": "table table-hover align-middle roster-table mb-0",
            "id": "roster-table",
            "thead": {"hx-boost": "true", "hx-target": "#results"},  # sorting swaps the results only
        }
        empty_text = "No customers match."
        order_by_field = "sort"

    def rows_html(self) -> SafeString:
        """Every row in one pass of Python: cell by cell through templates, the rows cost more than the rest
        of the roster page together, and through format_html and date_format still a fifth of it. Text is
        escaped as Django's escape() does; extension cells and marks are their apps' functions."""
        head, tail = reverse(
            "customers:profile", kwargs={"org_slug": self.org_slug, "pk": PROFILE_PK}
        ).rsplit(str(PROFILE_PK), 1)
        drawing = RowDrawing(
            profile_url=lambda pk: f"{head}{pk}{tail}",
            marks=[mark.mark for mark in self.row_marks],
            after={
                f"after_{name}": [column.cell for column in columns]
                for name, columns in self.columns_after.items()
            },
            months=[""] + [escape(MONTHS_3[month].title()) for month in range(1, 13)],
            zone=timezone.get_current_timezone(),
        )
        return SafeString("".join(drawing.row(customer) for customer in self.customers))


@dataclass
class RowDrawing:
    """What every row of one table shares: the profile URL, the extensions' marks and cells, the month names
    of the language and the organization's time zone."""

    profile_url: Callable[[int], str]
    marks: list
    after: dict[str, list]
    months: list[str]
    zone: tzinfo

    def day(self, value: date) -> str:
        """date_format(value, "M j, Y") without its format lookups."""
        return f"{self.months[value.month]} {value.day}, {value.year:04d}"

    def row(self, customer: Customer) -> str:
        marks = "".join(mark(customer) for mark in self.marks)
        cells = {
            name: "".join(f"\n  <td>{cell(customer)}</td>" for cell in column_cells)
            for name, column_cells in self.after.items()
        }
        email = escape(customer.email)
        birthday = customer.birthday
        activity = customer.last_activity_at and customer.last_activity_at.astimezone(self.zone)
        return ROW.format(
            url=self.profile_url(customer.pk),
            pk=customer.pk,
            full_name=escape(customer.full_name),
            last_name=escape(customer.last_name),
            first_name=escape(customer.first_name),
            marks=marks,
            archived=ARCHIVED if customer.is_archived else "",
            email_title=f' title="{email}"' if email else "",
            email=email or "—",
            phone=escape(customer.phone) or "—",
            birthday=f'{self.day(birthday)} <span class="text-body-secondary">({customer.age})</span>'
            if birthday
            else "—",
            created=self.day(customer.created_at.astimezone(self.zone)),
            last_activity=f'<time datetime="{activity.isoformat()}" title="{self.day(activity)}'
            f' {activity.hour:02d}:{activity.minute:02d}">{self.day(activity)}</time>'
            if activity
            else "—",
            **cells,
        )


def roster_table(rows: list[Customer], membership, order_by: str | None, *, org_slug: str) -> CustomerTable:
    """The roster's table of a page of customers, with the registered columns and name marks."""
    extra = registered(RosterColumn)
    marks = registered(RowMark)
    for extension in extra + marks:
        extension.annotate(rows, membership)
    sequence = []
    for name in CustomerTable.Meta.fields:
        sequence += [name] + [column.key for column in extra if column.after == name]
    table = CustomerTable(
        rows,
        order_by=order_by,
        sequence=sequence,
        extra_columns=[
            (column.key, tables.Column(empty_values=(), orderable=False, verbose_name=column.header))
            for column in extra
        ],
    )
    table.row_marks = marks
    table.customers, table.org_slug = rows, org_slug
    table.columns_after = {
        name: [column for column in extra if column.after == name] for name in CustomerTable.Meta.fields
    }
    return table
