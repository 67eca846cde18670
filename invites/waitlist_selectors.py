"""Reads of waitlists: a package's line with each person's place, the waitlists a customer sees in the
portal, how many wait per package, the offer a link opens."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts.selectors import token_hash
from billing.models import Checkout, CheckoutStatus, Package
from billing.selectors import buyable_for
from customers.models import Customer
from invites.models import LIVE_STATUSES, EntryStatus, Waitlist, WaitlistEntry, WaitlistEvent, WaitlistOffer


def package_for_waitlist(pk: int) -> Package:
    """A package of the current organization, or 404 (another organization's id)."""
    return get_object_or_404(Package, pk=pk)


def waitlist_of(package: Package) -> Waitlist | None:
    return Waitlist.objects.filter(package=package).first()


def _live_offers() -> Prefetch:
    offers = WaitlistOffer.objects.filter(declined_at=None, expired_at=None).select_related("hold")
    return Prefetch("offers", queryset=offers.order_by("-created_at"), to_attr="open_offers")


def _with_offer(entries: list[WaitlistEntry]) -> list[WaitlistEntry]:
    """Set `entry.offer`: the live offer of an offered entry (its hold still running), else None."""
    for entry in entries:
        entry.offer = next((offer for offer in entry.open_offers if offer.hold.is_live), None)
    return entries


def waitlist_lines(waitlist: Waitlist) -> tuple[list[WaitlistEntry], list[WaitlistEntry]]:
    """The line of a waitlist (offered first, then waiting in order, each with `place`), and the entries no
    longer in it (newest change first), in three queries."""
    entries = _with_offer(
        list(
            waitlist.entries.select_related("customer", "joined_by")
            .prefetch_related(_live_offers())
            .order_by("position", "id")
        )
    )
    offered = [entry for entry in entries if entry.status == EntryStatus.OFFERED]
    waiting = [entry for entry in entries if entry.status == EntryStatus.WAITING]
    for place, entry in enumerate(waiting, start=1):
        entry.place = place
    done = sorted(
        (entry for entry in entries if not entry.is_live), key=lambda entry: entry.changed_at, reverse=True
    )
    return offered + waiting, done


def waitlist_history(waitlist: Waitlist, limit: int = 100) -> QuerySet:
    """The latest changes of a waitlist's entries, newest first."""
    return (
        WaitlistEvent.objects.filter(entry__waitlist=waitlist)
        .select_related("entry__customer", "by")
        .order_by("-at", "-id")[:limit]
    )


def waiting_counts(package_ids: list[int]) -> dict[int, int]:
    """How many wait (or hold an offer) in each package's line, in one query."""
    rows = (
        WaitlistEntry.objects.filter(waitlist__package_id__in=package_ids, status__in=LIVE_STATUSES)
        .values("waitlist__package_id")
        .annotate(n=Count("pk"))
    )
    return {row["waitlist__package_id"]: row["n"] for row in rows}


def waitlists_seen_by(customer: Customer) -> list[WaitlistEntry]:
    """The live entries of `customer` and of the people they may buy for, each with `place` (1: next in
    line; None once offered) and its live `offer`, in two queries."""
    ahead = WaitlistEntry.objects.filter(
        waitlist=OuterRef("waitlist"), status=EntryStatus.WAITING, position__lt=OuterRef("position")
    )
    ahead = ahead.order_by().values("waitlist").annotate(n=Count("pk")).values("n")
    people = [person.pk for person in buyable_for(customer)]
    entries = _with_offer(
        list(
            WaitlistEntry.objects.filter(Q(customer_id__in=people) | Q(joined_by=customer))
            .filter(status__in=LIVE_STATUSES)
            .annotate(ahead=Coalesce(Subquery(ahead), 0))
            .select_related("customer", "waitlist__package")
            .prefetch_related(_live_offers())
            .order_by("waitlist__package__name", "customer__first_key", "id")
        )
    )
    for entry in entries:
        entry.place = entry.ahead + 1 if entry.status == EntryStatus.WAITING else None
    return entries


def entry_seen_by(customer: Customer, pk: int) -> WaitlistEntry:
    """A live entry the signed-in customer may act on (their own, one they joined, or one of the people they
    may buy for); 404 otherwise, another organization's id included."""
    for entry in waitlists_seen_by(customer):
        if entry.pk == pk:
            return entry
    return get_object_or_404(WaitlistEntry.objects.none())


def entry_for_staff(package: Package, pk: int) -> WaitlistEntry:
    """An entry of `package`'s line, or 404 (another line's, or another organization's)."""
    entries = WaitlistEntry.objects.select_related("customer", "waitlist__package")
    return get_object_or_404(entries, waitlist__package=package, pk=pk)


def offer_for_token(token: str) -> WaitlistOffer | None:
    """The offer this link belongs to, whatever became of it (the caller tells live from expired), or None."""
    if not token:
        return None
    return (
        WaitlistOffer.objects.select_related(
            "hold", "entry__customer", "entry__joined_by", "entry__waitlist__package"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )


def open_checkout_for(offer: WaitlistOffer, payer: Customer) -> Checkout | None:
    """The checkout `payer` already started with this offer's spot, so accepting twice pays once."""
    return Checkout.objects.filter(hold=offer.hold, payer=payer, status=CheckoutStatus.OPEN).first()


def offer_recipient(offer: WaitlistOffer) -> str:
    """Where an offer's email goes: whoever joined the line, else the person it is for."""
    entry = offer.entry
    return (entry.joined_by.email if entry.joined_by else "") or entry.customer.email


def due_waitlists() -> QuerySet:
    """Waitlists with someone waiting: the sweep gives them offers should spots be free."""
    waiting = WaitlistEntry.objects.filter(waitlist=OuterRef("pk"), status=EntryStatus.WAITING)
    return Waitlist.objects.filter(Exists(waiting)).select_related("package")
