from django.db.models import F, QuerySet

from customers.search import SearchSource
from notes.models import Note, NoteWord
from notes.services import readable


def notes_of(customer_id: int, membership) -> QuerySet:
    """The customer's live notes this staff member may read: pinned first (newest pin first), then newest."""
    return (
        Note.objects.filter(readable(membership), customer_id=customer_id, deleted_at=None)
        .select_related("author", "edited_by")
        .order_by(F("pinned_at").desc(nulls_last=True), "-created_at", "-id")
    )


def pinned_notes(customer_ids: list[int], membership) -> dict[int, Note]:
    """{customer_id: their newest pinned note this staff member may read}, for the roster rows' tooltip."""
    notes = (
        Note.objects.filter(readable(membership), customer_id__in=customer_ids, deleted_at=None)
        .exclude(pinned_at=None)
        .order_by("customer_id", "-pinned_at")
        .distinct("customer_id")
    )
    return {note.customer_id: note for note in notes}


def with_pinned_notes(customers: list, membership) -> list:
    """The customers, each with `pinned_note` (or None), for the roster rows' tooltip."""
    pinned = pinned_notes([customer.pk for customer in customers], membership)
    for customer in customers:
        customer.pinned_note = pinned.get(customer.pk)
    return customers


def note_source(membership) -> SearchSource:
    """Search source: customers with a live note this staff member may read in which every word of the query
    (of three letters or more) starts a word: "peanut aller" finds "Allergic to peanuts"."""

    def matches(text: str) -> QuerySet:
        notes = Note.objects.filter(readable(membership), deleted_at=None)
        tokens = [token for token in text.split(" ") if len(token) >= 3][:4]
        if not tokens:
            return notes.none().values("customer_id")
        for token in tokens:
            notes = notes.filter(pk__in=NoteWord.objects.filter(key__prefix=token[:100]).values("note_id"))
        return notes.values("customer_id")

    return matches
