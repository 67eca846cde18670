"""Segments: the team's shared segments (never a staff member's private ones) and a segment's members now, as
the roster opens them for a member of staff."""

from datetime import datetime

from django.http import QueryDict
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema

from api.auth import scoped
from api.common import CursorPage, PageParams, Problem, paginate
from api.resources import STAFF_VIEW
from customers.models import Segment
from customers.selectors import matching_queryset

router = Router()


class SegmentOut(Schema):
    id: int
    name: str
    query: str
    created_at: datetime
    updated_at: datetime


class MemberOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    archived: bool

    @staticmethod
    def resolve_archived(customer) -> bool:
        return customer.archived_at is not None


@router.get(
    "/segments/",
    response={200: CursorPage[SegmentOut], 403: Problem, 422: Problem},
    summary="Shared segments",
)
def segment_list(request, page: Query[PageParams]):
    scoped(request, "segments")
    return paginate(request, Segment.objects.filter(shared=True), page)


@router.get(
    "/segments/{segment_id}/members/",
    response={200: CursorPage[MemberOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A segment's members",
    description="The customers the segment selects now, as the roster shows it to the Staff role: a "
    "condition on a custom field staff may not see is not applied, and its search reads only notes for "
    "everyone on staff.",
)
def segment_members(request, segment_id: int, page: Query[PageParams]):
    scoped(request, "segments")
    segment = get_object_or_404(Segment, pk=segment_id, shared=True)
    members = matching_queryset(QueryDict(segment.query), STAFF_VIEW)
    return paginate(request, members, page)
