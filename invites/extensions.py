"""What account invitations add to the customers app: the Online account box on the profile, the roster's
Account column and Online account filter, the bulk action that invites the selection to claim their accounts
and their events in the Activity Log; and Settings → Account invites with its audit action. Waitlists: the
portal's My waitlists, their kinds of event and audit action, and billing's signals — a spot that may have
freed queues a promotion once its transaction commits; a paid checkout of an offered spot is the entry's
purchase."""

import django_filters
from django.contrib import messages
from django.utils import timezone

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_settings_page
from billing.models import Checkout, Package
from billing.spots import checkout_paid, spot_freed
from customers.extend import ActivityKinds, BulkAction, ProfileBox, RosterColumn, RosterFilters, register
from customers.filters import SELECT
from invites.claim_services import invites_send
from invites.claim_views import account_box
from invites.models import AccountEvent, ClaimInvite, InviteAudit, Waitlist, WaitlistAudit, WaitlistEventKind
from invites.selectors import with_claim_status
from invites.waitlist_services import waitlist_offer_bought
from portal.navigation import PortalSection, register_portal_section


def _claim_status(queryset, name, value):
    if value == "claimed":
        return queryset.exclude(user=None)
    queryset = queryset.filter(user=None)
    invites = ClaimInvite.objects.all()
    unfinished = invites.filter(claimed_at=None, revoked_at=None, failed_at=None)
    now = timezone.now()
    by_status = {
        "invited": unfinished.filter(expires_at__gt=now),
        "expired": unfinished.filter(expires_at__lte=now),
        "failed": invites.filter(claimed_at=None, revoked_at=None).exclude(failed_at=None),
        "revoked": invites.exclude(revoked_at=None),
    }
    if value == "not_invited":
        return queryset.exclude(pk__in=invites.values("customer_id"))
    return queryset.filter(pk__in=by_status[value].values("customer_id"))


def _roster_filters(audience: str) -> dict:
    claim = django_filters.ChoiceFilter(
        choices=[
            ("not_invited", "Not invited"),
            ("invited", "Invited, not yet claimed"),
            ("expired", "Invitation expired"),
            ("failed", "Invitation bounced"),
            ("revoked", "Invitation revoked"),
            ("claimed", "Has an online account"),
        ],
        empty_label="Any",
        label="Online account",
        method=_claim_status,
        widget=SELECT,
    )
    return {"claim": claim}


def _invite(*, customer_ids, by, params) -> int:
    return invites_send(customer_ids=customer_ids, by=by)[0]


def _invite_now(*, customer_ids, by) -> list[tuple[int, str]]:
    """A small selection is invited at once, saying who was left out and why."""
    sent, skipped = invites_send(customer_ids=customer_ids, by=by)
    said = [(messages.SUCCESS, f"{sent} invitation{'s' if sent != 1 else ''} on the way.")]
    if skipped:
        reasons = "; ".join(f"{count} {reason}" for reason, count in skipped.items())
        said.append((messages.WARNING, f"Not invited: {reasons}."))
    return said


register(
    ProfileBox("account", "invites/account_box.html", account_box, order=10),
    RosterColumn(
        "account",
        "Account",
        "birthday",
        "invites/roster_cell.html",
        lambda rows, membership: with_claim_status(rows),
        order=10,
    ),
    RosterFilters("claim", _roster_filters, order=50),
    BulkAction("invite", "Invite to claim", "invited", _invite, order=30, run_now=_invite_now),
    ActivityKinds("account", "Online account", dict(AccountEvent.choices), order=50),
)
register_audit_actions(InviteAudit)
register_settings_page(Page("invites", "Account invites", "invite_settings:invites", 70, "settings.change"))


def _spot_freed(sender, package, **kwargs):
    from invites.tasks import waitlist_promote

    if Waitlist.objects.filter(package=package).exists():
        waitlist_promote.delay_on_commit(org_id=package.organization_id, package_id=package.pk)


def _checkout_paid(sender, checkout, **kwargs):
    if checkout.hold_id:
        waitlist_offer_bought(checkout=checkout)


spot_freed.connect(_spot_freed, sender=Package, dispatch_uid="invites.waitlist_spot_freed")
checkout_paid.connect(_checkout_paid, sender=Checkout, dispatch_uid="invites.waitlist_checkout_paid")
register(ActivityKinds("waitlists", "Waitlists", dict(WaitlistEventKind.choices), order=52))
register_audit_actions(WaitlistAudit)
register_portal_section(PortalSection("waitlists", "My waitlists", "waitlist:mine", 27))
