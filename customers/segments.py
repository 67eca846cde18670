"""Reads of saved segments: a named roster view (search, A–Z, filters) that opens the roster, feeds bulk
actions and exports, and counts live, because it stores the conditions rather than the customers."""

from django.db.models import Q
from django.db.models.functions import Lower
from django.http import QueryDict
from django.urls import reverse

from customers.models import Segment

# Paging and one-off state are not part of what a segment selects.
NOT_CONDITIONS = ("page", "bulk", "segment", "size")


def conditions(query: str) -> str:
    params = QueryDict(query, mutable=True)
    for name in NOT_CONDITIONS:
        params.pop(name, None)
    return params.urlencode()


def segments_for(membership):
    """The team's shared segments and this staff member's private ones."""
    return Segment.objects.filter(Q(shared=True) | Q(owner_id=membership.user_id)).order_by(Lower("name"))


def segment_url(segment: Segment) -> str:
    roster = reverse("customers:roster", kwargs={"org_slug": segment.organization.slug})
    return f"{roster}?{segment.query}{'&' if segment.query else ''}segment={segment.pk}"
