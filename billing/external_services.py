"""Writes of external subscriptions (memberships managed elsewhere): staff record one and change it. Each
writes the customer's activity event and the organization's audit event, with what changed, in its
transaction. Nothing here charges anyone: Roster only keeps the record."""

from django.db import transaction

from accounts.audit import audit_record, changes_of
from accounts.models import User
from accounts.money import format_minor
from accounts.tenancy import current_organization
from billing.models import ExternalAudit, ExternalEvent, ExternalSubscription
from customers.services import activity_record

AUDITED = ["provider", "name", "amount", "interval", "starts_on", "ends_on", "status", "reference", "note"]


@transaction.atomic
def external_subscription_save(*, subscription: ExternalSubscription, by: User) -> ExternalSubscription:
    """Record a customer's external subscription (in the organization's currency) or change one; a save that
    changes nothing records nothing."""
    created = subscription.pk is None
    changes = changes_of(subscription, AUDITED)
    if "Amount" in changes:
        changes["Amount"] = [format_minor(amount, subscription.currency) for amount in changes["Amount"]]
    if created:
        subscription.created_by = by
        subscription.currency = subscription.currency or current_organization().currency
    elif not changes:
        return subscription
    subscription.save()
    detail = (
        f"“{subscription.name}” · {subscription.provider} · {subscription.amount_display}"
        f" · {subscription.get_status_display()}"
    )
    customer = subscription.customer
    activity_record(
        customer=customer,
        by=by,
        kind=ExternalEvent.ADDED if created else ExternalEvent.CHANGED,
        detail=detail,
        changes=changes,
        subject_id=subscription.pk,
    )
    audit_record(
        action=ExternalAudit.ADDED if created else ExternalAudit.CHANGED,
        by=by,
        target=customer.full_name,
        detail=detail,
        changes=changes,
    )
    return subscription
