"""Package invitations: staff invite customers to buy a package, the customers accept (paying in the store) or
reject, reminders and tidying run by beat. Emails leave from workers once the invitations are committed."""

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import User
from accounts.selectors import new_token
from billing import card_services
from billing.charging import SaleError
from billing.models import Checkout, CheckoutStatus, Package
from billing.selectors import may_buy_for
from customers.models import Customer
from customers.services import activities_record, activity_record
from invites.models import (
    PackageInvite,
    PackageInviteAudit,
    PackageInviteEvent,
    PackageInviteSettings,
    WaitlistEntry,
)
from invites.package_selectors import invite_refusal, package_invite_settings
from invites.waitlist_services import WaitlistError, waitlist_join

DELIVERY_BATCH = 500  # invitations per delivery task: one SMTP connection, one token update


class PackageInviteError(Exception):
    """An invitation that cannot be made or answered now; the message says why."""


@transaction.atomic
def package_invite_settings_save(*, settings: PackageInviteSettings, by: User) -> PackageInviteSettings:
    """Save the package invitation email's wording and timing (Settings → Package invites)."""
    fields = ["subject", "body", "expiry_days", "remind_after_days", "max_reminders"]
    changes = changes_of(settings, fields, before=None if settings.pk else PackageInviteSettings())
    settings.save()
    if changes:
        audit_record(
            action=PackageInviteAudit.SETTINGS_CHANGED,
            by=by,
            target="Package invitation email",
            changes=changes,
        )
    return settings


@transaction.atomic
def package_invites_send(
    *,
    package: Package,
    customer_ids: list[int],
    by: User | None,
    note: str = "",
    for_customer: Customer | None = None,
) -> tuple[list[int], dict[str, int]]:
    """Invite customers to buy `package` (for themselves, or one customer for `for_customer`, a child they may
    buy for); returns (the invitations made, {reason skipped: count}). An expired invitation is renewed; a
    pending one is left alone. The emails leave from workers once this commits."""
    from invites.tasks import package_invites_deliver

    if refusal := invite_refusal(package):
        raise PackageInviteError(refusal)
    note = " ".join(note.split())[:500]
    people = list(
        Customer.objects.filter(pk__in=customer_ids).only(
            "id", "first_name", "last_name", "email", "archived_at"
        )
    )
    if for_customer is not None and (len(people) != 1 or not may_buy_for(people[0], for_customer)):
        raise PackageInviteError(
            f"Only someone who may buy for {for_customer.first_name} can be invited for them."
        )
    skipped: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    open_ones = {
        invite.customer_id: invite
        for invite in PackageInvite.objects.filter(
            package=package,
            customer_id__in=[person.pk for person in people],
            for_customer=for_customer,
            accepted_at=None,
            rejected_at=None,
            cancelled_at=None,
        )
    }
    now = timezone.now()
    expires_at = now + timedelta(days=package_invite_settings().expiry_days)
    made, renewed = [], []
    for person in people:
        if not person.email:
            skip("have no email address")
        elif person.archived_at:
            skip("are archived")
        elif (existing := open_ones.get(person.pk)) is None:
            made.append(
                PackageInvite(
                    package=package,
                    customer=person,
                    for_customer=for_customer,
                    note=note,
                    email=person.email,
                    invited_by=by,
                    expires_at=expires_at,
                )
            )
        elif existing.expires_at <= now:
            existing.email, existing.note, existing.invited_by, existing.expires_at = (
                person.email,
                note,
                by,
                expires_at,
            )
            existing.token_hash, existing.sent_at, existing.opened_at = "", None, None
            existing.reminders_sent, existing.reminded_at = 0, None
            renewed.append(existing)
        else:
            skip("were already invited")
    PackageInvite.objects.bulk_create(made, batch_size=1000)
    fields = ["email", "note", "invited_by", "expires_at", "token_hash", "sent_at", "opened_at"]
    PackageInvite.objects.bulk_update(renewed, [*fields, "reminders_sent", "reminded_at"], batch_size=1000)
    invites = made + renewed
    if invites:
        for_whom = f" for {for_customer.full_name}" if for_customer else ""
        activities_record(
            labels={invite.customer_id: invite.customer.full_name for invite in invites},
            by=by,
            kind=PackageInviteEvent.INVITED,
            detail=f"Invited to buy “{package.name}”{for_whom}" + (f" · “{note}”" if note else ""),
        )
        audit_record(
            action=PackageInviteAudit.SENT,
            by=by,
            target=package.name,
            detail=f"{len(invites)} invitation{'s' if len(invites) != 1 else ''}",
        )
    ids = sorted(invite.pk for invite in invites)
    package_invites_deliver.delay_each_on_commit(
        [
            {"org_id": package.organization_id, "invite_ids": ids[start : start + DELIVERY_BATCH]}
            for start in range(0, len(ids), DELIVERY_BATCH)
        ]
    )
    return ids, skipped


@transaction.atomic
def package_invite_tokens_issue(*, invite_ids: list[int], reminder: bool) -> dict[int, str]:
    """Fresh tokens for the emails about to leave (in the worker), {invite id: token}, for the invitations
    still pending; only their hashes are kept, so earlier links stop working."""
    pending = PackageInvite.objects.pending().filter(pk__in=invite_ids)
    if not reminder:
        pending = pending.filter(sent_at=None)
    ids = list(pending.values_list("pk", flat=True))
    issued = {pk: new_token() for pk in ids}
    with connection.cursor() as cursor:  # one statement for the batch, as bulk_update would make 500 CASEs
        cursor.execute(
            "UPDATE invites_packageinvite AS invite SET token_hash = issued.hash"
            " FROM unnest(%s::bigint[], %s::text[]) AS issued(id, hash) WHERE invite.id = issued.id",
            [ids, [issued[pk][1] for pk in ids]],
        )
    return {pk: token for pk, (token, _) in issued.items()}


@transaction.atomic
def package_invites_delivered(*, invite_ids: list[int], reminder: bool) -> None:
    """Note the emails of these invitations as sent (or a reminder as sent)."""
    invites = PackageInvite.objects.filter(pk__in=invite_ids)
    now = timezone.now()
    if reminder:
        invites.update(reminded_at=now, reminders_sent=F("reminders_sent") + 1)
    else:
        invites.filter(sent_at=None).update(sent_at=now)


@transaction.atomic
def package_invite_undeliverable(*, invite_id: int, error: str) -> None:
    """No email can reach the invited address: the invitation is cancelled, saying why."""
    _cancel(
        PackageInvite.objects.filter(pk=invite_id),
        reason=f"The email could not be sent: {error}"[:300],
        by=None,
    )


@transaction.atomic
def package_invite_open(*, invite: PackageInvite) -> None:
    """The customer opened the link: the first time is noted."""
    if invite.opened_at is None and invite.is_pending:
        invite.opened_at = timezone.now()
        invite.save(update_fields=["opened_at"])


@transaction.atomic
def package_invite_accept(*, invite: PackageInvite, payer: Customer) -> Checkout:
    """The invited customer, signed in, accepts: a store checkout for the package (the Online Store's rules,
    the package opened by the invitation). The invitation counts as accepted once it is paid."""
    invite = (
        PackageInvite.objects.select_for_update(of=("self",))
        .select_related("package", "checkout")
        .get(pk=invite.pk)
    )
    if not invite.is_pending:
        raise PackageInviteError("This invitation is no longer open.")
    if payer.pk != invite.customer_id:
        raise PackageInviteError("This invitation is for someone else: log in as the person invited.")
    if invite.checkout is not None and invite.checkout.status == CheckoutStatus.OPEN:
        return invite.checkout
    try:
        checkout = card_services.store_checkout_start(
            package=invite.package, customer=invite.beneficiary, payer=payer, invited=True
        )
    except SaleError as refusal:
        raise PackageInviteError(str(refusal)) from None
    invite.checkout = checkout
    invite.save(update_fields=["checkout"])
    return checkout


@transaction.atomic
def package_invite_paid(*, checkout: Checkout) -> None:
    """A store checkout was paid (billing.spots.checkout_paid): the invitation it answers is accepted — the
    one it was started from, or a pending one to the same package for the same person (after a wait)."""
    invites = PackageInvite.objects.filter(accepted_at=None).select_related("package", "customer")
    invite = invites.filter(checkout=checkout).first() or (
        invites.pending()
        .filter(package=checkout.package_id, customer=checkout.payer_id)
        .filter(Q(for_customer=checkout.customer_id) | Q(for_customer=None, customer=checkout.customer_id))
        .first()
    )
    if invite is None:
        return
    invite.accepted_at, invite.purchase = timezone.now(), checkout.completed_purchase
    invite.save(update_fields=["accepted_at", "purchase"])
    activity_record(
        customer=invite.customer,
        by=invite.customer.user,
        kind=PackageInviteEvent.ANSWERED,
        detail=f"Accepted the invitation to “{invite.package.name}” and paid",
    )


@transaction.atomic
def package_invite_waitlist_join(*, invite: PackageInvite, joined_by: Customer) -> WaitlistEntry:
    """The package invited to is full: the invited customer joins its waitlist (for whom the invitation is),
    the invitation opening it even when sold by invitation only; accepted once the offered spot is paid."""
    if not invite.is_pending:
        raise PackageInviteError("This invitation is no longer open.")
    if joined_by.pk != invite.customer_id:
        raise PackageInviteError("This invitation is for someone else: log in as the person invited.")
    try:
        return waitlist_join(
            package=invite.package, customer=invite.beneficiary, joined_by=joined_by, invited=True
        )
    except WaitlistError as refusal:
        raise PackageInviteError(str(refusal)) from None


@transaction.atomic
def package_invite_reject(*, invite: PackageInvite, reason: str) -> None:
    """The customer declines, saying why if they wish (the link is their proof: no login needed)."""
    invite = PackageInvite.objects.select_for_update().select_related("package", "customer").get(pk=invite.pk)
    if not invite.is_pending:
        raise PackageInviteError("This invitation is no longer open.")
    invite.rejected_at, invite.reject_reason = timezone.now(), " ".join(reason.split())[:500]
    invite.save(update_fields=["rejected_at", "reject_reason"])
    said = f": “{invite.reject_reason}”" if invite.reject_reason else ""
    activity_record(
        customer=invite.customer,
        by=None,
        kind=PackageInviteEvent.ANSWERED,
        detail=f"Declined the invitation to “{invite.package.name}”{said}",
    )


def _cancel(invites, *, reason: str, by: User | None) -> int:
    cancelled = list(invites.select_related("customer", "package"))
    if not cancelled:
        return 0
    PackageInvite.objects.filter(pk__in=[invite.pk for invite in cancelled]).update(
        cancelled_at=timezone.now(), cancel_reason=reason[:300], cancelled_by=by
    )
    for package_name in {invite.package.name for invite in cancelled}:
        activities_record(
            labels={i.customer_id: i.customer.full_name for i in cancelled if i.package.name == package_name},
            by=by,
            kind=PackageInviteEvent.INVITED,
            detail=f"Invitation to “{package_name}” cancelled · {reason}",
        )
    return len(cancelled)


@transaction.atomic
def package_invite_cancel(*, invite: PackageInvite, reason: str, by: User) -> None:
    """Staff withdraw one pending invitation; its link stops working."""
    reason = " ".join(reason.split())
    if not reason:
        raise PackageInviteError("Say why the invitation is cancelled.")
    if not _cancel(PackageInvite.objects.pending().filter(pk=invite.pk), reason=reason, by=by):
        raise PackageInviteError("This invitation is no longer pending.")


@transaction.atomic
def package_invites_cancel(*, package: Package, reason: str, by: User) -> int:
    """Staff withdraw every pending invitation to `package`; returns how many."""
    reason = " ".join(reason.split())
    if not reason:
        raise PackageInviteError("Say why the invitations are cancelled.")
    count = _cancel(PackageInvite.objects.pending().filter(package=package), reason=reason, by=by)
    if count:
        audit_record(
            action=PackageInviteAudit.CANCELLED,
            by=by,
            target=package.name,
            detail=f"{count} pending invitation{'s' if count != 1 else ''} · {reason}",
        )
    return count


@transaction.atomic
def package_invites_tidy() -> int:
    """Beat: pending invitations of archived customers, and to packages no longer sold, are cancelled with
    the reason; returns how many."""
    pending = PackageInvite.objects.pending()
    ended = Q(package__sale_ends_at__lte=timezone.now()) | ~Q(package__archived_at=None)
    return _cancel(
        pending.filter(
            ~Q(customer__archived_at=None) | (~Q(for_customer=None) & ~Q(for_customer__archived_at=None))
        ),
        reason="The customer was archived",
        by=None,
    ) + _cancel(pending.filter(ended), reason="The package is no longer sold", by=None)
