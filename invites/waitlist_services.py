"""Waitlists: joining and leaving a package's line, the offers that hold a freed spot for the next person,
what staff change by hand, and how each offer ends (bought, declined, expired). Every change of a line runs
under the package's row lock, which the sales that count its spots take too: there are never more live
offers than free spots. Each change is one row of the entry's history and an event in the customer's
Activity Log."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.selectors import new_token
from billing import card_services
from billing.models import Checkout, Package
from billing.selectors import may_buy_for, store_refusal
from billing.services import spot_hold, spot_let_go
from billing.spots import spots_free
from customers.models import Customer
from customers.services import activity_record
from invites.models import (
    EntryStatus,
    Waitlist,
    WaitlistAudit,
    WaitlistChange,
    WaitlistEntry,
    WaitlistEvent,
    WaitlistEventKind,
    WaitlistOffer,
)
from invites.waitlist_selectors import open_checkout_for


class WaitlistError(Exception):
    """A change of a waitlist that cannot be made now; the message says why, for the person asking."""


class OfferExpired(WaitlistError):
    """The offer's hold ran out before it was accepted."""


class OfferUsed(WaitlistError):
    """The offer ended otherwise: bought, declined, or withdrawn by staff."""


def _locked(package: Package) -> Package:
    return Package.objects.select_for_update().get(pk=package.pk)


def _entry_locked(entry: WaitlistEntry) -> WaitlistEntry:
    return (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("customer", "waitlist__package")
        .get(pk=entry.pk)
    )


def _deadline(moment, organization) -> str:
    return timezone.localtime(moment, ZoneInfo(organization.time_zone)).strftime("%b %-d, %Y %H:%M %Z")


def _record(
    entry: WaitlistEntry,
    what: str,
    kind: str,
    detail: str,
    *,
    by: User | None = None,
    actor: User | None = None,
    reason: str = "",
) -> None:
    """The entry's new status saved, a row of its history (`by`: staff) and an event in the customer's
    Activity Log (`actor`: the customer's own login when they acted)."""
    entry.changed_at = timezone.now()
    entry.save(update_fields=["status", "position", "changed_at"])
    WaitlistEvent.objects.create(entry=entry, at=entry.changed_at, by=by, what=what, reason=reason)
    package = entry.waitlist.package
    said = f"Waitlist of “{package.name}”: {detail}" + (f" ({reason})" if reason else "")
    activity_record(customer=entry.customer, by=by or actor, kind=kind, detail=said)


def _offer(
    package: Package, entry: WaitlistEntry, *, by: User | None = None, reason: str = ""
) -> WaitlistOffer:
    """Hold a spot of the locked `package` for `entry` and tell them once this commits."""
    from invites.tasks import waitlist_offer_send

    until = timezone.now() + timedelta(hours=entry.waitlist.hold_hours)
    hold = spot_hold(package=package, customer=entry.customer, until=until)
    offer = WaitlistOffer.objects.create(entry=entry, hold=hold)
    entry.status = EntryStatus.OFFERED
    deadline = _deadline(until, package.organization)
    _record(
        entry,
        WaitlistChange.OFFERED,
        WaitlistEventKind.OFFERED,
        f"offered a spot until {deadline}",
        by=by,
        reason=reason,
    )
    waitlist_offer_send.delay_on_commit(org_id=package.organization_id, offer_id=offer.pk)
    return offer


def _promote(package: Package) -> list[WaitlistOffer]:
    """Offer each free spot of the locked `package` to the next person waiting (archived customers are passed
    over). Each offer's hold takes its spot, so a second promotion counts none free."""
    free = spots_free(package)
    if not free or package.is_archived or store_refusal(package, invited=True):
        return []
    offers = []
    for _ in range(free):
        entry = (
            WaitlistEntry.objects.select_for_update(of=("self",))
            .select_related("customer", "waitlist")
            .filter(waitlist__package=package, status=EntryStatus.WAITING, customer__archived_at=None)
            .order_by("position", "id")
            .first()
        )
        if entry is None:
            break
        entry.waitlist.package = package
        offers.append(_offer(package, entry))
    return offers


@transaction.atomic
def waitlist_promote(*, package: Package) -> list[WaitlistOffer]:
    """Give each free spot of `package` to the next person in its line as an offer (spot_freed, the sweep)."""
    return _promote(_locked(package))


@transaction.atomic
def waitlist_join(
    *, package: Package, customer: Customer, joined_by: Customer, invited: bool = False
) -> WaitlistEntry:
    """Put `customer` at the end of the line of the sold-out `package`, joined by `joined_by` (themselves, or
    a guardian who may buy for them); `invited`: from an invitation, which opens a package sold by invitation
    only."""
    package = _locked(package)
    if not may_buy_for(joined_by, customer):
        raise WaitlistError(f"You may not buy for {customer.full_name}.")
    if customer.archived_at:
        raise WaitlistError(f"{customer.full_name} can no longer join a waitlist.")
    refusal = store_refusal(package, invited=invited)
    if package.capacity is None or refusal:
        raise WaitlistError(f"“{package.name}” has no waitlist{': ' + refusal.lower() if refusal else ''}.")
    if spots_free(package):
        raise WaitlistError(f"“{package.name}” has a free spot: buy it now instead.")
    waitlist, _ = Waitlist.objects.get_or_create(package=package)
    if waitlist.entries.filter(
        customer=customer, status__in=[EntryStatus.WAITING, EntryStatus.OFFERED]
    ).exists():
        raise WaitlistError(f"{customer.first_name} is already on the waitlist of “{package.name}”.")
    last = waitlist.entries.aggregate(last=Max("position"))["last"] or 0
    entry = WaitlistEntry.objects.create(
        waitlist=waitlist, customer=customer, joined_by=joined_by, position=last + 1
    )
    waitlist.package = package
    by_whom = "" if joined_by.pk == customer.pk else f" by {joined_by.full_name}"
    _record(entry, WaitlistChange.JOINED, WaitlistEventKind.JOINED, f"joined{by_whom}", actor=joined_by.user)
    return entry


def _let_go(entry: WaitlistEntry, *, declined: bool) -> None:
    """End the live offer of an offered entry, giving its spot back."""
    offer = entry.offers.select_related("hold").filter(declined_at=None, expired_at=None).last()
    if offer is None:
        return
    if declined:
        offer.declined_at = timezone.now()
        offer.save(update_fields=["declined_at"])
    spot_let_go(hold=offer.hold)


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, customer: Customer) -> None:
    """`customer` takes `entry` (theirs, or of someone they look after) out of its line; an offer it held goes
    to the next person."""
    package = _locked(entry.waitlist.package)
    entry = _entry_locked(entry)
    if not entry.is_live:
        raise WaitlistError("This place in line has already ended.")
    offered = entry.status == EntryStatus.OFFERED
    if offered:
        _let_go(entry, declined=True)
    entry.status = EntryStatus.LEFT
    detail = "left" if customer.pk == entry.customer_id else f"taken off by {customer.full_name}"
    _record(entry, WaitlistChange.LEFT, WaitlistEventKind.LEFT, detail, actor=customer.user)
    if offered:
        _promote(package)


def _live_offer(offer: WaitlistOffer) -> WaitlistOffer:
    """The offer, locked and current; OfferExpired when its hold ran out, WaitlistError when it ended
    otherwise (bought, declined, withdrawn)."""
    offer = (
        WaitlistOffer.objects.select_for_update(of=("self",)).select_related("hold", "entry").get(pk=offer.pk)
    )
    if offer.declined_at or offer.hold.purchase_id or offer.hold.released_at:
        raise OfferUsed("This offer has already been used.")
    if offer.expired_at or offer.hold.expires_at <= timezone.now():
        raise OfferExpired("This offer has expired: the spot went to the next person in line.")
    return offer


@transaction.atomic
def waitlist_offer_accept(*, offer: WaitlistOffer, payer: Customer) -> Checkout:
    """`payer` takes the held spot: the store's checkout for it (the same one again if they accept twice),
    which the store's card page pays. The entry is bought when the checkout is paid."""
    offer = _live_offer(offer)
    customer = offer.entry.customer
    if not may_buy_for(payer, customer):
        raise WaitlistError(
            f"This offer is for {customer.full_name}: sign in as whoever joined the waitlist."
        )
    return open_checkout_for(offer, payer) or card_services.store_checkout_start(
        package=offer.hold.package, customer=customer, payer=payer, invited=True, hold=offer.hold
    )


@transaction.atomic
def waitlist_offer_decline(*, offer: WaitlistOffer, by: User | None) -> None:
    """Say no to an offer: its spot goes to the next person in line."""
    package = _locked(offer.hold.package)
    offer = _live_offer(offer)
    entry = _entry_locked(offer.entry)
    offer.declined_at = timezone.now()
    offer.save(update_fields=["declined_at"])
    spot_let_go(hold=offer.hold)
    entry.status = EntryStatus.LEFT
    _record(entry, WaitlistChange.DECLINED, WaitlistEventKind.LEFT, "declined the offered spot", actor=by)
    _promote(package)


@transaction.atomic
def waitlist_offer_expire(*, offer: WaitlistOffer) -> list[WaitlistOffer]:
    """An offer whose hold ran out: its person leaves the line (expired) and the spot goes to the next one.
    Nothing for an offer that is still live or ended otherwise."""
    package = _locked(offer.hold.package)
    offer = WaitlistOffer.objects.select_for_update(of=("self",)).select_related("hold").get(pk=offer.pk)
    hold = offer.hold
    if offer.expired_at or offer.declined_at or hold.purchase_id or hold.released_at or hold.is_live:
        return []
    offer.expired_at = timezone.now()
    offer.save(update_fields=["expired_at"])
    entry = _entry_locked(offer.entry)
    if entry.status == EntryStatus.OFFERED:
        entry.status = EntryStatus.EXPIRED
        _record(
            entry, WaitlistChange.EXPIRED, WaitlistEventKind.EXPIRED, "the offered spot was not taken in time"
        )
    return _promote(package)


@transaction.atomic
def waitlist_offer_bought(*, checkout: Checkout) -> None:
    """The checkout of an offered spot was paid (billing.spots.checkout_paid): its entry is bought."""
    offer = WaitlistOffer.objects.filter(hold_id=checkout.hold_id).select_related("entry").first()
    if offer is None:
        return
    entry = _entry_locked(offer.entry)
    if entry.status != EntryStatus.BOUGHT:
        entry.status = EntryStatus.BOUGHT
        _record(entry, WaitlistChange.BOUGHT, WaitlistEventKind.BOUGHT, "bought the offered spot")


@transaction.atomic
def waitlist_offer_issue_token(*, offer: WaitlistOffer) -> str:
    """A fresh link for the email about to go out (in the worker); only its hash is kept."""
    token, offer.token_hash = new_token()
    offer.sent_at = timezone.now()
    offer.save(update_fields=["token_hash", "sent_at"])
    return token


@transaction.atomic
def waitlist_hold_window_save(*, package: Package, hold_hours: int, by: User) -> Waitlist:
    """Set how long an offer holds its spot for `package` (Staff: the waitlist page); opens its waitlist."""
    waitlist, _ = Waitlist.objects.get_or_create(package=package)
    before = waitlist.hold_hours
    if before != hold_hours:
        waitlist.hold_hours = hold_hours
        waitlist.save(update_fields=["hold_hours"])
        audit_record(
            action=WaitlistAudit.SETTINGS_CHANGED,
            by=by,
            target=f"Waitlist of {package.name}",
            changes={"hold window (hours)": [before, hold_hours]},
        )
    return waitlist


@transaction.atomic
def waitlist_entry_promote(*, entry: WaitlistEntry, by: User, reason: str) -> WaitlistOffer | None:
    """Staff put someone first: an offer now when a spot is free, else the front of the line. Someone whose
    offer expired, who left or was skipped comes back the same way."""
    package = _locked(entry.waitlist.package)
    entry = _entry_locked(entry)
    if entry.status in (EntryStatus.OFFERED, EntryStatus.BOUGHT):
        done = "holds an offer" if entry.status == EntryStatus.OFFERED else "has bought"
        raise WaitlistError(f"{entry.customer.full_name} {done} already.")
    if entry.customer.archived_at:
        raise WaitlistError(f"{entry.customer.full_name} is archived.")
    entry.waitlist.package = package
    line = entry.waitlist.entries.exclude(pk=entry.pk)
    if line.filter(customer=entry.customer, status__in=[EntryStatus.WAITING, EntryStatus.OFFERED]).exists():
        raise WaitlistError(f"{entry.customer.full_name} is in this line already.")
    first = line.filter(status=EntryStatus.WAITING).aggregate(first=Min("position"))["first"]
    entry.position = min(first if first is not None else entry.position, entry.position) - 1
    entry.status = EntryStatus.WAITING
    if spots_free(package) and not store_refusal(package, invited=True):
        return _offer(package, entry, by=by, reason=reason)
    _record(
        entry,
        WaitlistChange.PROMOTED,
        WaitlistEventKind.CHANGED,
        "moved to the front by staff",
        by=by,
        reason=reason,
    )
    return None


@transaction.atomic
def waitlist_entry_skip(*, entry: WaitlistEntry, by: User, reason: str) -> None:
    """Staff take someone out of the line; a spot offered to them goes to the next person."""
    package = _locked(entry.waitlist.package)
    entry = _entry_locked(entry)
    if not entry.is_live:
        raise WaitlistError(f"{entry.customer.full_name} is not in the line.")
    offered = entry.status == EntryStatus.OFFERED
    if offered:
        _let_go(entry, declined=False)
    entry.status = EntryStatus.REMOVED
    _record(
        entry, WaitlistChange.REMOVED, WaitlistEventKind.CHANGED, "skipped by staff", by=by, reason=reason
    )
    if offered:
        _promote(package)


@transaction.atomic
def waitlist_entry_move(*, entry: WaitlistEntry, by: User, reason: str, up: bool) -> None:
    """Staff swap a waiting person with the one just ahead of them (`up`) or just behind."""
    _locked(entry.waitlist.package)
    entry = _entry_locked(entry)
    if entry.status != EntryStatus.WAITING:
        raise WaitlistError(f"{entry.customer.full_name} is not waiting in the line.")
    waiting = entry.waitlist.entries.filter(status=EntryStatus.WAITING).exclude(pk=entry.pk)
    if up:
        neighbour = waiting.filter(position__lt=entry.position).order_by("-position", "-id").first()
    else:
        neighbour = waiting.filter(position__gt=entry.position).order_by("position", "id").first()
    if neighbour is None:
        raise WaitlistError(f"{entry.customer.full_name} is {'first' if up else 'last'} in line already.")
    neighbour = _entry_locked(neighbour)
    entry.position, neighbour.position = neighbour.position, entry.position
    neighbour.save(update_fields=["position"])
    what, detail = (WaitlistChange.MOVED_UP, "moved up") if up else (WaitlistChange.MOVED_DOWN, "moved down")
    _record(entry, what, WaitlistEventKind.CHANGED, f"{detail} by staff", by=by, reason=reason)
