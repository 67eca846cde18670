import django_tables2 as tables

from customers.models import Customer

NOWRAP = {"th": {"class": "text-nowrap"}}


class CustomerTable(tables.Table):
    """The roster's columns and their sort orders; rows are drawn by customers/roster_table.html."""

    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={"th__input": {"id": "select-page", "aria-label": "Select all on this page"}},
        orderable=False,
    )
    name = tables.Column(accessor="last_key", order_by=("last_key", "first_key", "id"), verbose_name="Name")
    tags = tables.Column(empty_values=(), orderable=False, verbose_name="Tags")
    email = tables.Column(order_by=("email_key", "id"))
    phone = tables.Column(order_by=("phone_digits", "id"), attrs=NOWRAP)
    birthday = tables.Column(verbose_name="Birthday / age", order_by=("birthday", "id"), attrs=NOWRAP)
    account = tables.Column(empty_values=(), orderable=False, verbose_name="Account")
    created_at = tables.Column(verbose_name="Created", order_by=("created_at", "id"), attrs=NOWRAP)
    last_activity_at = tables.Column(
        verbose_name="Last activity", order_by=("last_activity_at", "id"), attrs=NOWRAP
    )

    class Meta:
        model = Customer
        fields = (
            "select",
            "name",
            "tags",
            "email",
            "phone",
            "birthday",
            "account",
            "created_at",
            "last_activity_at",
        )
        template_name = "customers/roster_table.html"
        attrs = {
            "class": "table table-hover align-middle roster-table mb-0",
            "id": "roster-table",
            "thead": {"hx-boost": "true", "hx-target": "#results"},  # sorting swaps the results only
        }
        empty_text = "No customers match."
        order_by_field = "sort"
