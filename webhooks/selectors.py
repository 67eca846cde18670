"""Reads of webhook endpoints and their delivery log."""

import json
from datetime import datetime

from django.core.paginator import Page, Paginator

from webhooks.models import WebhookDelivery, WebhookEndpoint

LOG_PAGE = 25


def endpoints_listed() -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.order_by("-enabled", "url", "pk"))


def delivery_log(endpoint: WebhookEndpoint, page: str | None) -> Page:
    """A page of the endpoint's deliveries, newest first, each with its body laid out for reading."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")
    log = Paginator(deliveries, LOG_PAGE).get_page(page)
    for delivery in log:
        delivery.body_shown = json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False)
        delivery.tries_shown = [
            attempt | {"at": datetime.fromisoformat(attempt["at"])} for attempt in delivery.attempts
        ]
    return log
