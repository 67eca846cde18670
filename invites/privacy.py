"""Invites' part of a person's export and erasure: account invites and claims, package invites, waitlists."""

from django.db.models import Q

from customers.extend import ErasureLine
from customers.privacy import rows_of
from invites.models import ClaimInvite, PackageInvite, WaitlistEntry


def _package_invites(customer):
    return PackageInvite.objects.filter(Q(customer=customer) | Q(for_customer=customer))


def invite_rows(customer, *, include_notes: bool) -> list[dict]:
    claims = rows_of(
        ClaimInvite.objects.filter(customer=customer),
        ["email", "created_at", "sent_at", "claimed_at", "revoked_at"],
    )
    packages = rows_of(
        _package_invites(customer).order_by("created_at"),
        ["package__name", "email", "note", "created_at", "accepted_at", "rejected_at", "cancelled_at"],
    )
    return [{"kind": "account invite", **row} for row in claims] + [
        {"kind": "package invite", **row} for row in packages
    ]


def waitlist_rows(customer, *, include_notes: bool) -> list[dict]:
    entries = WaitlistEntry.objects.filter(customer=customer).order_by("joined_at")
    return rows_of(entries, ["waitlist__package__name", "position", "status", "joined_at", "changed_at"])


def invites_erase(customer) -> list[ErasureLine]:
    claims, _ = ClaimInvite.objects.filter(customer=customer).delete()
    packages, _ = _package_invites(customer).delete()
    entries, _ = WaitlistEntry.objects.filter(customer=customer).delete()
    WaitlistEntry.objects.filter(joined_by=customer).update(joined_by=None)
    return [
        ErasureLine("Account invites and claims", "erased", claims),
        ErasureLine("Package invites", "erased", packages),
        ErasureLine("Places on waitlists", "erased", entries),
    ]
