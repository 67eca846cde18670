"""Reads of billing: who may buy for whom, and a customer's payments."""

from django.db.models import F, Max, Min, Q, QuerySet, Sum

from billing.models import Package, Payment
from customers.models import Customer
from families.models import GuardianLink, GuardianPermission
from families.selectors import guardian_may


def may_buy_for(payer: Customer, customer: Customer) -> bool:
    """A customer buys for themselves, or for someone they look after with the *purchase* permission."""
    return payer.pk == customer.pk or guardian_may(payer, GuardianPermission.PURCHASE, customer)


def buyable_for(payer: Customer) -> list[Customer]:
    """Whom `payer` may buy for: themselves first, then the people they look after with *purchase*."""
    links = GuardianLink.objects.filter(
        guardian=payer,
        permissions__contains=[GuardianPermission.PURCHASE],
        dependant__archived_at=None,
    ).select_related("dependant")
    return [payer, *(link.dependant for link in links.order_by("dependant__first_key"))]


def packages_for_sale() -> QuerySet:
    """What staff may sell: every package not archived, whatever its store visibility."""
    return Package.objects.filter(archived_at=None).order_by("name")


def payments_of(customer: Customer) -> QuerySet:
    """Payments for purchases this customer paid for or that were for them, newest first."""
    return (
        Payment.objects.filter(Q(purchase__payer=customer) | Q(purchase__customer=customer))
        .select_related("purchase__package", "taken_by")
        .prefetch_related("refunds__by")
        .order_by("-created_at", "-id")
    )


def spend_of(customer: Customer) -> dict:
    """What this customer has paid (net of refunds, in the organization's currency) and when they first and
    last bought: the Payments tab's summary."""
    return Payment.objects.filter(purchase__payer=customer).aggregate(
        net=Sum(F("amount") - F("refunded")), first=Min("created_at"), last=Max("created_at")
    )


def package_choices() -> list[tuple[str, str]]:
    """Every package, archived ones included (what was sold stays findable), for the roster's filter."""
    return [(str(pk), name) for pk, name in Package.objects.order_by("name").values_list("pk", "name")]


def net_paid(customer_ids: list[int]) -> dict[int, int]:
    """{customer_id: what they paid, refunds taken off, in minor units} for those who paid anything."""
    rows = (
        Payment.objects.filter(purchase__payer_id__in=customer_ids)
        .values("purchase__payer_id")
        .annotate(net=Sum(F("amount") - F("refunded")))
    )
    return {row["purchase__payer_id"]: row["net"] for row in rows}


def payments_seen_by(customer: Customer) -> QuerySet:
    """What a customer sees in the portal: payments they made or that were for them, and those for the people
    they look after with *see bookings and payments*."""
    watched = GuardianLink.objects.filter(
        guardian=customer, permissions__contains=[GuardianPermission.VIEW_HISTORY]
    ).values("dependant_id")
    return (
        Payment.objects.filter(
            Q(purchase__payer=customer) | Q(purchase__customer=customer) | Q(purchase__customer__in=watched)
        )
        .select_related("purchase__package")
        .prefetch_related("refunds")
        .order_by("-created_at", "-id")
    )
