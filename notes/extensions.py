"""What notes add to the customers app: the Notes tab (with its count), pinned notes above the tabs, the
search source, the Notes export column and the rule that a note's events show only to its readers."""

from django.db.models import Q

from customers.exports import EXPORT_COLUMNS, ExportColumn
from customers.selectors import SEARCH_SOURCES
from customers.tabs import PROFILE_BOXES, PROFILE_TABS, ProfileBox, ProfileTab
from customers.views import ACTIVITY_RESTRICTIONS
from notes.models import Note
from notes.selectors import note_source, notes_of
from notes.services import readable


def _count(request, customer) -> int:
    return notes_of(customer.pk, request.membership).count()


def _pinned(request, customer) -> list[Note]:
    return [note for note in notes_of(customer.pk, request.membership)[:3] if note.pinned_at]


def _export(customer_ids: list[int], membership) -> dict[int, str]:
    notes = Note.objects.filter(readable(membership), customer_id__in=customer_ids, deleted_at=None)
    texts: dict[int, list[str]] = {}
    for customer_id, text in notes.order_by("created_at", "id").values_list("customer_id", "text"):
        texts.setdefault(customer_id, []).append(text)
    return {customer_id: "\n---\n".join(items) for customer_id, items in texts.items()}


def _readable_events(request, events):
    notes = Note.objects.filter(readable(request.membership)).values("pk")
    return events.filter(Q(note=None) | Q(note__in=notes))


PROFILE_TABS.insert(-1, ProfileTab("notes", "Notes", "profile_notes:tab", count=_count))
PROFILE_BOXES.append(ProfileBox("notes/pinned_box.html", _pinned, place="top"))
SEARCH_SOURCES.append(note_source)
EXPORT_COLUMNS.append(ExportColumn("Notes", _export))
ACTIVITY_RESTRICTIONS.append(_readable_events)
