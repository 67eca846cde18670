"""Reads of the roster that several views share."""

import calendar
from datetime import date, timedelta

import phonenumbers
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.shortcuts import get_object_or_404

from customers import extend
from customers.extend import registered
from customers.fields import customer_fields
from customers.filters import CustomerFilter
from customers.models import TEXT_TYPES, Activity, Customer, age_on
from customers.search import SearchSource, custom_field_source, normalize, phone_to_digits, plan

ROSTER_ORDER = ("last_key", "first_key", "id")


def get_customer_for_org(pk: int) -> Customer:
    """The current organization's customer, or 404 (another organization's id included)."""
    return get_object_or_404(Customer, pk=pk)


def roster_queryset(params: QueryDict, audience: str) -> tuple[CustomerFilter, QuerySet]:
    """The filter panel (bound to `params`, offering the custom fields `audience` may see) and the customers
    it selects."""
    customer_filter = CustomerFilter(params, queryset=Customer.objects.all(), audience=audience)
    queryset = customer_filter.qs if customer_filter.is_valid() else Customer.objects.none()
    return customer_filter, queryset


def search_sources(membership) -> list[SearchSource]:
    """Where the search box looks besides the customer's own fields, for this staff member: the text custom
    fields their role may see, and what other areas add (notes they may read)."""
    field_ids = [field.custom.pk for field in customer_fields(membership.role) if field.type in TEXT_TYPES]
    sources = [custom_field_source(field_ids)] if field_ids else []
    return sources + [extra.source(membership) for extra in registered(extend.SearchSource)]


def matching_queryset(params: QueryDict, membership) -> QuerySet:
    """Every customer the roster shows for `params` (all pages): what "select all N matching" means."""
    _, queryset = roster_queryset(params, membership.role)
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


def possible_duplicates(*, data: dict, exclude_pk: int | None = None) -> list[Customer]:
    """Customers who may be the same person: same phone, or same name and birthday."""
    condition = Q()
    try:
        digits = phone_to_digits(data.get("phone", ""))
    except phonenumbers.NumberParseException:
        digits = ""
    if digits:
        condition |= Q(phone_digits=digits)
    if data.get("birthday"):
        condition |= Q(
            first_key=normalize(data["first_name"]),
            last_key=normalize(data["last_name"]),
            birthday=data["birthday"],
        )
    if not condition:
        return []
    return list(
        Customer.objects.filter(condition).exclude(pk=exclude_pk).order_by("last_key", "first_key")[:5]
    )


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
        event.change_rows = [(labels[name], *values) for name, values in rows] + [
            (name, *values) for name, values in event.changes.items() if name not in labels
        ]
    return events
