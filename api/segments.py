"""Segments: the team's shared segments (never a staff member's private ones) and a segment's members now, as
the roster opens them for a member of staff."""

from datetime import datetime

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from api.auth import scoped
from api.resources import STAFF_VIEW, PageQuery, Problem, page, within
from customers.models import Segment
from customers.selectors import ROSTER_ORDER, matching_queryset

router = Router(tags=["Segments"])


class SegmentOut(Schema):
    id: int
    name: str
    query: str
    created_at: datetime
    updated_at: datetime


class SegmentPage(Schema):
    items: list[SegmentOut]
    next_cursor: str | None


class MemberOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    archived: bool

    @staticmethod
    def resolve_archived(customer) -> bool:
        return customer.archived_at is not None


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


@router.get("/segments/", response={200: SegmentPage}, summary="Shared segments")
def segment_list(request, query: Query[PageQuery]):
    key = scoped(request, "segments")
    with within(key):
        return page(Segment.objects.filter(shared=True).order_by("id"), query)


@router.get(
    "/segments/{segment_id}/members/",
    response={200: MemberPage, 404: Problem},
    summary="A segment's members",
    description="The customers the segment selects now, in the roster's order (last name, first name), "
    "as the roster shows it to the Staff role: a condition on a custom field staff may not see is not "
    "applied, and its search reads only notes for everyone on staff.",
)
def segment_members(request, segment_id: int, query: Query[PageQuery]):
    key = scoped(request, "segments")
    with within(key):
        segment = get_object_or_404(Segment, pk=segment_id, shared=True)
        members = matching_queryset(QueryDict(segment.query), STAFF_VIEW)
        return page(members.order_by(*ROSTER_ORDER), query)
