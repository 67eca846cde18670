"""Reads of the roster that several views share."""

import calendar
import json
from datetime import date, timedelta

from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.lookups import In
from django.db.models.sql import Query
from django.db.models.sql.where import AND, WhereNode
from django.http import Http404, QueryDict

from customers import extend
from customers.extend import registered
from customers.fields import customer_fields
from customers.filters import CustomerFilter
from customers.lookups import HashedIn, IdAnyOf
from customers.models import TEXT_TYPES, Activity, Customer, age_on
from customers.search import SearchSource, custom_field_source, plan

ROSTER_ORDER = ("last_key", "first_key", "id")
NARROW_CAP = 3_000  # ~√(26 × 500 k): probing this many ids costs what a name-order scan does to find a page


class CustomerMergedAway(Http404):
    """A tombstone's id: its pages redirect to the customer it was merged into (customers.middleware)."""

    def __init__(self, pk: int, survivor_id: int):
        super().__init__("This customer was merged into another.")
        self.pk, self.survivor_id = pk, survivor_id


def get_customer_for_org(pk: int) -> Customer:
    """The current organization's customer, or 404 (another organization's id included); a merged-away
    customer's id raises CustomerMergedAway."""
    try:
        return Customer.objects.get(pk=pk)  # get(), not first(): an ordered query costs Django more to build
    except Customer.DoesNotExist:
        refuse_tombstone(pk)
        raise Http404("No such customer.") from None


def refuse_tombstone(pk: int) -> None:
    """Raise CustomerMergedAway when `pk` is a tombstone of the current organization."""
    tombstones = Customer.objects.with_tombstones().filter(pk=pk)
    survivor_id = tombstones.values_list("merged_into", flat=True).first()
    if survivor_id:
        raise CustomerMergedAway(pk, survivor_id)


# The roster's own parameters beside its filters: search, paging, sorting, an open segment, a bulk progress.
ROSTER_PARAMS = ("q", "page", "size", "sort", "segment", "bulk")


def roster_queryset(
    params: QueryDict, audience: str, *, panel: bool = True
) -> tuple[CustomerFilter, QuerySet]:
    """The filter panel (bound to `params`, offering the custom fields `audience` may see) and the customers
    it selects. `panel=False`: for a page that draws no panel, only the filters `params` name are built."""
    if panel:
        customer_filter = CustomerFilter(params, queryset=Customer.objects.all(), audience=audience)
    else:
        filters = params.copy()
        for name in ROSTER_PARAMS:
            filters.pop(name, None)
        customer_filter = CustomerFilter(
            filters, queryset=Customer.objects.all(), audience=audience, named_only=True
        )
    if not customer_filter.is_valid():
        return customer_filter, Customer.objects.none()
    return customer_filter, narrowed(customer_filter.qs)


def narrowed(queryset: QuerySet) -> QuerySet:
    """`queryset` with its customers named by id when its filters' id sets (a custom field's values, a tag,
    a metric condition: `pk IN (subquery)`) leave at most NARROW_CAP customers: one set that small, or the
    intersection of several (two large sets with a small overlap). A small set is intersected with the
    others too, through their indexes. The ids replace the sets they stand for, so every later query (the
    page, the count, each search branch) reads that short list alone, with its true size, whatever the
    planner would have guessed about the filters together: misjudged, it scans the roster in name order
    and probes each customer, or reads the whole roster to hash against a set it thought large."""
    id_sets = list(_id_sets(queryset.query.where))
    ids, covered, others = None, [], id_sets
    for index, condition in enumerate(id_sets):
        if (found := _capped_ids(condition.rhs.clone(), queryset.db)) is not None:
            ids, covered, others = found, [condition], id_sets[:index] + id_sets[index + 1 :]
            break
    if others and (ids is not None or len(others) > 1):
        intersection = _intersection(others, ids)
        if intersection is not None and (found := _capped_ids(intersection, queryset.db)) is not None:
            ids, covered = found, id_sets
    if ids is None:
        return _hashed(queryset, id_sets)
    narrow = queryset.all()
    _rewrite(narrow.query.where, {id(condition) for condition in covered})
    return narrow.filter(pk__any_of=ids)


def _hashed(queryset: QuerySet, large_sets: list[In]) -> QuerySet:
    """`queryset` with those of its id sets (each counted past NARROW_CAP) that the planner reckons smaller
    than that made hashed filters (HashedIn). It reckons a number range or a "contains" on one field by the
    share of every field's values, 10-16× too few: it would join the whole set and sort it for a page."""
    misjudged = {
        id(condition) for condition in large_sets if _planned_rows(condition.rhs, queryset.db) <= NARROW_CAP
    }
    if not misjudged:
        return queryset
    hashed = queryset.all()
    _rewrite(hashed.query.where, misjudged, HashedIn)
    return hashed


def _planned_rows(subquery: Query, using: str) -> float:
    sql, params = subquery.get_compiler(using).as_sql()
    with connections[using].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"]


def _capped_ids(subquery: Query, using: str) -> list[int] | None:
    """The customer ids `subquery` yields, or None if more than NARROW_CAP."""
    subquery.set_limits(high=NARROW_CAP + 1)
    ids = [row[0] for row in subquery.get_compiler(using).results_iter()]
    return ids if len(ids) <= NARROW_CAP else None


def _id_sets(where: WhereNode):
    """The `pk IN (subquery)` conditions every row of `where` must meet (ANDed, not negated)."""
    if where.connector != AND or where.negated:
        return
    for child in where.children:
        if isinstance(child, WhereNode):
            yield from _id_sets(child)
        elif (
            isinstance(child, In)
            and isinstance(child.rhs, Query)
            and getattr(child.lhs, "target", None) == Customer._meta.pk
        ):
            yield child


def _rewrite(where: WhereNode, conditions: set[int], replacement: type[In] | None = None) -> None:
    """Take the conditions (by id) out of `where`, where _id_sets finds them, or with `replacement` (an In
    lookup) put one of that kind on the same set in each one's place. The tree is a clone's, its conditions
    shared with the original: they are replaced, never changed."""
    if where.connector != AND or where.negated:
        return
    kept = []
    for child in where.children:
        if id(child) not in conditions:
            kept.append(child)
        elif replacement:
            kept.append(replacement(child.lhs, child.rhs))
    where.children = kept
    for child in where.children:
        if isinstance(child, WhereNode):
            _rewrite(child, conditions, replacement)


def _intersection(conditions: list[In], ids: list[int] | None) -> Query | None:
    """The customers in every one of these id sets (and among `ids`, if given), as one query on the sets'
    own indexes (the planner hashes one set and reads another against it), without the roster. One set
    takes the others as conditions: a UNION (a "contains") or a sliced set can't; None if none can."""
    plain = [
        condition.rhs
        for condition in conditions
        if condition.rhs.select and not (condition.rhs.combinator or condition.rhs.is_sliced)
    ]
    if not plain:
        return None
    intersection = plain[0].clone()
    customer_id = intersection.select[0]
    if ids is not None:
        intersection.add_q(Q(IdAnyOf(customer_id, ids)))
    for condition in conditions:
        if condition.rhs is not plain[0]:
            intersection.add_q(Q(In(customer_id, condition.rhs)))
    return intersection


def search_sources(membership) -> list[SearchSource]:
    """Where the search box looks besides the customer's own fields, for this staff member: the text custom
    fields their role may see, and what other areas add (notes they may read)."""
    field_ids = [field.custom.pk for field in customer_fields(membership.role) if field.type in TEXT_TYPES]
    sources = [custom_field_source(field_ids)] if field_ids else []
    return sources + [extra.source(membership) for extra in registered(extend.SearchSource)]


def matching_queryset(params: QueryDict, membership) -> QuerySet:
    """Every customer the roster shows for `params` (all pages): what "select all N matching" means."""
    _, queryset = roster_queryset(params, membership.role, panel=False)
    query = params.get("q", "").strip()
    return queryset.filter(plan(query, search_sources(membership)).condition) if query else queryset


def selected_customers(post: QueryDict, membership) -> QuerySet:
    """The customers a bulk form names: ticked ids (of this organization only) or all matching."""
    if post.get("all_matching") == "1":
        return matching_queryset(QueryDict(post.get("query", "")), membership)
    ids = [int(value) for value in post.getlist("ids") if value.isdigit()]
    return Customer.objects.filter(pk__in=ids)


def birthday_banner(birthday: date | None, today: date) -> str | None:
    """ "Birthday today — turns 8" / "Birthday in 3 days — turns 8" within the coming week."""
    if birthday is None:
        return None
    for days in range(8):
        day = today + timedelta(days=days)
        if (day.month, day.day) == (birthday.month, birthday.day) or (
            (birthday.month, birthday.day) == (2, 29)
            and (day.month, day.day) == (3, 1)
            and not calendar.isleap(day.year)
        ):
            turns = age_on(birthday, day)
            when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
            return f"Birthday {when} — turns {turns}"
    return None


def visible_events(request, customer: Customer):
    """The customer's activity this viewer may see: each kind's area drops the events it restricts."""
    events = Activity.objects.filter(customer=customer)
    for group in registered(extend.ActivityKinds):
        if group.restrict:
            events = group.restrict(request, events)
    return events


def with_change_rows(events, role: str):
    """Each event with `change_rows` [(label, before, after)]. Changes to a field this role may not see are
    left out, as the field is everywhere else; changes of what is not a field (a note, tags, a metric) are
    stored under their label."""
    visible = customer_fields(role, include_retired=True)
    order = {field.name: index for index, field in enumerate(visible)}
    labels = {field.name: field.label for field in customer_fields(include_retired=True)}
    for event in events:
        rows = [(name, values) for name, values in event.changes.items() if name in order]
        rows.sort(key=lambda item: order[item[0]])
        event.change_rows = [(labels[name], *map(_shown, values)) for name, values in rows] + [
            (name, *map(_shown, values)) for name, values in event.changes.items() if name not in labels
        ]
    return events


def _shown(value):
    """A yes/no change (marketing emails) in words, as the profile shows it."""
    return {True: "Yes", False: "No"}[value] if isinstance(value, bool) else value
