"""Notes: who may read each one (tab, pinned notes, roster tooltip, search, export, activity log), their
revisions, soft deletion and restore, escaping — and the other tenant."""

import pytest

from accounts.models import Role
from accounts.tenancy import tenant
from customers.models import Activity
from notes import services
from notes.models import Note, NoteRevision, Visibility
from tests.conftest import logged_in, make_member
from tests.factories import customer


@pytest.fixture
def team(org_a, alice):
    """Alice (owner), Adam (admin), Sam and Sue (staff) of org A."""
    return {
        "alice": alice,
        "adam": make_member(org_a, Role.ADMIN, "adam@alpha.example"),
        "sam": make_member(org_a, Role.STAFF, "sam@alpha.example"),
        "sue": make_member(org_a, Role.STAFF, "sue@alpha.example"),
    }


@pytest.fixture
def noted(org_a, team):
    """Jane Doe with a note for everyone, one for admins and one Sam keeps to himself."""
    with tenant(org_a):
        jane = customer(first_name="Jane", last_name="Doe", email="jane@example.com")
        add = services.note_add
        add(customer=jane, text="Loves dinosaurs", visibility=Visibility.STAFF, pinned=True, by=team["sue"])
        add(customer=jane, text="Owes a refund", visibility=Visibility.ADMINS, pinned=False, by=team["adam"])
        add(customer=jane, text="Zebra secret", visibility=Visibility.PRIVATE, pinned=True, by=team["sam"])
    return jane


READS = {
    "alice": {"Loves dinosaurs", "Owes a refund"},
    "adam": {"Loves dinosaurs", "Owes a refund"},
    "sam": {"Loves dinosaurs", "Zebra secret"},
    "sue": {"Loves dinosaurs"},
}
ALL_TEXTS = {"Loves dinosaurs", "Owes a refund", "Zebra secret"}


def shown(text: str) -> set[str]:
    return {note for note in ALL_TEXTS if note in text}


def test_each_note_reaches_exactly_its_readers_everywhere(org_a, team, noted, bob_client):
    base = f"/app/{org_a.slug}/customers/"
    for name, readable in READS.items():
        client = logged_in(team[name])
        assert shown(client.get(f"{base}{noted.pk}/notes/").text) == readable, name
        assert shown(client.get(f"{base}{noted.pk}/").text) <= readable, name  # pinned notes above the tabs
        assert shown(client.get(f"{base}{noted.pk}/activity/").text) == readable, name
        assert shown(client.get(f"{base}?q=doe").text) <= readable, name  # the pinned note's tooltip
        for query, note in (
            ("zebra", "Zebra secret"),
            ("refund", "Owes a refund"),
            ("dinos", "Loves dinosaurs"),
        ):
            found = "Doe, Jane" in client.get(f"{base}?q={query}").text
            assert found == (note in readable), (name, query)
        if name in ("alice", "adam"):
            export = b"".join(client.get(f"{base}export.csv").streaming_content).decode("utf-8-sig")
            assert shown(export) == readable, name
    # The notes tab counts what the viewer may read.
    assert '>Notes <span class="badge' in logged_in(team["sue"]).get(f"{base}{noted.pk}/notes/").text
    assert bob_client.get(f"/app/{org_a.slug}/customers/{noted.pk}/notes/").status_code == 404


def test_edits_keep_every_revision_and_are_logged(org_a, team, noted):
    sue = logged_in(team["sue"])
    with tenant(org_a):
        note = Note.objects.get(text="Loves dinosaurs")
    url = f"/app/{org_a.slug}/customers/{noted.pk}/notes/{note.pk}/"
    sue.post(f"{url}edit/", {"text": "Loves dinosaurs and trains", "visibility": "staff", "pinned": "on"})
    sue.post(f"{url}edit/", {"text": "Loves trains", "visibility": "staff", "pinned": "on"})
    with tenant(org_a):
        note.refresh_from_db()
        assert note.text == "Loves trains"
        revisions = list(NoteRevision.objects.filter(note=note).order_by("replaced_at", "id"))
        assert [revision.text for revision in revisions] == ["Loves dinosaurs", "Loves dinosaurs and trains"]
        assert revisions[1].written_by == team["sue"] and revisions[1].replaced_by == team["sue"]
        edits = Activity.objects.filter(subject_id=note.pk, detail="Edited").order_by("id")
        assert [event.changes["Note"] for event in edits] == [
            ["Loves dinosaurs", "Loves dinosaurs and trains"],
            ["Loves dinosaurs and trains", "Loves trains"],
        ]
    history = sue.get(f"{url}history/").text
    assert "Loves dinosaurs and trains" in history and "Loves dinosaurs</div>" in history
    # Unchanged, nothing is written.
    sue.post(f"{url}edit/", {"text": "Loves trains", "visibility": "staff", "pinned": "on"})
    with tenant(org_a):
        assert NoteRevision.objects.filter(note=note).count() == 2


def test_only_authors_and_admins_change_notes_and_only_admins_restore(org_a, team, noted):
    with tenant(org_a):
        everyone = Note.objects.get(text="Loves dinosaurs")
        private = Note.objects.get(text="Zebra secret")
    base = f"/app/{org_a.slug}/customers/{noted.pk}/notes/"
    sam, sue, adam = (logged_in(team[name]) for name in ("sam", "sue", "adam"))
    assert sam.post(f"{base}{everyone.pk}/edit/", {"text": "x", "visibility": "staff"}).status_code == 403
    assert sue.post(f"{base}{private.pk}/delete/").status_code == 404  # not hers to know about
    assert adam.get(f"{base}{private.pk}/history/").status_code == 404  # admins do not read private notes
    assert sue.post(f"{base}{everyone.pk}/delete/").status_code == 302
    assert sue.post(f"{base}{everyone.pk}/edit/", {"text": "x", "visibility": "staff"}).status_code == 404
    assert sue.post(f"{base}{everyone.pk}/delete/").status_code == 404  # deleted once, logged once
    assert "Loves dinosaurs" not in sam.get(f"/app/{org_a.slug}/customers/?q=dinos").text
    assert sue.post(f"{base}{everyone.pk}/restore/").status_code == 403
    assert "Deleted notes (1)" in adam.get(base).text
    adam.post(f"{base}{everyone.pk}/restore/")
    with tenant(org_a):
        everyone.refresh_from_db()
        assert everyone.deleted_at is None
        assert list(
            Activity.objects.filter(subject_id=everyone.pk).values_list("detail", flat=True).order_by("id")
        ) == [
            "Added",
            "Deleted",
            "Restored",
        ]
    assert "Doe, Jane" in sam.get(f"/app/{org_a.slug}/customers/?q=dinos").text


def test_bad_input_and_markup_are_refused_or_escaped(org_a, alice_client, noted):
    url = f"/app/{org_a.slug}/customers/{noted.pk}/notes/add/"
    response = alice_client.post(url, {"text": "   ", "visibility": "staff"})
    assert response.status_code == 422 and "Write something first." in response.text
    response = alice_client.post(url, {"text": "Hi", "visibility": "everyone"})
    assert response.status_code == 422 and "Select a valid choice" in response.text
    alice_client.post(
        url, {"text": "<script>alert(1)</script> see https://example.com/a?b=1", "visibility": "staff"}
    )
    page = alice_client.get(f"/app/{org_a.slug}/customers/{noted.pk}/notes/").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<a href="https://example.com/a?b=1" rel="nofollow">' in page


def test_another_organizations_notes_are_out_of_reach(org_a, org_b, alice, bob, bob_client, noted):
    with tenant(org_a):
        note = Note.objects.get(text="Loves dinosaurs")
    with tenant(org_b):
        theirs = customer(first_name="Tom", last_name="Beta")
    base = f"/app/{org_b.slug}/customers/{theirs.pk}/notes/"
    assert (
        bob_client.post(f"{base}{note.pk}/edit/", {"text": "hacked", "visibility": "staff"}).status_code
        == 404
    )
    assert bob_client.post(f"{base}{note.pk}/delete/").status_code == 404
    assert bob_client.get(f"{base}{note.pk}/history/").status_code == 404
    assert "Doe, Jane" not in bob_client.get(f"/app/{org_b.slug}/customers/?q=dinosaurs").text
    with tenant(org_a):
        assert Note.objects.get(pk=note.pk).text == "Loves dinosaurs"
