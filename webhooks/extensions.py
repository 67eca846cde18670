"""What webhooks add: a Settings tab, the audit log's actions, and a listener to the roster's events."""

from accounts.audit import register_audit_actions
from accounts.navigation import Page, register_settings_page
from customers.extend import EventListener, PersonErasure, register
from webhooks import privacy, services
from webhooks.models import WebhookAudit


def _heard(organization, payloads: list[dict]) -> None:
    services.deliveries_queue(organization=organization, payloads=payloads)


register_audit_actions(WebhookAudit)
register_settings_page(Page("webhooks", "Webhooks", "webhooks:list", 65, "settings.change"))
register(EventListener("webhooks", _heard, order=10))
register(PersonErasure("webhooks", "Webhook log", privacy.deliveries_erase, order=80))
