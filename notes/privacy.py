"""Notes' part of a person's export (only when staff include notes, and only notes the whole team may read)
and erasure (every note about them, with its earlier texts and search words)."""

from customers.extend import ErasureLine
from customers.privacy import rows_of
from notes.models import Note, NoteWord, Visibility


def note_rows(customer, *, include_notes: bool) -> list[dict]:
    if not include_notes:
        return []
    notes = Note.objects.filter(customer=customer, visibility=Visibility.STAFF, deleted_at=None)
    return rows_of(notes.order_by("created_at"), ["created_at", "edited_at", "text"])


def notes_erase(customer) -> list[ErasureLine]:
    NoteWord.objects.filter(customer=customer).delete()
    count = Note.objects.filter(customer=customer).count()
    Note.objects.filter(customer=customer).delete()  # their earlier texts go with them
    return [ErasureLine("Notes (with their earlier texts, deleted ones included)", "erased", count)]
