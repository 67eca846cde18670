"""The steps of an erasure, shared by the erasure itself and its preview, and privacy's own part of it."""

from django.db import transaction

from customers.extend import ErasureLine, PersonErasure, registered
from privacy.models import PersonExport


def erasure_parts(customer) -> list[tuple[PersonErasure, list]]:
    """Every app's erasure of `customer`, in order, inside the caller's transaction."""
    return [(part, part.erase(customer)) for part in registered(PersonErasure)]


def exports_forget(exports) -> int:
    """Delete export files once the transaction commits (a rollback keeps them); the rows stay as Deleted."""
    count = 0
    for export in exports.exclude(status=PersonExport.Status.EXPIRED):
        if export.file:
            transaction.on_commit(
                lambda name=export.file.name, storage=export.file.storage: storage.delete(name)
            )
        count += 1
    exports.update(file="", token_hash="", status=PersonExport.Status.EXPIRED)
    return count


def exports_erase(customer) -> list[ErasureLine]:
    """The person's exports go. The erasure's own record (privacy.ErasureRecord) is written after the parts
    and keeps no name."""
    count = exports_forget(PersonExport.objects.filter(customer=customer))
    return [ErasureLine("Personal data exports", "erased", count)]
