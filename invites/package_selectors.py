"""Reads of package invitations: the organization's wording, an invitation by its link, staff's counts."""

from django.db.models import Count, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.selectors import token_hash
from billing.models import Package, Visibility
from customers.models import Customer
from invites.models import PackageInvite, PackageInviteSettings, PackageInviteStatus, status_conditions


def package_invite_settings() -> PackageInviteSettings:
    """The organization's package invitation wording and timing: saved ones, else the defaults (unsaved)."""
    return PackageInviteSettings.objects.first() or PackageInviteSettings()


def package_invite_for_token(token: str) -> PackageInvite | None:
    """The invitation this link belongs to, whatever its status (its page says what became of it), or None:
    one indexed lookup for unknown and replaced tokens alike."""
    if not token:
        return None
    return (
        PackageInvite.objects.select_related("package", "customer", "for_customer", "organization")
        .filter(token_hash=token_hash(token))
        .first()
    )


def _counted(counts: dict) -> dict:
    answered_for = counts["total"] - counts["cancelled"]
    counts["conversion"] = round(100 * counts["accepted"] / answered_for) if answered_for else None
    return counts


def _count_expressions() -> dict:
    return {
        "total": Count("pk"),
        **{status: Count("pk", filter=condition) for status, condition in status_conditions().items()},
    }


def package_invite_counts(package: Package) -> dict:
    """How the invitations to `package` stand: {status: count} for every status, `total`, and `conversion`
    (accepted of those not cancelled, in %), in one query."""
    return _counted(PackageInvite.objects.filter(package=package).aggregate(**_count_expressions()))


def package_invite_counts_by_package(packages: list[Package]) -> dict[int, dict]:
    """package_invite_counts for each of `packages` (by id), in one query for any number of packages."""
    expressions = _count_expressions()
    rows = (
        PackageInvite.objects.filter(package__in=packages)
        .values("package_id")
        .annotate(**expressions)
        .order_by()
    )
    found = {row.pop("package_id"): row for row in rows}
    none = dict.fromkeys(expressions, 0)
    return {package.pk: _counted(dict(found.get(package.pk, none))) for package in packages}


def package_invites(package: Package, status: str = "") -> QuerySet:
    """The invitations to `package`, newest first, narrowed to one status when given."""
    invites = PackageInvite.objects.filter(package=package)
    if status in PackageInviteStatus.values:
        invites = invites.with_status(status)
    return invites.select_related("customer", "for_customer", "invited_by", "purchase").order_by(
        "-created_at", "-id"
    )


def package_invites_of(customer: Customer) -> QuerySet:
    """The invitations `customer` received, newest first, with the first name of whom each is for
    (`for_first_name`, "" for themselves): not that customer's every column."""
    return (
        PackageInvite.objects.filter(customer=customer)
        .select_related("package")
        .annotate(for_first_name=Coalesce("for_customer__first_name", Value("")))
        .order_by("-created_at", "-id")
    )


def invite_refusal(package: Package) -> str:
    """Why customers cannot be invited to `package` now ("" when they can)."""
    if package.is_archived:
        return f"“{package.name}” is archived."
    if package.visibility == Visibility.STAFF:
        return f"“{package.name}” is sold by staff only: make it public or by invitation first."
    if package.visibility == Visibility.BOOKING:
        return f"“{package.name}” is a party's deposit: it is paid when booking the party."
    if package.sale_ends_at and package.sale_ends_at <= timezone.now():
        return f"“{package.name}” is no longer on sale."
    return ""
