import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import has_permission, org_permission
from customers.selectors import get_customer_for_org
from customers.views import render_profile
from notes import services
from notes.forms import NoteForm
from notes.models import Note
from notes.selectors import may_edit, notes_of, readable


def _note(request, customer_pk: int, note_pk: int, *, editing: bool = False) -> Note:
    """A note of this customer the viewer may read (404 otherwise: a private note is not theirs to know
    about); when `editing`, a live one (deleted notes are only restored) they may also change (403)."""
    notes = Note.objects.filter(readable(request.membership))
    if editing:
        notes = notes.filter(deleted_at=None)
    note = get_object_or_404(notes, pk=note_pk, customer_id=customer_pk)
    if editing and not may_edit(request.membership, note):
        raise PermissionDenied("Only the note's author or an admin may change it.")
    return note


def _tab(request, customer, form=None, status=200):
    membership = request.membership
    notes = list(notes_of(customer.pk, membership))
    for note in notes:
        note.editable = may_edit(membership, note)
    deleted = (
        Note.objects.filter(readable(membership), customer=customer)
        .exclude(deleted_at=None)
        .select_related("deleted_by")
        .order_by("-deleted_at")
        if has_permission(membership, "notes.manage")
        else []
    )
    response = render_profile(
        request,
        customer,
        "notes",
        {"notes": notes, "deleted_notes": deleted, "note_form": form or NoteForm()},
    )
    response.status_code = status
    return response


@org_permission("customers.view")
def notes_tab(request, org_slug, pk):
    return _tab(request, get_customer_for_org(pk))


def _back(request, org_slug, pk):
    response = redirect("profile_notes:tab", org_slug=org_slug, pk=pk)
    return _tab(request, get_customer_for_org(pk)) if request.htmx else response


@require_POST
@org_permission("customers.change")
def note_add(request, org_slug, pk):
    customer = get_customer_for_org(pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _tab(request, customer, form, status=422 if not request.htmx else 200)
    services.note_add(
        customer=customer,
        text=form.cleaned_data["text"],
        visibility=form.cleaned_data["visibility"],
        pinned=form.cleaned_data["pinned"],
        by=request.user,
    )
    messages.success(request, "Note added.")
    return _back(request, org_slug, pk)


@org_permission("customers.change")
def note_edit(request, org_slug, pk, note_pk):
    customer = get_customer_for_org(pk)
    note = _note(request, pk, note_pk, editing=True)
    form = NoteForm(
        request.POST or None, instance=copy.copy(note)
    )  # a copy: the service compares with the note
    if request.method == "POST" and form.is_valid():
        changed = services.note_edit(
            note=note,
            text=form.cleaned_data["text"],
            visibility=form.cleaned_data["visibility"],
            pinned=form.cleaned_data["pinned"],
            by=request.user,
        )
        messages.success(request, "Note saved." if changed else "Nothing changed.")
        return _back(request, org_slug, pk)
    return render(request, "notes/note_form.html", {"customer": customer, "note": note, "form": form})


@require_POST
@org_permission("customers.change")
def note_pin(request, org_slug, pk, note_pk):
    note = _note(request, pk, note_pk, editing=True)
    services.note_edit(
        note=note, text=note.text, visibility=note.visibility, pinned=note.pinned_at is None, by=request.user
    )
    return _back(request, org_slug, pk)


@require_POST
@org_permission("customers.change")
def note_delete(request, org_slug, pk, note_pk):
    services.note_delete(note=_note(request, pk, note_pk, editing=True), by=request.user)
    messages.success(request, "Note deleted. An admin can restore it.")
    return _back(request, org_slug, pk)


@require_POST
@org_permission("notes.manage")
def note_restore(request, org_slug, pk, note_pk):
    note = _note(request, pk, note_pk)
    if note.deleted_at is not None:
        services.note_restore(note=note, by=request.user)
        messages.success(request, "Note restored.")
    return _back(request, org_slug, pk)


@org_permission("customers.view")
def note_history(request, org_slug, pk, note_pk):
    customer = get_customer_for_org(pk)
    note = _note(request, pk, note_pk)
    revisions = note.revisions.select_related("written_by", "replaced_by").order_by("-replaced_at", "-id")
    return render(request, "notes/history.html", {"customer": customer, "note": note, "revisions": revisions})
