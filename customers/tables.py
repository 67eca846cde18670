import django_tables2 as tables

from customers.extend import RosterColumn, RowMark, registered
from customers.models import Customer

NOWRAP = {"th": {"class": "text-nowrap"}}


class CustomerTable(tables.Table):
    """The roster's built-in columns and their sort orders; rows are drawn by customers/roster_table.html,
    with the columns feature apps register (customers.extend.RosterColumn) after the one each names."""

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


def roster_table(rows: list[Customer], membership, order_by: str | None) -> CustomerTable:
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
    table.columns_after = {
        name: [column for column in extra if column.after == name] for name in CustomerTable.Meta.fields
    }
    return table
