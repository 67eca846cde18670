"""Notes: a customer's notes for everyone on staff, and adding one with the service of the profile's Notes
tab. A key reads and writes only notes for everyone on staff: admins-only notes and anyone's private notes
never leave through the API, and a key, being no person, writes none of its own."""

from datetime import datetime
from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import StrictBool

from api.auth import scoped
from api.common import CursorPage, FieldErrors, PageParams, Problem, paginate
from api.custom_values import form_errors
from api.resources import STAFF_VIEW, customer_of
from notes import services
from notes.forms import NoteForm
from notes.models import Note
from notes.selectors import readable

router = Router()


class NoteOut(Schema):
    id: int
    text: str
    visibility: str
    pinned: bool
    author: str
    created_at: datetime
    edited_at: datetime | None

    @staticmethod
    def resolve_pinned(note) -> bool:
        return note.pinned_at is not None

    @staticmethod
    def resolve_author(note) -> str:
        return note.author.display_name if note.author else ""


class NoteIn(Schema):
    text: str
    visibility: Literal["staff"] = "staff"
    pinned: StrictBool = False


@router.get(
    "/customers/{customer_id}/notes/",
    response={200: CursorPage[NoteOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's notes",
    description="The notes for everyone on staff (visibility `staff`), oldest first; admins-only and private "
    "notes are never returned.",
)
def note_list(request, customer_id: int, page: Query[PageParams]):
    scoped(request, "notes")
    customer = customer_of(customer_id)
    notes = Note.objects.filter(readable(STAFF_VIEW), customer=customer, deleted_at=None)
    return paginate(request, notes.select_related("author"), page)


@router.post(
    "/customers/{customer_id}/notes/",
    response={201: NoteOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Add a note to a customer",
    description="A note for everyone on staff (the only visibility a key writes), plain text up to 10,000 "
    "characters, optionally pinned to the top of the profile. It is in the Notes tab and the Activity Log.",
)
def note_add(request, customer_id: int, body: NoteIn):
    scoped(request, "notes", write=True)
    customer = customer_of(customer_id)
    form = NoteForm({"text": body.text, "visibility": body.visibility, "pinned": body.pinned})
    if not form.is_valid():
        raise FieldErrors(form_errors(form))
    data = form.cleaned_data
    note = services.note_add(
        customer=customer,
        text=data["text"],
        visibility=data["visibility"],
        pinned=data["pinned"],
        by=None,
    )
    return Status(201, note)
