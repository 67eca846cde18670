"""Webhooks' part of an erasure: the deliveries kept in an endpoint's log that carried the person."""

from customers.extend import ErasureLine
from customers.privacy import identifiers, scrub_rows
from webhooks.models import WebhookDelivery


def deliveries_erase(customer) -> list[ErasureLine]:
    count = scrub_rows(WebhookDelivery.objects.all(), ["body", "response_body"], identifiers(customer))
    return [
        ErasureLine(
            "Webhook deliveries that named them",
            "anonymized",
            count,
        )
    ]
