"""Reads of external subscriptions (memberships managed elsewhere): a customer's, for the profile's box and
its form, and what a customer sees of them in the portal."""

from django.db.models import Q, QuerySet

from billing.models import ExternalSubscription
from customers.models import Customer
from families.models import GuardianLink, GuardianPermission


def external_subscriptions_of(customer: Customer) -> QuerySet:
    """A customer's external subscriptions, the latest start first."""
    return ExternalSubscription.objects.filter(customer=customer).order_by("-starts_on", "-id")


def external_subscription_of(customer: Customer, pk: int) -> ExternalSubscription | None:
    """One of `customer`'s external subscriptions, or None (another customer's or organization's id)."""
    return external_subscriptions_of(customer).filter(pk=pk).first()


def external_subscriptions_seen_by(customer: Customer) -> QuerySet:
    """What a customer sees in the portal: their own external subscriptions and those of the people they look
    after with *see bookings and payments* (as billing.selectors.payments_seen_by)."""
    watched = GuardianLink.objects.filter(
        guardian=customer, permissions__contains=[GuardianPermission.VIEW_HISTORY]
    ).values("dependant_id")
    return (
        ExternalSubscription.objects.filter(Q(customer=customer) | Q(customer__in=watched))
        .select_related("customer")
        .order_by("-starts_on", "-id")
    )
