"""Tags: the organization's tags, a customer's tags, and adding or removing one with the service (and the
Activity Log event) the profile's Tags box uses."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from api.auth import scoped
from api.resources import PageQuery, Problem, customer_of, page, within
from tags import services
from tags.models import Tag

router = Router(tags=["Tags"])


class TagOut(Schema):
    id: int
    name: str
    color: str
    description: str


class TagCountOut(TagOut):
    customers: int


class TagPage(Schema):
    items: list[TagCountOut]
    next_cursor: str | None


class CustomerTagPage(Schema):
    items: list[TagOut]
    next_cursor: str | None


class TagIn(Schema):
    tag_id: int


class TagAdded(Schema):
    added: bool
    tag: TagOut


@router.get("/tags/", response={200: TagPage}, summary="Tags, with how many customers have each")
def tag_list(request, query: Query[PageQuery]):
    key = scoped(request, "tags")
    with within(key):
        tags = Tag.objects.annotate(customers=Count("assignments")).order_by("id")
        return page(tags, query)


@router.get(
    "/customers/{customer_id}/tags/",
    response={200: CustomerTagPage, 404: Problem},
    summary="A customer's tags",
)
def customer_tags(request, customer_id: int, query: Query[PageQuery]):
    key = scoped(request, "tags")
    with within(key):
        customer = customer_of(customer_id)
        return page(Tag.objects.filter(assignments__customer=customer).order_by("id"), query)


@router.post(
    "/customers/{customer_id}/tags/",
    response={200: TagAdded, 201: TagAdded, 404: Problem},
    summary="Tag a customer",
    description="201 when the customer gains the tag, 200 when they had it already. The change is in their "
    "Activity Log.",
)
def customer_tag_add(request, customer_id: int, body: TagIn):
    key = scoped(request, "tags", write=True)
    with within(key):
        customer = customer_of(customer_id)
        tag = get_object_or_404(Tag, pk=body.tag_id)
        added = services.tag_add(customer=customer, tag=tag, by=None)
        return Status(201 if added else 200, {"added": added, "tag": tag})


@router.delete(
    "/customers/{customer_id}/tags/{tag_id}/",
    response={204: None, 404: Problem},
    summary="Take a tag off a customer",
    description="The change is in their Activity Log; a tag they did not have is no change.",
)
def customer_tag_remove(request, customer_id: int, tag_id: int):
    key = scoped(request, "tags", write=True)
    with within(key):
        services.tag_remove(customer=customer_of(customer_id), tag=get_object_or_404(Tag, pk=tag_id), by=None)
        return Status(204, None)
