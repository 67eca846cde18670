"""Notes on a customer. An edit keeps what it replaced; deleting is soft; each change is an activity event
tied to its note, so the Activity Log shows it only to those who may read the note."""

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from customers.services import activity_record
from notes.models import Note, NoteEvent, NoteRevision, NoteWord, Visibility
from notes.selectors import words


def _index(note: Note) -> None:
    NoteWord.objects.filter(note=note).delete()
    if note.deleted_at is None:
        NoteWord.objects.bulk_create(
            NoteWord(note=note, customer_id=note.customer_id, key=key) for key in words(note.text)
        )


def _record(note: Note, by, detail: str, before: str = "", after: str = "") -> None:
    customer = Customer.objects.get(pk=note.customer_id)
    changes = {"Note": [before, after]} if before != after else {}
    activity_record(
        customer=customer, by=by, kind=NoteEvent.NOTE, changes=changes, detail=detail, subject_id=note.pk
    )


@transaction.atomic
def note_add(*, customer: Customer, text: str, visibility: str, pinned: bool, by) -> Note:
    note = Note.objects.create(
        customer=customer,
        author=by,
        text=text,
        visibility=visibility,
        pinned_at=timezone.now() if pinned else None,
    )
    _index(note)
    _record(note, by, "Added", after=text)
    return note


@transaction.atomic
def note_edit(*, note: Note, text: str, visibility: str, pinned: bool, by) -> bool:
    """Save an edit, keeping the text it replaces as a revision; False when nothing changed."""
    note = Note.objects.select_for_update().get(pk=note.pk)
    text_or_visibility = (text, visibility) != (note.text, note.visibility)
    pin_changed = pinned != (note.pinned_at is not None)
    if not text_or_visibility and not pin_changed:
        return False
    if text_or_visibility:
        NoteRevision.objects.create(
            note=note,
            text=note.text,
            visibility=note.visibility,
            written_by_id=note.edited_by_id if note.edited_at else note.author_id,
            written_at=note.edited_at or note.created_at,
            replaced_by=by,
        )
        before = note.text
        note.text, note.visibility, note.edited_at, note.edited_by = text, visibility, timezone.now(), by
        detail = "Edited" if before != text else f"Now visible to: {note.get_visibility_display().lower()}"
        _record(note, by, detail, before, text)
    if pin_changed:
        note.pinned_at = timezone.now() if pinned else None
        _record(note, by, "Pinned" if pinned else "Unpinned")
    note.save()
    _index(note)
    return True


@transaction.atomic
def note_delete(*, note: Note, by) -> None:
    note.deleted_at, note.deleted_by = timezone.now(), by
    note.save(update_fields=["deleted_at", "deleted_by"])
    _index(note)
    _record(note, by, "Deleted", note.text, "")


@transaction.atomic
def note_restore(*, note: Note, by) -> None:
    note.deleted_at, note.deleted_by = None, None
    note.save(update_fields=["deleted_at", "deleted_by"])
    _index(note)
    _record(note, by, "Restored", "", note.text)


@transaction.atomic
def notes_import(*, texts: dict[int, str], by) -> None:
    """A note for each of many customers ({customer_id: text}, from an import), for the whole team and
    searchable. The import's own activity event for each customer shows the note."""
    notes = Note.objects.bulk_create(
        Note(customer_id=customer_id, author=by, text=text, visibility=Visibility.STAFF)
        for customer_id, text in texts.items()
    )
    NoteWord.objects.bulk_create(
        NoteWord(note=note, customer_id=note.customer_id, key=key)
        for note in notes
        for key in words(note.text)
    )
