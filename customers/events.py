"""What happens on the roster, told to the feature apps that listen (webhooks out, say) without the core
knowing them: a service publishes inside its transaction; each `customers.extend.EventListener` hears the
events once that transaction commits, and never if it rolls back.

An event is a plain payload: {"id": "evt_…", "type": "customer.created", "created": ISO 8601 time,
"organization": slug, "data": {…}}. A customer in it carries only built-in fields, never custom values (some
are for staff only)."""

import secrets
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone

from accounts.tenancy import required_organization
from customers.extend import EventListener, registered

CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_ARCHIVED = "customer.archived"
CUSTOMER_RESTORED = "customer.restored"
TAG_ADDED = "tag.added"
IMPORT_FINISHED = "import.finished"


def customer_data(customer) -> dict:
    return {
        "id": customer.pk,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
    }


def event_payload(organization, event: str, data: dict) -> dict:
    return {
        "id": f"evt_{secrets.token_hex(12)}",
        "type": event,
        "created": timezone.now().isoformat(),
        "organization": organization.slug,
        "data": data,
    }


def _send(organization, events: list[dict]) -> None:
    for listener in registered(EventListener) if events else []:
        # robust: the change is committed already, a listener's failure must not turn it into an error page
        transaction.on_commit(partial(listener.receive, organization, events), robust=True)


def publish(event: str, *, customer=None, data: dict | None = None) -> None:
    """Tell the listeners, once the current transaction commits, that `event` happened (to `customer`)."""
    organization = required_organization("An event published")
    about = {"customer": customer_data(customer)} if customer is not None else {}
    _send(organization, [event_payload(organization, event, about | (data or {}))])


def publish_each(event: str, *, customers: Iterable, data: dict | None = None) -> None:
    """The same event about each of many customers (a bulk action), heard together."""
    organization = required_organization("An event published")
    _send(
        organization,
        [
            event_payload(organization, event, {"customer": customer_data(c)} | (data or {}))
            for c in customers
        ],
    )
