"""Activity: a customer's Activity Log, with the kinds and labels of the profile's tab, and what that tab
hides from the Staff role hidden here too (notes staff may not read, changes to fields staff may not see)."""

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema

from api.auth import scoped
from api.common import CursorPage, FieldErrors, PageParams, Problem, paginate
from api.resources import KeyRequest, customer_of
from customers.extend import ActivityKinds, find, registered
from customers.models import Audience
from customers.selectors import visible_events, with_change_rows

router = Router()


class ChangeOut(Schema):
    field: str
    before: Any
    after: Any


class EventOut(Schema):
    id: int
    kind: str
    kind_label: str
    detail: str
    by: str
    changes: list[ChangeOut]
    created_at: datetime

    @staticmethod
    def resolve_by(event) -> str:
        return event.actor.display_name if event.actor else event.actor_label

    @staticmethod
    def resolve_changes(event) -> list[dict]:
        return [
            {"field": label, "before": before, "after": after} for label, before, after in event.change_rows
        ]


class EventQuery(Schema):
    kind: str = ""


@router.get(
    "/customers/{customer_id}/activity/",
    response={200: CursorPage[EventOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's activity",
    description="Oldest first. `kind` narrows to one group of the Activity Log's filter: "
    "profile, notes, tags, metrics, family, account, and those of other areas.",
)
def event_list(request, customer_id: int, query: Query[EventQuery], page: Query[PageParams]):
    scoped(request, "activity")
    customer = customer_of(customer_id)
    events = visible_events(KeyRequest(), customer)
    if query.kind:
        group = find(ActivityKinds, query.kind)
        if group is None:
            kinds = ", ".join(group.key for group in registered(ActivityKinds))
            raise FieldErrors({"kind": [f"Unknown kind “{query.kind}”: one of {kinds}."]})
        events = events.filter(kind__in=list(group.kinds))
    result = paginate(request, events.select_related("actor"), page)
    with_change_rows(result["items"], Audience.STAFF)
    return result
