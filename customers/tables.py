from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, tzinfo
from html import escape  # what django.utils.html.escape runs, without its lazy-text wrapper: ~20 calls a row

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString

from customers.extend import RosterColumn, RowMark, registered
from customers.models import Customer

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


@dataclass(frozen=True)
class Column:
    """A built-in column: its header, the ORDER BY of `?sort=<key>` and the header cell's classes."""

    key: str
    label: str
    order_by: tuple[str, ...]
    classes: str = ""


COLUMNS = (
    Column("name", "Name", ("last_key", "first_key", "id")),
    Column("email", "Email", ("email_key", "id")),
    Column("phone", "Phone", ("phone_digits", "id"), "text-nowrap"),
    Column("birthday", "Birthday / age", ("birthday", "id"), "text-nowrap"),
    Column("created_at", "Created", ("created_at", "id"), "text-nowrap roster-wide"),  # hidden when narrow
    Column("last_activity_at", "Last activity", ("last_activity_at", "id"), "text-nowrap"),
)
SORTABLE = {column.key: column for column in COLUMNS}


def sort_order(sort: str) -> tuple[str, ...] | None:
    """The ORDER BY of a sortable column named in `?sort=` (`-` for descending), else None."""
    column = SORTABLE.get(sort.removeprefix("-"))
    if column is None:
        return None
    return tuple(f"-{name}" for name in column.order_by) if sort.startswith("-") else column.order_by


def first_page_links(params, name: str, values: list[str]) -> list[str]:
    """The roster's query with `name` set to each of `values` ("" leaves it out), from its first page, each
    parameter where it was: one copy of the query for all the links (27 {% querystring %} tags of the A–Z bar
    took ~0.7 ms a page)."""
    query = params.copy()
    query.pop("page", None)
    hrefs = {}
    for value in filter(None, values):
        query[name] = value
        hrefs[value] = f"?{query.urlencode()}"
    query.pop(name, None)
    return [hrefs[value] if value else f"?{query.urlencode()}" for value in values]


@dataclass(frozen=True)
class Header:
    label: str
    classes: str = ""
    href: str = ""  # a sort link: the roster's query sorted by this column, from its first page
    sort: str = ""  # aria-sort: "ascending" or "descending" when the roster is sorted by it


class CustomerTable:
    """The roster's table: the built-in columns, with the columns feature apps register
    (customers.extend.RosterColumn) after the one each names. Drawn by customers/roster_table.html; the header
    and the rows are built here (django-tables2 drew the header for ~2 ms a page, a tenth of a search)."""

    def __init__(self, rows: list[Customer], params, *, org_slug: str):
        self.customers, self.org_slug = rows, org_slug
        self.row_marks = registered(RowMark)
        extra = registered(RosterColumn)
        self.columns_after = {
            column.key: [each for each in extra if each.after == column.key] for column in COLUMNS
        }
        self.headers = self._headers(params)

    def _headers(self, params) -> list[Header]:
        """Each column's link sorts by it, the other way round when the roster already is."""
        sort = params.get("sort", "")
        turns = [f"-{column.key}" if sort == column.key else column.key for column in COLUMNS]
        headers = []
        for column, href in zip(COLUMNS, first_page_links(params, "sort", turns), strict=True):
            ordered = {column.key: "ascending", f"-{column.key}": "descending"}.get(sort, "")
            headers.append(Header(column.label, column.classes, href, ordered))
            headers += [Header(each.header) for each in self.columns_after[column.key]]
        return headers

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


def roster_table(rows: list[Customer], membership, params, *, org_slug: str) -> CustomerTable:
    """The roster's table of a page of customers, with the registered columns and name marks."""
    for extension in registered(RosterColumn) + registered(RowMark):
        extension.annotate(rows, membership)
    return CustomerTable(rows, params, org_slug=org_slug)
