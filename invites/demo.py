"""The demo's account invitations (customers invited to claim their accounts, in every state), package
invitations (the invite-only summer camp offered to parents of the roster, some answered, as if sent over
the last weeks) and a full class with its waitlist."""

import random
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from accounts.tenancy import current_organization
from billing.models import ForWhom, Package, Visibility
from billing.services import package_save, sale_record
from families.models import GuardianLink, GuardianPermission
from invites.models import ClaimInvite, PackageInvite
from invites.selectors import invite_settings
from invites.waitlist_services import waitlist_join

CLAIM_STATES = ["invited", "invited", "reminded", "expired", "failed", "revoked"]


def demo_claim_invites(customers: list, staff: list, *, seed: int, count: int = 30) -> None:
    """`count` customers with an address and no login invited to claim their accounts over the last weeks:
    most still open (invited, reminded), some expired after their last reminder, bounced or revoked. Timed by
    the organization's invite settings, each open one is inside its wait before a reminder, so beat reminds
    none as `make run` starts. The links were never mailed, so no token is kept: the roster's Account column
    and Online account filter have something to show."""
    rng = random.Random(seed)
    timing = invite_settings()
    valid, wait = timedelta(hours=timing.expiry_hours), timedelta(days=timing.remind_after_days)
    candidates = [person for person in customers if person.email and person.user_id is None]
    now = timezone.now()
    invites = []
    for number, person in enumerate(rng.sample(candidates, min(count, len(candidates)))):
        state = CLAIM_STATES[number % len(CLAIM_STATES)]
        last = now - rng.uniform(0.05, 0.9) * wait  # the last email
        if state == "expired":
            last = now - valid - timedelta(days=rng.randint(1, 20))
        reminders = {"reminded": 1, "expired": timing.max_reminders}.get(state, 0)
        sent = last - reminders * wait
        invite = ClaimInvite(
            customer=person,
            email=person.email,
            invited_by=rng.choice(staff),
            sent_at=sent,
            reminded_at=last if reminders else None,
            reminders_sent=reminders,
            expires_at=last + valid,
        )
        if state == "failed":
            invite.failed_at, invite.failure = sent, "550 Mailbox unavailable"
        elif state == "revoked":
            invite.revoked_at = sent + (now - sent) / 2
        invites.append(invite)
    ClaimInvite.objects.bulk_create(invites)
    ClaimInvite.objects.update(created_at=F("sent_at"))  # invited when sent, as if it had happened


REASONS = ["We are away that week", "Too far for us", "", "Our child is in another camp"]


def demo_package_invites(staff: list, *, seed: int, count: int = 40) -> None:
    """`count` parents invited to the camp for a child of its ages: sent, opened, declined, accepted."""
    rng = random.Random(seed)
    camp = Package.objects.filter(visibility=Visibility.INVITE, archived_at=None).first()
    links = GuardianLink.objects.filter(permissions__contains=[GuardianPermission.PURCHASE]).exclude(
        guardian__email=""
    )
    pairs = {
        link.guardian_id: (link.guardian, link.dependant)
        for link in links.select_related("guardian", "dependant")
        if camp and link.dependant.age is not None and camp.min_age <= link.dependant.age <= camp.max_age
    }
    if not pairs:
        return
    now = timezone.now()
    invites = []
    for number, (person, child) in enumerate(
        rng.sample(sorted(pairs.values(), key=lambda p: p[0].pk), min(count, len(pairs)))
    ):
        sent = now - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
        invite = PackageInvite(
            package=camp,
            customer=person,
            for_customer=child,
            email=person.email,
            invited_by=rng.choice(staff),
            expires_at=sent + timedelta(days=14),
            sent_at=sent,
            note="A week of day camp: we kept a spot for your family." if number % 3 == 0 else "",
        )
        if number % 10 in (1, 2):
            invite.opened_at = sent + timedelta(hours=rng.randint(1, 30))
        elif number % 10 == 3:
            invite.opened_at = invite.rejected_at = sent + timedelta(hours=rng.randint(1, 30))
            invite.reject_reason = rng.choice(REASONS)
        elif number % 10 == 4:
            invite.opened_at = invite.accepted_at = sent + timedelta(hours=rng.randint(1, 30))
            invite.purchase = sale_record(
                package=camp, customer=child, payer=person, method="cash", by=invite.invited_by
            )
        elif number == 9:
            invite.cancelled_at, invite.cancel_reason = sent + timedelta(days=2), "Invited by mistake"
        invites.append(invite)
    PackageInvite.objects.bulk_create(invites)
    PackageInvite.objects.update(created_at=F("sent_at"))  # invited when sent, as if it had happened


def demo_waitlist(staff: list, *, seed: int) -> None:
    """A Saturday class of 8 children, full, with 5 more waiting in line (joined by their parents)."""
    rng = random.Random(seed)
    links = GuardianLink.objects.filter(permissions__contains=[GuardianPermission.PURCHASE]).exclude(
        guardian__email=""
    )
    pairs = [
        (link.guardian, link.dependant)
        for link in links.select_related("guardian", "dependant").order_by("pk")
        if link.dependant.age is not None and 4 <= link.dependant.age <= 8
    ]
    if len(pairs) < 13:
        return
    chosen = rng.sample(pairs, 13)
    tumble = package_save(
        package=Package(
            name="Saturday tumble class",
            description="Eight children, one coach, an hour of rolls, jumps and balance, Saturdays at 10.",
            price=2500,
            currency=current_organization().currency,
            capacity=8,
            for_whom=ForWhom.CHILD,
            min_age=4,
            max_age=8,
        ),
        by=staff[0],
    )
    for parent, child in chosen[:8]:
        sale_record(package=tumble, customer=child, payer=parent, method="cash", by=rng.choice(staff))
    for parent, child in chosen[8:]:
        waitlist_join(package=tumble, customer=child, joined_by=parent)


def demo_erase() -> None:
    """Delete the current organization's invitations before billing's demo rows (they point at packages)."""
    PackageInvite.objects.all().delete()
