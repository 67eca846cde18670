"""Reads of notes: who may read or edit which, a customer's notes, pinned ones on the roster, note search."""

import re

from django.db.models import F, Q, QuerySet

from accounts.models import Role
from customers.search import SearchSource, normalize
from notes.models import Note, NoteWord, Visibility

MAX_WORDS = 300
_WORD = re.compile(r"[\w'@.+-]+")


def notes_of(customer_id: int, membership) -> QuerySet:
    """The customer's live notes this staff member may read: pinned first (newest pin first), then newest."""
    return (
        Note.objects.filter(readable(membership), customer_id=customer_id, deleted_at=None)
        .select_related("author")
        .order_by(F("pinned_at").desc(nulls_last=True), "-created_at", "-id")
    )


def pinned_notes(customer_ids: list[int], membership) -> dict[int, str]:
    """{customer_id: the text of their newest pinned note this staff member may read}, for the roster rows'
    tooltip: the two columns alone (a whole note row cost the roster ~1 ms to build and read)."""
    notes = (
        Note.objects.filter(readable(membership), customer_id__in=customer_ids, deleted_at=None)
        .exclude(pinned_at=None)
        .order_by("customer_id", "-pinned_at")
        .distinct("customer_id")
        .values_list("customer_id", "text")
    )
    return dict(notes)


def with_pinned_notes(customers: list, membership) -> list:
    """The customers, each with `pinned_note` (its text, or None), for the roster rows' tooltip."""
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


def readable(membership) -> Q:
    """The notes this staff member may read: the team's, admins' if an admin, and their own private ones."""
    condition = Q(visibility=Visibility.STAFF)
    if (
        membership.user_id is not None
    ):  # an API key has no user: no note is its own, not even an authorless one
        condition |= Q(author_id=membership.user_id)
    if membership.role in (Role.OWNER, Role.ADMIN):
        condition |= Q(visibility=Visibility.ADMINS)
    return condition


def may_edit(membership, note: Note) -> bool:
    """Authors edit and delete their notes; admins those they can read."""
    return note.author_id == membership.user_id or membership.role in (Role.OWNER, Role.ADMIN)


def words(text: str) -> list[str]:
    """A note's distinct words as search keys: "Allergic to PEANUTS!" → allergic, to, peanuts."""
    found = dict.fromkeys(word.strip(".'-+") for word in _WORD.findall(normalize(text)))
    return [word[:100] for word in found if len(word) >= 2][:MAX_WORDS]
