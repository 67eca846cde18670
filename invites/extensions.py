"""What invitations add to the customers app. Account invitations: the Online account box on the profile, the
roster's Account column and Online account filter, the bulk action that invites the selection to claim their
accounts, their events in the Activity Log; Settings → Account invites with its audit action. Package
invitations: the profile's box, the roster's Invited to filter, the Invite to buy bulk action, their events,
the Invites page and Settings → Package invites; an invitation's paid checkout accepts it. Waitlists: the
portal's My waitlists, their kinds of event and audit action, and billing's signals — a spot that may have
freed queues a promotion once its transaction commits; a paid checkout of an offered spot is the entry's
purchase."""

import django_filters
from django.contrib import messages
from django.utils import timezone
from django.utils.html import format_html

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_main_page, register_settings_page
from billing.models import Checkout, Package, Visibility
from billing.spots import checkout_paid, spot_freed
from customers.extend import (
    EMPTY_CELL,
    ActivityKinds,
    BulkAction,
    BulkActionError,
    MergeHandler,
    PersonData,
    PersonErasure,
    ProfileBox,
    RosterColumn,
    RosterFilters,
    register,
)
from customers.filters import SELECT, ListedModelChoiceFilter
from customers.merge import unless_taken
from invites import privacy
from invites.claim_services import invites_send
from invites.claim_views import account_box
from invites.merging import package_invites_move, waitlist_problems
from invites.models import (
    AccountEvent,
    ClaimInvite,
    ClaimStatus,
    InviteAudit,
    PackageInvite,
    PackageInviteAudit,
    PackageInviteEvent,
    Waitlist,
    WaitlistAudit,
    WaitlistEventKind,
)
from invites.package_selectors import invite_refusal
from invites.package_services import (
    PackageInviteError,
    package_invite_paid,
    package_invites_send,
)
from invites.package_views import invites_box
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


CLAIM_BADGES = {
    ClaimStatus.CLAIMED: "text-bg-success",
    ClaimStatus.INVITED: "text-bg-info",
    ClaimStatus.REMINDED: "text-bg-info",
    ClaimStatus.SENDING: "text-bg-info",
}


def _account_cell(customer) -> str:
    """The online account's status as a badge: green when claimed, blue while an invitation is out."""
    status = customer.claim_status
    if status == ClaimStatus.NOT_INVITED:
        return format_html('<span class="text-nowrap">{}</span>', EMPTY_CELL)
    badge = CLAIM_BADGES.get(status, "text-bg-warning")
    return format_html(
        '<span class="text-nowrap"><span class="badge claim-badge {}">{}</span></span>', badge, status.label
    )


def _invite(*, customer_ids, by, params) -> int:
    return invites_send(customer_ids=customer_ids, by=by)[0]


def _invited_said(sent: int, skipped: dict[str, int], to: str = "") -> list[tuple[int, str]]:
    """What staff read after inviting a small selection at once: how many, and who was left out and why."""
    said = [(messages.SUCCESS, f"{sent} invitation{'s' if sent != 1 else ''}{to} on the way.")]
    if skipped:
        reasons = "; ".join(f"{count} {reason}" for reason, count in skipped.items())
        said.append((messages.WARNING, f"Not invited: {reasons}."))
    return said


def _invite_now(*, customer_ids, by, params) -> list[tuple[int, str]]:
    return _invited_said(*invites_send(customer_ids=customer_ids, by=by))


register(
    ProfileBox("account", "invites/account_box.html", account_box, order=10),
    RosterColumn(
        "account",
        "Account",
        "birthday",
        _account_cell,
        lambda rows, membership: with_claim_status(rows),
        order=10,
    ),
    RosterFilters("claim", _roster_filters, order=50, names=("claim",)),
    BulkAction("invite", "Invite to claim", "invited", _invite, order=30, run_now=_invite_now),
    ActivityKinds("account", "Online account", dict(AccountEvent.choices), order=50),
)
register_audit_actions(InviteAudit)
register_settings_page(Page("invites", "Account invites", "invite_settings:invites", 70, "settings.change"))


# Package invitations


class _InvitedTo(ListedModelChoiceFilter):
    """Customers invited to a package, narrowed by the Invitation answer filter beside it (read here, so the
    two combine on the same invitations)."""

    def filter(self, queryset, value):
        answer = self.parent.form.cleaned_data.get("invitation") or ""
        if value is None and not answer:
            return queryset
        invites = (
            PackageInvite.objects.all() if value is None else PackageInvite.objects.filter(package=value)
        )
        if answer == "pending":
            invites = invites.pending()
        elif answer:
            invites = invites.with_status(answer)
        return queryset.filter(pk__in=invites.values("customer_id"))


def _package_invite_filters(audience: str) -> dict:
    invited_to = _InvitedTo(
        queryset=Package.objects.exclude(visibility__in=[Visibility.STAFF, Visibility.BOOKING])
        .order_by("name")
        .only("name"),
        empty_label="Any package",
        label="Invited to",
        widget=SELECT,
    )
    answer = django_filters.ChoiceFilter(
        choices=[("pending", "Pending"), ("accepted", "Accepted"), ("rejected", "Rejected")],
        empty_label="Any answer",
        label="Invitation",
        method=lambda queryset, name, value: queryset,  # applied by "Invited to", on the same invitations
        widget=SELECT,
    )
    return {"invited_to": invited_to, "invitation": answer}


def _package_invite_params(post) -> dict:
    package_id = post.get("invite_package", "")
    package = Package.objects.filter(pk=int(package_id)).first() if package_id.isdigit() else None
    if package is None:
        raise BulkActionError("Choose the package to invite them to.")
    if refusal := invite_refusal(package):
        raise BulkActionError(refusal)
    return {"package": package.pk, "package_name": package.name}


def _package_invite(*, customer_ids, by, params) -> int:
    package = Package.objects.filter(pk=params["package"]).first()
    if package is None or invite_refusal(package):
        return 0
    return len(package_invites_send(package=package, customer_ids=customer_ids, by=by)[0])


def _package_invite_now(*, customer_ids, by, params) -> list[tuple[int, str]]:
    package = Package.objects.get(pk=params["package"])
    try:
        made, skipped = package_invites_send(package=package, customer_ids=customer_ids, by=by)
    except PackageInviteError as error:
        return [(messages.ERROR, str(error))]
    return _invited_said(len(made), skipped, f" to “{package.name}”")


def _invite_paid(sender, checkout, **kwargs) -> None:
    package_invite_paid(checkout=checkout)


checkout_paid.connect(_invite_paid, dispatch_uid="invites.package_invite_paid")
register(
    ProfileBox("package_invites", "invites/packages/box.html", invites_box, order=35),
    RosterFilters("package_invites", _package_invite_filters, order=55, names=("invited_to", "invitation")),
    BulkAction(
        "package_invite",
        "Invite to buy",
        "invited",
        _package_invite,
        order=31,
        params=_package_invite_params,
        describe=lambda params: f" to “{params['package_name']}”",
        run_now=_package_invite_now,
        control="invites/packages/bulk_control.html",
        control_context=lambda: list(
            Package.objects.filter(archived_at=None)
            .exclude(visibility__in=[Visibility.STAFF, Visibility.BOOKING])
            .values_list("pk", "name")
        ),
    ),
    ActivityKinds("package_invites", "Package invites", dict(PackageInviteEvent.choices), order=55),
)
register_audit_actions(PackageInviteAudit)
register_main_page(
    Page("invites", "Invites", "package_invites:index", 25, "customers.change", ("package_invites",))
)
register_settings_page(
    Page("package_invites", "Package invites", "package_invite_settings:page", 72, "settings.change")
)


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
register(
    MergeHandler(
        "account_invite",
        "",  # one per customer: the survivor's own wins; the login itself is chosen on the preview
        (("invites.ClaimInvite", "customer"),),
        order=300,
        move=unless_taken("invites.ClaimInvite", "customer", ()),
    ),
    MergeHandler(
        "package_invites",
        "Package invitations",
        (("invites.PackageInvite", "customer"), ("invites.PackageInvite", "for_customer")),
        order=310,
        move=package_invites_move,
    ),
    MergeHandler(
        "waitlists",
        "Waitlist places",
        (("invites.WaitlistEntry", "customer"), ("invites.WaitlistEntry", "joined_by")),
        order=320,
        problems=waitlist_problems,
    ),
    PersonData(
        "invites",
        "Invites and claims",
        privacy.invite_rows,
        order=50,
        describe="Account and package invites.",
    ),
    PersonData("waitlists", "Waitlists", privacy.waitlist_rows, order=51, describe="Places on waitlists."),
    PersonErasure(
        "invites",
        "Invites and waitlists",
        privacy.invites_erase,
        order=50,
        covers=(
            "invites.ClaimInvite.customer",
            "invites.PackageInvite.customer",
            "invites.PackageInvite.for_customer",
            "invites.WaitlistEntry.customer",
            "invites.WaitlistEntry.joined_by",
        ),
    ),
)
