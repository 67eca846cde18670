"""The customers app's extension API: what a feature app adds to the roster and the profile.

A feature app describes each addition with one of the types below and passes it to `register()` from its
AppConfig.ready() (by importing its `extensions` module). The core reads them with `registered(Type)`, sorted
by `order` then `key`, so the order of INSTALLED_APPS does not matter. The core imports no feature app:
everything it shows of one comes through here.
"""

from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.html import format_html
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class ProfileTab:
    """A tab of the profile. Its view (mounted by the app) calls `render_profile(request, customer, key,
    context)`; `template` draws the tab's body with that context."""

    key: str
    label: str
    url_name: str  # reversed with org_slug and pk
    template: str
    order: int
    permission: str = "customers.view"
    count: Callable | None = None  # (request, customer) -> int, shown beside the label


@dataclass(frozen=True)
class ProfileBox:
    """A box on the profile: `template` drawn with `box` = `context(request, customer)`, in the right-hand
    column ("side") or above the tabs ("top"; drawn only when its context is not empty)."""

    key: str
    template: str
    context: Callable
    order: int
    permission: str = "customers.view"
    place: str = "side"


@dataclass(frozen=True)
class RosterFilters:
    """Filters of the roster's panel: `filters(audience)` → {name: django_filters.Filter}, drawn after the
    built-in ones. `names`: every name they may have, so a request that names none of them (the API, the
    roster's results) does not build them and read their choices; empty: built for any unknown name."""

    key: str
    filters: Callable[[str], dict]
    order: int
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class RosterColumn:
    """A column of the roster, drawn right after the built-in column `after`. `annotate(customers,
    membership)` sets what `cell` reads on a page of customers, in a query or two; `cell(customer)` returns
    one cell's content as markup, drawn in Python as the rest of the row is (a template per cell was a tenth
    of the page): escape what anyone typed (format_html). The customers carry only the columns a row draws
    (customers.tables.ROW_FIELDS): read anything else in `annotate`, by their pks."""

    key: str
    header: str
    after: str
    cell: Callable[[object], str]
    annotate: Callable[[list, object], None]
    order: int


EMPTY_CELL = SafeString('<span class="text-body-secondary">—</span>')  # a cell with nothing to show


def mark_badge(label: str, classes: str, detail: str | None = None) -> str:
    """A row mark's pill beside the name; `detail` (escaped, whoever wrote it) in its tooltip and for screen
    readers."""
    if detail is None:
        return format_html(' <span class="badge rounded-pill {}">{}</span>', classes, label)
    return format_html(
        ' <span class="badge rounded-pill {}" title="{}">{}<span class="visually-hidden">: {}</span></span>',
        classes,
        detail,
        label,
        detail,
    )


@dataclass(frozen=True)
class RowMark:
    """A mark beside a customer's name on the roster (e.g. a pinned note): `annotate` and `mark(customer)` as
    a column's `annotate` and `cell`, drawn inside the name cell ("" for no mark)."""

    key: str
    mark: Callable[[object], str]
    annotate: Callable[[list, object], None]
    order: int


class BulkActionError(ValueError):
    """What the staff member must fix before a bulk action can run, in words for them."""


@dataclass(frozen=True)
class BulkAction:
    """An action on the customers ticked on the roster (or all matching).

    `apply(customer_ids=, by=, params=)` changes a batch of the current organization's customers (other ids
    match nothing) and returns how many changed; large selections run it in a worker, batch by batch.
    `params(post)` reads what the action needs from the bulk form (a JSON-able dict), raising
    BulkActionError. `describe(params)` names it in messages (' (“VIP”)'). `run_now(customer_ids=, by=,
    params=)`, when given, runs a small selection at once and returns its own messages [(level, text)].
    `control` is the template drawn in the bulk bar with `action` and `control` = `control_context()` (a
    submit button named "action" by default; "" when another action's control draws this one's button)."""

    key: str
    label: str
    done: str  # "3 customers <done>"
    apply: Callable[..., int]
    order: int
    permission: str = "customers.change"
    params: Callable | None = None
    describe: Callable[[dict], str] = lambda params: ""
    run_now: Callable | None = None
    control: str = "customers/bulk_button.html"
    control_context: Callable[[], object] = lambda: None


@dataclass(frozen=True)
class ExportColumn:
    """A column of exports: `values(customer_ids, membership)` → {customer_id: text}, per chunk, holding only
    what that staff member may see."""

    key: str
    header: str
    values: Callable[[list[int], object], dict[int, str]]
    order: int


@dataclass(frozen=True)
class SearchSource:
    """Where the roster's search box also looks: `source(membership)` → customers.search.SearchSource."""

    key: str
    source: Callable
    order: int


@dataclass(frozen=True)
class ActivityKinds:
    """A group of the Activity Log's kinds of event ({value: label}), offered as one filter.
    `restrict(request, events)`, when given, drops the events this viewer may not read (private notes)."""

    key: str
    label: str
    kinds: dict[str, str]
    order: int
    restrict: Callable | None = None


@dataclass(frozen=True)
class ArchiveWarning:
    """Something staff confirm before archiving a customer: `template` drawn on the confirmation page with
    `warning` = `context(customer)` when that is not empty."""

    key: str
    template: str
    context: Callable
    order: int


@dataclass(frozen=True)
class Report:
    """A report under Reports (`/app/<org>/reports/`). Its page, `url_name` reversed with org_slug, draws the
    common controls (date range, week or month, a segment as the population). `tables(query)` computes its
    tables in SQL for a customers.reports.ReportQuery → [customers.reports.ReportTable]: what the CSV and XLSX
    downloads and the scheduled emails hold."""

    key: str
    label: str
    url_name: str
    order: int
    tables: Callable
    permission: str = "reports.view"
    # Which of the shell's controls apply to it: "range" (with custom from / to), "every", "segment".
    controls: tuple[str, ...] = ("range", "every", "segment")


@dataclass(frozen=True)
class EventListener:
    """Hears the roster's events (customers.events) once their transaction has committed:
    `receive(organization, events)` gets the organization and the committed events' payloads, in order."""

    key: str
    receive: Callable[[object, list[dict]], None]
    order: int


@dataclass(frozen=True)
class DuplicateSignal:
    """Evidence a feature app holds that two customers may be one person (e.g. they share a guardian), for the
    duplicate finder (customers.duplicates). `pairs(probe)` → SQL selecting the customer id pairs `a < b` of
    the current organization that have it: all of them when `probe` is None, else only pairs with a customer
    in the relation named `probe` (a column `id`). The pairs are also candidates the finder scores; `points`
    is what the signal adds to a pair's score, shown as a reason with `label`."""

    key: str
    label: str
    points: int
    pairs: Callable[[str | None], str]
    order: int


@dataclass(frozen=True)
class MergeHandler:
    """How a merge of two customers (customers.merge) treats one app's rows that point at a customer.

    `fields` are the ("app_label.Model", "field") foreign keys to Customer it owns; every such key of every
    installed model must be owned by one handler (tests/test_merge.py). Without `move`, each field's rows move
    to the survivor with one UPDATE, their ids kept for the undo. `move(merged=, survivor=, record=)` (record:
    the customers.models.Merge being made, with the staff member's choices) does it itself and returns a
    customers.merge.UndoRecord: the rows it moved, and those it had to delete or change as they were before.
    `undo(merged=, survivor=, undo=)` reverses that record when reversing rows alone is not enough.
    `count(customer)` is how many rows would move (the preview shows `label` with it, 0 hidden);
    `problems(merged=, survivor=)` → reasons the merge cannot go ahead, `warnings(...)` → what staff should
    know before it does."""

    key: str
    label: str
    fields: tuple[tuple[str, str], ...]
    order: int
    move: Callable | None = None
    undo: Callable | None = None
    count: Callable | None = None
    problems: Callable | None = None
    warnings: Callable | None = None


@dataclass(frozen=True)
class PersonData:
    """One part of a person's data export (customers can ask for theirs; staff export it from the profile).
    `rows(customer, include_notes=)` → a list of dicts (one per record), or (headers, rows) for a table; the
    export writes each part as JSON and as CSV. `describe` says in the export's README what the part holds."""

    key: str
    label: str
    rows: Callable[..., list[dict] | tuple[list[str], list[list]]]
    order: int
    describe: str = ""


@dataclass(frozen=True)
class ErasureLine:
    """What one part of an erasure did to a kind of record: "erased", "anonymized" or "kept", how many, and
    why a record was kept (the certificate prints it)."""

    what: str
    action: str
    count: int
    why: str = ""


@dataclass(frozen=True)
class PersonErasure:
    """One part of erasing a person: `erase(customer)` erases or anonymizes its records of them inside the
    erasure's transaction and returns [ErasureLine]; the confirmation page runs it in a transaction it rolls
    back, so what staff read is what happens. `covers` names every foreign key to Customer it handles
    ("app_label.Model.field"): a meta-test fails when a customer foreign key is covered by no part. The
    roster's own part runs last (order 1000), after the others have used the name to find mentions."""

    key: str
    label: str
    erase: Callable[[object], list[ErasureLine]]
    order: int
    covers: tuple[str, ...] = ()


Extension = (
    ProfileTab
    | ProfileBox
    | RosterFilters
    | RosterColumn
    | RowMark
    | BulkAction
    | ExportColumn
    | SearchSource
    | ActivityKinds
    | ArchiveWarning
    | Report
    | EventListener
    | DuplicateSignal
    | MergeHandler
    | PersonData
    | PersonErasure
)
_registry: dict[type, dict[str, object]] = defaultdict(dict)


def register(*extensions: Extension) -> None:
    for extension in extensions:
        of_its_type = _registry[type(extension)]
        if extension.key in of_its_type:
            raise ImproperlyConfigured(
                f"Two {type(extension).__name__} extensions are named {extension.key!r}."
            )
        of_its_type[extension.key] = extension


def registered[T](kind: type[T]) -> list[T]:
    """The extensions of one type, in their order."""
    return sorted(_registry[kind].values(), key=lambda extension: (extension.order, extension.key))


def find[T](kind: type[T], key: str) -> T | None:
    return _registry[kind].get(key)


def activity_kind_labels() -> dict[str, str]:
    """Every kind of activity event with its label."""
    return {kind: label for group in registered(ActivityKinds) for kind, label in group.kinds.items()}


_page_reads: ContextVar[dict | None] = ContextVar("page_reads", default=None)


@contextmanager
def page_reads():
    """While the roster or a profile draws a page (no writes after it starts), what extensions load through
    `read_once` is read once: the tag list serves the filter panel and the bulk bar, a customer's memberships
    the Memberships box and the past-due alert. Nested, it goes on with the page's reads."""
    reads = _page_reads.get()
    token = _page_reads.set({} if reads is None else reads)
    try:
        yield
    finally:
        _page_reads.reset(token)


def read_once[T](load: Callable[..., T], *args) -> T:
    """`load(*args)`, made once per page (`page_reads`); anywhere else each call reads afresh."""
    reads = _page_reads.get()
    if reads is None:
        return load(*args)
    key = (load, *args)
    if key not in reads:
        reads[key] = load(*args)
    return reads[key]
