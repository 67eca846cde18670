"""A package's capacity: its spots are taken by purchases not given back (renewals take none) and by holds
still live. Callers that decide on a free spot hold the package's row lock while they count."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone

from billing.models import Channel, Package, Purchase, SpotHold

# Sent inside the transaction that may have freed a spot of `package` (a full refund, a membership ended,
# capacity raised, a hold let go or expired): receivers act once it commits.
spot_freed = Signal()
# Sent inside the transaction that recorded the purchase of a store `checkout`.
checkout_paid = Signal()


def _purchases_holding() -> QuerySet:
    return Purchase.objects.filter(released_at=None).exclude(channel=Channel.RENEWAL)


def spots_taken(package: Package, *, but: SpotHold | None = None) -> int:
    """Spots of `package` bought or held, not counting the hold `but` (the one its holder is buying with)."""
    holds = SpotHold.objects.live().filter(package=package)
    if but is not None:
        holds = holds.exclude(pk=but.pk)
    return _purchases_holding().filter(package=package).count() + holds.count()


def spots_free(package: Package) -> int | None:
    """How many spots of `package` nobody has bought or holds; None: no limit."""
    if package.capacity is None:
        return None
    return max(package.capacity - spots_taken(package), 0)


def with_spots_taken(packages: QuerySet) -> QuerySet:
    """`packages` annotated with `taken` (as spots_taken), two subqueries for the whole list."""

    def counted(queryset):
        per_package = queryset.filter(package=OuterRef("pk")).order_by().values("package")
        return Coalesce(
            Subquery(per_package.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0)
        )

    return packages.annotate(taken=counted(_purchases_holding()) + counted(SpotHold.objects.live()))


def spot_given_back(purchase: Purchase) -> bool:
    """Mark the spot of `purchase` given back (the caller's transaction refunded it in full or ended its
    membership), and tell whoever waits for one. False when it held none."""
    if purchase.released_at is not None or purchase.channel == Channel.RENEWAL:
        return False
    purchase.released_at = timezone.now()
    purchase.save(update_fields=["released_at"])
    if purchase.package.capacity is not None:
        spot_freed.send(sender=Package, package=purchase.package)
    return True
