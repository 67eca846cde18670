"""Families: a customer's guardian links (both ways), and linking a guardian with the families service and its
rules (no self-links, no duplicates, no cycles)."""

from datetime import datetime

from django.db.models import Q
from ninja import Query, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from api.auth import scoped
from api.common import CursorPage, FieldErrors, PageParams, Problem, paginate
from api.resources import customer_of
from families import services
from families.models import GuardianLink, GuardianPermission, Relationship

router = Router()


class PersonOut(Schema):
    id: int
    first_name: str
    last_name: str


class LinkOut(Schema):
    id: int
    guardian: PersonOut
    dependant: PersonOut
    relationship: Relationship
    is_primary: bool
    permissions: list[GuardianPermission]
    created_at: datetime


class LinkIn(Schema):
    guardian_id: StrictInt
    relationship: Relationship
    is_primary: StrictBool = False


@router.get(
    "/customers/{customer_id}/guardian-links/",
    response={200: CursorPage[LinkOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's guardian links",
    description="Links to the customer's guardians (`dependant` is the customer) and to the people they look "
    "after (`guardian` is the customer), with each guardian's permissions.",
)
def link_list(request, customer_id: int, page: Query[PageParams]):
    scoped(request, "families")
    customer = customer_of(customer_id)
    links = GuardianLink.objects.filter(Q(guardian=customer) | Q(dependant=customer))
    return paginate(request, links.select_related("guardian", "dependant"), page)


@router.post(
    "/customers/{customer_id}/guardian-links/",
    response={201: LinkOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Link a guardian to a customer",
    description="`guardian_id` looks after this customer from now on, with the relationship's default "
    "permissions (as in the People box). Refused: a customer as their own guardian, a link that exists, and "
    "a circle (the customer already looks after the guardian). Both profiles' Activity Logs show it.",
)
def link_create(request, customer_id: int, body: LinkIn):
    scoped(request, "families", write=True)
    dependant, guardian = customer_of(customer_id), customer_of(body.guardian_id)
    try:
        link = services.link_add(
            guardian=guardian,
            dependant=dependant,
            relationship=body.relationship,
            is_primary=body.is_primary,
            by=None,
        )
    except services.FamilyError as error:
        raise FieldErrors({"guardian_id": [str(error)]}, str(error)) from error
    return Status(201, link)
