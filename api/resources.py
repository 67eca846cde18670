"""What the resource routers share: an API key seen as a member of staff, the customer a path names, and a
form's errors as a 422."""

import base64
import json
from contextlib import contextmanager
from dataclasses import dataclass

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Schema, Status
from ninja.errors import HttpError

from accounts.models import Role
from accounts.tenancy import tenant
from customers.fields import jsonable
from customers.models import Customer


@dataclass(frozen=True)
class KeyViewer:
    """An API key where selectors ask "who is looking": the Staff role (the least a member of staff may see:
    staff-visible custom fields, notes for everyone on staff), and no user, so nobody's private notes."""

    role: str = Role.STAFF
    user_id: int | None = None


@dataclass(frozen=True)
class KeyRequest:
    """What ActivityKinds.restrict reads of a staff request, for a key."""

    membership: KeyViewer = KeyViewer()


STAFF_VIEW = KeyViewer()


class FieldErrors(Schema):
    detail: str
    errors: dict[str, list[str]]


def form_refused(form, names: dict[str, str] | None = None) -> Status:
    """What the staff pages' form refused, as a 422 with its messages per field (renamed by `names`)."""
    names = names or {}
    errors = {
        names.get(name, name): [str(message) for message in messages]
        for name, messages in form.errors.items()
    }
    detail = " ".join(message for messages in errors.values() for message in messages)
    return Status(422, {"detail": detail, "errors": errors})


def customer_of(pk: int) -> Customer:
    """The key's organization's customer, or 404 (another organization's id included)."""
    return get_object_or_404(Customer, pk=pk)


# Until api/common.py (branch apicust) brings the shared ones: the call's tenant and cursor pages.
@contextmanager
def within(key):
    with tenant(key.organization), timezone.override(key.organization.time_zone):
        yield


class PageQuery(Schema):
    cursor: str = ""
    limit: int = Field(50, ge=1, le=200)


def page(queryset, query: PageQuery) -> dict:
    """Keyset page over `queryset`'s order (plain columns, not null): items and the cursor of the next."""
    order = [(name.lstrip("-"), name.startswith("-")) for name in queryset.query.order_by]
    if query.cursor:
        try:
            last = json.loads(base64.urlsafe_b64decode(query.cursor.encode()))
            assert isinstance(last, list) and len(last) == len(order)
        except (ValueError, AssertionError) as error:
            raise HttpError(422, "This cursor is not one we gave.") from error
        after = Q()
        for index, (name, descending) in enumerate(order):
            step = Q(**{f"{name}__{'lt' if descending else 'gt'}": last[index]})
            for prior, (prior_name, _) in enumerate(order[:index]):
                step &= Q(**{prior_name: last[prior]})
            after |= step
        queryset = queryset.filter(after)
    items = list(queryset[: query.limit + 1])
    more = len(items) > query.limit
    items = items[: query.limit]
    cursor = None
    if more:
        values = [jsonable(getattr(items[-1], name)) for name, _ in order]
        cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode()
    return {"items": items, "next_cursor": cursor}


class Problem(Schema):
    detail: str
