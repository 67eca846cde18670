"""What notes add to the customers app: the Notes tab (with its count), pinned notes above the tabs and beside
names on the roster, the search source, the Notes export column, and their events, shown only to those who may
read the note."""

from django.db.models import Count, Q, Window
from django.utils.text import Truncator

from customers.extend import (
    ActivityKinds,
    ExportColumn,
    MergeHandler,
    PersonData,
    PersonErasure,
    ProfileBox,
    ProfileTab,
    RowMark,
    SearchSource,
    mark_badge,
    read_once,
    register,
)
from notes import privacy
from notes.models import NOTES_SEPARATOR, Note, NoteEvent
from notes.selectors import note_source, notes_of, readable, with_pinned_notes


def _first_notes(customer_id: int, membership) -> tuple[int, list[Note]]:
    """How many notes the customer has that this staff member may read, and the first three (pinned ones
    first): one query for the tab's count and the pinned box."""
    notes = list(notes_of(customer_id, membership).annotate(total=Window(Count("id")))[:3])
    return (notes[0].total if notes else 0), notes


def _count(request, customer) -> int:
    return read_once(_first_notes, customer.pk, request.membership)[0]


def _pinned(request, customer) -> list[Note]:
    return [note for note in read_once(_first_notes, customer.pk, request.membership)[1] if note.pinned_at]


def _export(customer_ids: list[int], membership) -> dict[int, str]:
    notes = Note.objects.filter(readable(membership), customer_id__in=customer_ids, deleted_at=None)
    texts: dict[int, list[str]] = {}
    for customer_id, text in notes.order_by("created_at", "id").values_list("customer_id", "text"):
        texts.setdefault(customer_id, []).append(text)
    return {customer_id: NOTES_SEPARATOR.join(items) for customer_id, items in texts.items()}


def _pinned_mark(customer) -> str:
    """A "note" badge beside the name when a note is pinned, its text in the tooltip."""
    if not customer.pinned_note:
        return ""
    return mark_badge("note", "text-bg-warning pinned-mark", Truncator(customer.pinned_note).chars(200))


def _readable_events(request, events):
    notes = Note.objects.filter(readable(request.membership)).values("pk")
    return events.filter(~Q(kind__in=NoteEvent.values) | Q(subject_id__in=notes))


register(
    ProfileTab("notes", "Notes", "profile_notes:tab", "notes/tab.html", order=20, count=_count),
    ProfileBox("pinned_notes", "notes/pinned_box.html", _pinned, order=20, place="top"),
    RowMark("pinned_note", _pinned_mark, with_pinned_notes, order=10),
    SearchSource("notes", note_source, order=10),
    ExportColumn("notes", "Notes", _export, order=20),
    ActivityKinds("notes", "Notes", dict(NoteEvent.choices), order=10, restrict=_readable_events),
)
register(
    MergeHandler(
        "notes",
        "Notes",
        (("notes.Note", "customer"), ("notes.NoteWord", "customer")),
        order=100,
        count=lambda customer: Note.objects.filter(customer=customer, deleted_at=None).count(),
    ),
    PersonData(
        "notes",
        "Notes",
        privacy.note_rows,
        order=30,
        describe="Notes the whole team may read, when included.",
    ),
    PersonErasure(
        "notes",
        "Notes",
        privacy.notes_erase,
        order=30,
        covers=("notes.Note.customer", "notes.NoteWord.customer"),
    ),
)
