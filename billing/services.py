"""Writes of billing: packages (Settings → Packages), each change in the organization's audit trail."""

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import User
from accounts.money import format_minor
from billing.models import Package, PackageAudit

AUDITED = [
    "name",
    "description",
    "kind",
    "price",
    "tax_rate",
    "capacity",
    "visits",
    "interval",
    "visibility",
    "for_whom",
    "min_age",
    "max_age",
    "sale_starts_at",
    "sale_ends_at",
]


@transaction.atomic
def package_save(*, package: Package, by: User | None) -> Package:
    """Add a package (priced in the organization's currency) or change one."""
    created = package.pk is None
    changes = changes_of(package, AUDITED)
    if "Price" in changes:
        changes["Price"] = [format_minor(amount, package.currency) for amount in changes["Price"]]
    package.save()
    if created or changes:
        audit_record(
            action=PackageAudit.CREATED if created else PackageAudit.CHANGED,
            by=by,
            target=package.name,
            detail=package.price_display if created else "",
            changes={} if created else changes,
        )
    return package


@transaction.atomic
def package_archive(*, package: Package, by: User) -> None:
    """Off sale and out of the store; kept for what was sold."""
    if package.archived_at is None:
        package.archived_at = timezone.now()
        package.save(update_fields=["archived_at"])
        audit_record(action=PackageAudit.ARCHIVED, by=by, target=package.name)


@transaction.atomic
def package_restore(*, package: Package, by: User) -> None:
    if package.archived_at is not None:
        package.archived_at = None
        package.save(update_fields=["archived_at"])
        audit_record(action=PackageAudit.RESTORED, by=by, target=package.name)
