"""The worker's side of webhooks: a task per delivery, retried with Celery's countdown; the daily prune."""

from celery import shared_task

from accounts.models import Organization
from accounts.tenancy import tenant_task
from webhooks import services


# max_retries=None: a delivery's own count of tries ends its retries (delivery_try returns None when spent).
@tenant_task(bind=True, batched=True, max_retries=None)
def webhook_deliver(self, *, org_id: int, delivery_id: int, number: int, first: int) -> None:
    """Try `number` of a delivery; a failed one comes back after its delay (WEBHOOK_RETRY_DELAYS)."""
    organization = Organization.objects.get(pk=org_id)
    wait = services.delivery_try(
        organization=organization, delivery_id=delivery_id, number=number, first=first
    )
    if wait is not None:
        retry = {"org_id": org_id, "delivery_id": delivery_id, "number": number + 1, "first": first}
        raise self.retry(kwargs=retry, countdown=wait)


@shared_task
def webhook_deliveries_prune() -> int:
    return services.deliveries_prune()
