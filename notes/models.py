from django.conf import settings
from django.db import models

from accounts.tenancy import TenantModel
from customers.models import KEY_COLLATION, Customer

NOTES_SEPARATOR = "\n---\n"  # between a customer's notes in one export cell; an import splits on it


class NoteEvent(models.TextChoices):
    """The Activity Log's kinds of event about notes."""

    NOTE = "note", "Note"


class Visibility(models.TextChoices):
    STAFF = "staff", "Everyone on staff"
    ADMINS = "admins", "Admins only"
    PRIVATE = "private", "Only me"


class Note(TenantModel):
    """What the team knows about a customer. Edits keep the previous text (NoteRevision); deleting is soft."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.STAFF)
    pinned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(visibility__in=Visibility.values), name="note_visibility_valid"
            ),
            models.UniqueConstraint(fields=["organization", "id"], name="note_organization_id_unique"),
        ]
        indexes = [models.Index(fields=["organization", "customer", "-created_at"], name="note_customer_idx")]

    def __str__(self):
        return self.text[:50]


class NoteRevision(TenantModel):
    """A note's text and visibility as they were before one edit."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="revisions")
    text = models.TextField()
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    written_at = models.DateTimeField(
        help_text="When this text was written (the note's creation or an edit)."
    )
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    replaced_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.text[:50]


class NoteWord(TenantModel):
    """One distinct word of a live note, so the roster search finds notes with an index range (`^@` on a "C"
    collation key is leakproof under row-level security; LIKE and full-text operators are not)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=100, db_collation=KEY_COLLATION)

    class Meta:
        indexes = [models.Index(fields=["organization", "key", "note"], name="note_word_key_idx")]

    def __str__(self):
        return self.key
