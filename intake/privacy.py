"""Intake forms' part of a person's export and erasure: the answers that waited for staff (Form responses)."""

from customers.extend import ErasureLine
from customers.privacy import rows_of
from intake.models import PendingChange


def submission_rows(customer, *, include_notes: bool) -> list[dict]:
    changes = PendingChange.objects.filter(customer=customer).order_by("submitted_at")
    return rows_of(
        changes, ["form_title", "field", "before", "proposed", "status", "submitted_at", "decided_at"]
    )


def submissions_erase(customer) -> list[ErasureLine]:
    count, _ = PendingChange.objects.filter(customer=customer).delete()
    return [ErasureLine("Intake form answers", "erased", count)]
