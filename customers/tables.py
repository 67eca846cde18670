import django_tables2 as tables
from django.template.loader import get_template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

from customers.extend import RosterColumn, RowMark, registered
from customers.models import Customer

NOWRAP = {"th": {"class": "text-nowrap"}}
DAY = "M j, Y"
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
        of the roster page together. Extension cells and marks are still their apps' templates."""
        marks = [get_template(mark.template) for mark in self.row_marks]
        after = {
            name: [get_template(column.template) for column in columns]
            for name, columns in self.columns_after.items()
        }
        return format_html_join(
            "", "{}", ((self._row(customer, marks, after),) for customer in self.customers)
        )

    def _row(self, customer: Customer, marks: list, after: dict) -> SafeString:
        drawn = {"customer": customer}
        cells = {
            f"after_{name}": format_html_join(
                "", "\n  <td>{}</td>", ((template.render(drawn),) for template in templates)
            )
            for name, templates in after.items()
        }
        activity = customer.last_activity_at
        return format_html(
            ROW,
            url=reverse("customers:profile", kwargs={"org_slug": self.org_slug, "pk": customer.pk}),
            pk=customer.pk,
            full_name=customer.full_name,
            last_name=customer.last_name,
            first_name=customer.first_name,
            marks=format_html_join("", "{}", ((template.render(drawn),) for template in marks)),
            archived=SafeString(' <span class="badge text-bg-secondary">archived</span>')
            if customer.is_archived
            else "",
            email_title=format_html(' title="{}"', customer.email) if customer.email else "",
            email=customer.email or "—",
            phone=customer.phone or "—",
            birthday=format_html(
                '{} <span class="text-body-secondary">({})</span>',
                date_format(customer.birthday, DAY),
                customer.age,
            )
            if customer.birthday
            else "—",
            created=date_format(template_localtime(customer.created_at), DAY),
            last_activity=format_html(
                '<time datetime="{}" title="{}">{}</time>',
                date_format(template_localtime(activity), "c"),
                date_format(template_localtime(activity), "M j, Y H:i"),
                date_format(template_localtime(activity), DAY),
            )
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
