"""Tags: the organization's tags, a customer's tags, and adding or removing one with the service (and the
Activity Log event) the profile's Tags box uses."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import StrictInt

from api.auth import scoped
from api.common import CursorPage, PageParams, Problem, paginate
from api.resources import customer_of
from tags import services
from tags.models import Tag

router = Router()


class TagOut(Schema):
    id: int
    name: str
    color: str
    description: str


class TagCountOut(TagOut):
    customers: int


class TagIn(Schema):
    tag_id: StrictInt


class TagAdded(Schema):
    added: bool
    tag: TagOut


@router.get(
    "/tags/",
    response={200: CursorPage[TagCountOut], 403: Problem, 422: Problem},
    summary="Tags, with how many customers have each",
)
def tag_list(request, page: Query[PageParams]):
    scoped(request, "tags")
    tags = Tag.objects.annotate(customers=Count("assignments")).order_by("id")
    return paginate(request, tags, page)


@router.get(
    "/customers/{customer_id}/tags/",
    response={200: CursorPage[TagOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's tags",
)
def customer_tags(request, customer_id: int, page: Query[PageParams]):
    scoped(request, "tags")
    customer = customer_of(customer_id)
    return paginate(request, Tag.objects.filter(assignments__customer=customer), page)


@router.post(
    "/customers/{customer_id}/tags/",
    response={200: TagAdded, 201: TagAdded, 403: Problem, 404: Problem, 422: Problem},
    summary="Tag a customer",
    description="201 when the customer gains the tag, 200 when they had it already. The change is in their "
    "Activity Log.",
)
def customer_tag_add(request, customer_id: int, body: TagIn):
    scoped(request, "tags", write=True)
    customer = customer_of(customer_id)
    tag = get_object_or_404(Tag, pk=body.tag_id)
    added = services.tag_add(customer=customer, tag=tag, by=None)
    return Status(201 if added else 200, {"added": added, "tag": tag})


@router.delete(
    "/customers/{customer_id}/tags/{tag_id}/",
    response={204: None, 403: Problem, 404: Problem, 422: Problem},
    summary="Take a tag off a customer",
    description="The change is in their Activity Log; a tag they did not have is no change.",
)
def customer_tag_remove(request, customer_id: int, tag_id: int):
    scoped(request, "tags", write=True)
    services.tag_remove(customer=customer_of(customer_id), tag=get_object_or_404(Tag, pk=tag_id), by=None)
    return Status(204, None)
