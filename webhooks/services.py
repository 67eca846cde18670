"""Webhook endpoints (made, changed, deleted, their secret rotated: each in the audit log) and their
deliveries: queued once the event's transaction commits, one per event and endpoint, then sent by the worker
with retries until the receiver answers 2xx.

When a delivery is tried next is kept in its row (`next_try_at`), not only in a queued task: the beat sweep
(`deliveries_due`) sends whatever is due, so a task lost with Redis, or a retry hours away (longer than the
broker keeps an unacknowledged message), still happens, and each try is claimed in the database first, so a
task delivered twice posts once."""

import hashlib
import hmac
import json
import random
import secrets
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import Organization, User
from accounts.tenancy import tenant
from billing.secrets import decrypt, encrypt
from customers.events import event_payload
from webhooks.addresses import UnsafeAddress, checked_session, url_check
from webhooks.models import PING, RESPONSE_KEPT, EventType, WebhookAudit, WebhookDelivery, WebhookEndpoint

SECRET_PREFIX = "whsec_"  # noqa: S105 (the start of every signing secret, as Stripe's)
FAILING_DAYS = 3  # an endpoint that fails every try for this long is disabled
KEPT_DAYS = 30  # deliveries older than this are pruned
CLAIM = timedelta(minutes=5)  # a claimed try that a worker never recorded (it died) is made again after this
QUEUED_NOW = (
    300  # seconds: a retry this close is also queued with a countdown, so it need not wait for the sweep
)
Status = WebhookDelivery.Status


def _signature(*, secret: str, body: str, timestamp: int) -> str:
    """The Roster-Signature header, Stripe's scheme: HMAC-SHA256 of "<timestamp>.<body>" with the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _events_label(events: list[str]) -> str:
    return ", ".join(EventType(event).label for event in events)


def _enqueue(*deliveries: WebhookDelivery) -> None:
    from webhooks.tasks import webhook_deliver

    webhook_deliver.delay_each_on_commit(
        [{"org_id": delivery.organization_id, "delivery_id": delivery.pk} for delivery in deliveries]
    )


def _fresh(**fields) -> dict:
    """A delivery's fields for a new chain of tries, due now."""
    return fields | {"retries_left": len(settings.WEBHOOK_RETRY_DELAYS), "next_try_at": timezone.now()}


@transaction.atomic
def endpoint_create(
    *, url: str, description: str, events: list[str], by: User
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, shown to the person once."""
    url_check(url)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        url=url, description=description, events=events, secret=encrypt(secret), created_by=by
    )
    audit_record(action=WebhookAudit.ENDPOINT_CREATED, by=by, target=url, detail=_events_label(events))
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, description: str, events: list[str], enabled: bool, by: User
) -> dict:
    """Change an endpoint; enabling it again forgets why it was disabled. Returns the changes."""
    if url != endpoint.url:
        url_check(url)
    endpoint.url, endpoint.description, endpoint.events = url, description, events
    if enabled and not endpoint.enabled:
        endpoint.disabled_reason, endpoint.failing_since = "", None
    endpoint.enabled = enabled
    changes = changes_of(endpoint, ["url", "description", "events", "enabled"])
    endpoint.save()
    if changes:
        audit_record(action=WebhookAudit.ENDPOINT_CHANGED, by=by, target=endpoint.url, changes=changes)
    return changes


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, by: User) -> None:
    """Delete an endpoint and its delivery log; deliveries waiting for a retry are dropped."""
    audit_record(action=WebhookAudit.ENDPOINT_DELETED, by=by, target=endpoint.url)
    endpoint.delete()


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: WebhookEndpoint, by: User) -> str:
    """A new signing secret, used from the next try on; the old one stops at once."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint.secret = encrypt(secret)
    endpoint.save(update_fields=["secret"])
    audit_record(action=WebhookAudit.SECRET_ROTATED, by=by, target=endpoint.url)
    return secret


@transaction.atomic
def endpoint_ping(*, endpoint: WebhookEndpoint, by: User) -> WebhookDelivery:
    """Send a `ping` event to the endpoint now (even a disabled one: a test before enabling it again)."""
    payload = event_payload(
        endpoint.organization, PING, {"message": "A test from Roster", "endpoint": endpoint.pk}
    )
    delivery = WebhookDelivery.objects.create(
        **_fresh(endpoint=endpoint, event_id=payload["id"], event_type=PING, body=json.dumps(payload))
    )
    _enqueue(delivery)
    return delivery


@transaction.atomic
def deliveries_queue(*, organization: Organization, payloads: list[dict]) -> int:
    """Heard after an event's transaction commits: a delivery for each event and enabled endpoint that asked
    for it, each sent by its own task. Returns how many."""
    with tenant(organization):
        types = sorted({payload["type"] for payload in payloads})
        endpoints = list(WebhookEndpoint.objects.filter(enabled=True, events__overlap=types))
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                **_fresh(
                    endpoint=endpoint,
                    event_id=payload["id"],
                    event_type=payload["type"],
                    body=json.dumps(payload),
                )
            )
            for payload in payloads
            for endpoint in endpoints
            if payload["type"] in endpoint.events
        )
        _enqueue(*deliveries)
        return len(deliveries)


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery, by: User) -> None:
    """Send a delivery again now, with its retries, whatever became of it."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**_fresh(status=Status.PENDING))
    _enqueue(delivery)


def _post(url: str, *, delivery: WebhookDelivery, secret: str) -> dict:
    """One try: {"code", "error", "ms", "answer"}; nothing raised, whatever the receiver does."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Roster-Webhooks/1",
        "Roster-Event": delivery.event_type,
        "Roster-Delivery": str(delivery.pk),
        "Roster-Signature": _signature(secret=secret, body=delivery.body, timestamp=int(time.time())),
    }
    started = time.monotonic()
    try:
        with checked_session() as session:
            response = session.post(
                url,
                data=delivery.body.encode(),
                headers=headers,
                timeout=settings.WEBHOOK_TIMEOUT,
                allow_redirects=False,
                stream=True,
            )
            with response:
                answer = response.raw.read(RESPONSE_KEPT * 4, decode_content=True)
        code, error = response.status_code, ""
        answer = answer.decode(response.encoding or "utf-8", errors="replace")[:RESPONSE_KEPT]
    except UnsafeAddress as refused:
        code, error, answer = None, str(refused), ""
    except requests.Timeout:
        code, error, answer = None, f"No answer within {settings.WEBHOOK_TIMEOUT} seconds", ""
    except requests.RequestException as failure:
        code, error, answer = None, f"Could not connect: {type(failure).__name__}", ""
    return {"code": code, "error": error, "ms": round((time.monotonic() - started) * 1000), "answer": answer}


def delivery_try(*, organization: Organization, delivery_id: int) -> float | None:
    """The next try of a delivery that is due, from the worker; returns the seconds until the one after, or
    None when there is none. The try is claimed first (its time moved past the claim), so a second task for
    it does nothing; the receiver is waited for outside any transaction."""
    now = timezone.now()
    with tenant(organization):
        claimed = WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING, next_try_at__lte=now)
        if not claimed.update(next_try_at=now + CLAIM):
            return None
        delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
        endpoint = delivery.endpoint
        if not endpoint.enabled and delivery.event_type != PING:
            WebhookDelivery.objects.filter(pk=delivery_id).update(status=Status.FAILED, next_try_at=None)
            return None
        secret = decrypt(endpoint.secret)
    result = _post(endpoint.url, delivery=delivery, secret=secret)
    with tenant(organization), transaction.atomic():
        return _try_record(delivery_id, result)


def _try_record(delivery_id: int, result: dict) -> float | None:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    now = timezone.now()
    delivered = result["code"] is not None and 200 <= result["code"] < 300
    delays = settings.WEBHOOK_RETRY_DELAYS
    wait = None
    if delivered:
        delivery.status = Status.DELIVERED
    elif delivery.retries_left:
        wait = delays[len(delays) - delivery.retries_left] * random.uniform(1, 1.2)  # jitter spreads retries
        delivery.retries_left -= 1
    else:
        delivery.status = Status.FAILED
    delivery.next_try_at = now + timedelta(seconds=wait) if wait is not None else None
    delivery.tries, delivery.last_tried_at = delivery.tries + 1, now
    delivery.response_code, delivery.response_body = result["code"], result["answer"]
    attempt = {"at": now.isoformat(), "code": result["code"], "error": result["error"], "ms": result["ms"]}
    delivery.attempts = [*delivery.attempts, attempt]
    delivery.save()
    _endpoint_health(delivery.endpoint_id, delivered=delivered, result=result, now=now)
    return wait


def deliveries_due() -> int:
    """Queue a task for every pending delivery whose time has come, every organization's (beat, each
    minute): retries, and first tries whose task was lost. Returns how many."""
    from webhooks.tasks import webhook_deliver

    queued = 0
    for organization in Organization.objects.all():
        with tenant(organization):
            due = WebhookDelivery.objects.filter(status=Status.PENDING, next_try_at__lte=timezone.now())
            for delivery_id in due.values_list("pk", flat=True)[:1000]:
                webhook_deliver.delay(org_id=organization.pk, delivery_id=delivery_id)
                queued += 1
    return queued


def _endpoint_health(endpoint_id: int, *, delivered: bool, result: dict, now) -> None:
    """A success clears the endpoint's failing streak; failing every try for FAILING_DAYS disables it."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id)
    if delivered:
        endpoints.exclude(failing_since=None).update(failing_since=None)
        return
    endpoints.filter(failing_since=None).update(failing_since=now)
    endpoint = endpoints.filter(enabled=True, failing_since__lte=now - timedelta(days=FAILING_DAYS)).first()
    if endpoint is None:
        return
    last = f"HTTP {result['code']}" if result["code"] else result["error"]
    endpoint.enabled = False
    endpoint.disabled_reason = (
        f"Disabled on {now:%Y-%m-%d}: every delivery failed for {FAILING_DAYS} days (last: {last}). "
        "Fix the receiver, send a test, then enable it again."
    )[:300]
    endpoint.save(update_fields=["enabled", "disabled_reason"])
    audit_record(action=WebhookAudit.ENDPOINT_DISABLED, by=None, target=endpoint.url, detail=last)


def deliveries_prune() -> int:
    """Delete deliveries older than KEPT_DAYS, every organization's (beat, daily); returns how many."""
    cutoff = timezone.now() - timedelta(days=KEPT_DAYS)
    deleted = 0
    for organization in Organization.objects.all():
        with tenant(organization):
            deleted += WebhookDelivery.objects.filter(created_at__lt=cutoff).delete()[0]
    return deleted
