"""Privacy's reads: the organization's settings, a person's exports, the erasure log, and what an erasure
would do (run, then rolled back)."""

from django.db import transaction

from privacy.erasure import erasure_parts
from privacy.models import ErasureRecord, PersonExport, PrivacySettings


class _Preview(Exception):
    """Raised to roll the previewed erasure back."""


def privacy_settings() -> PrivacySettings:
    """The organization's settings; the defaults until an admin saves them."""
    return PrivacySettings.objects.first() or PrivacySettings()


def exports_of(customer) -> list[PersonExport]:
    return list(
        PersonExport.objects.filter(customer=customer)
        .select_related("requested_by")
        .order_by("-created_at")[:10]
    )


def erasure_log():
    return ErasureRecord.objects.select_related("erased_by").order_by("-erased_at")


def erasure_preview(customer) -> list[tuple[str, list]]:
    """What erasing `customer` would do, part by part: the erasure itself, run and rolled back, so the
    confirmation names exactly what the button does."""
    preview = []
    try:
        with transaction.atomic():
            preview = [(part.label, lines) for part, lines in erasure_parts(customer) if lines]
            raise _Preview
    except _Preview:
        pass
    customer.refresh_from_db()  # the parts changed the instance in memory too
    return preview
