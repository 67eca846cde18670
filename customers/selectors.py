"""Reads of the roster that several views share."""

import calendar
from datetime import date, timedelta

from django.db.models import QuerySet
from django.http import QueryDict
from django.shortcuts import get_object_or_404

from customers.fields import customer_fields
from customers.filters import CustomerFilter
from customers.models import TEXT_TYPES, Customer, age_on
from customers.search import plan

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


def searchable_fields(audience: str) -> list[int]:
    """Ids of the text custom fields the search box looks in for `audience` (never one it may not see)."""
    return [field.custom.pk for field in customer_fields(audience) if field.type in TEXT_TYPES]


def matching_queryset(params: QueryDict, audience: str) -> QuerySet:
    """Every customer the roster shows for `params` (all pages): what "select all N matching" means."""
    _, queryset = roster_queryset(params, audience)
    query = params.get("q", "").strip()
    return queryset.filter(plan(query, searchable_fields(audience)).condition) if query else queryset


def selected_customers(post: QueryDict, audience: str) -> QuerySet:
    """The customers a bulk form names: ticked ids (of this organization only) or all matching."""
    if post.get("all_matching") == "1":
        return matching_queryset(QueryDict(post.get("query", "")), audience)
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
