"""The worker's side of webhooks: a task per try (the first queued when the event commits, a near retry with
a countdown, and whatever is due from the sweep each minute); the daily prune."""

from celery import shared_task

from accounts.models import Organization
from accounts.tenancy import tenant_task
from webhooks import services


@tenant_task(batched=True)
def webhook_deliver(*, org_id: int, delivery_id: int) -> None:
    organization = Organization.objects.get(pk=org_id)
    wait = services.delivery_try(organization=organization, delivery_id=delivery_id)
    if wait is not None and wait <= services.QUEUED_NOW:
        webhook_deliver.apply_async(kwargs={"org_id": org_id, "delivery_id": delivery_id}, countdown=wait)


@shared_task
def webhook_deliveries_due() -> int:
    return services.deliveries_due()


@shared_task
def webhook_deliveries_prune() -> int:
    return services.deliveries_prune()
