"""Webhooks out: endpoints in Settings → Webhooks get the roster's events, signed, from the worker, with
retries and a delivery log. A real HTTP receiver listens on 127.0.0.1 in a thread."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import tenant
from customers import services as customer_services
from customers.models import Customer
from tags import services as tag_services
from tags.models import Tag
from tests.factories import customer
from tests.import_helpers import confirm, start, upload, work
from webhooks import services
from webhooks.models import WebhookAudit, WebhookDelivery, WebhookEndpoint

ALL_EVENTS = [
    "customer.created",
    "customer.updated",
    "customer.archived",
    "customer.restored",
    "tag.added",
    "import.finished",
]


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every request and answers with the next status of `answers`
    (200 once they run out)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                answer = b'{"received": true}' if status < 300 else b"<b>Server on fire</b>"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def wait_for(self, count: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"the receiver got {len(self.requests)} of {count} requests"
        return self.requests

    def events(self, path: str = "/hook") -> list[dict]:
        return [json.loads(request["body"]) for request in self.requests if request["path"] == path]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()


def endpoint(org, user, url: str, events=ALL_EVENTS) -> tuple[WebhookEndpoint, str]:
    with tenant(org):
        return services.endpoint_create(url=url, description="", events=list(events), by=user)


def signed_by(secret: str, request: dict) -> bool:
    """What a receiver does: recompute the signature of "<t>.<body>" and compare in constant time."""
    parts = dict(item.split("=", 1) for item in request["headers"]["Roster-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.{request['body']}".encode(), hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def publish_committed(callbacks) -> None:
    """Run what the roster's commit would have run (the listeners), in a test that never commits."""
    for callback in list(callbacks):
        callback()


def deliver_pending(org) -> None:
    """The worker's try of every pending delivery that is due, in this process."""
    with tenant(org):
        pending = list(WebhookDelivery.objects.filter(status="pending").values_list("pk", flat=True))
    for pk in pending:
        services.delivery_try(organization=org, delivery_id=pk)


# ---------------------------------------------------------------------------------------- through the worker


@pytest.mark.django_db(transaction=True)
def test_staff_adding_a_customer_posts_customer_created_signed_to_its_organization_only(
    celery_worker, receiver, alice_client, org_a, org_b, alice, bob
):
    _, secret = endpoint(org_a, alice, receiver.url("/alpha"), ["customer.created"])
    endpoint(org_b, bob, receiver.url("/beta"))
    response = alice_client.post(
        f"/app/{org_a.slug}/customers/new/",
        {"first_name": "Mia", "last_name": "Lopez", "email": "mia@example.com"},
    )
    assert response.status_code == 302
    request = receiver.wait_for(1)[0]
    assert request["path"] == "/alpha"
    assert request["headers"]["Roster-Event"] == "customer.created"
    assert signed_by(secret, request)
    assert not signed_by("whsec_another", request)
    event = json.loads(request["body"])
    with tenant(org_a):
        mia = Customer.objects.get(last_name="Lopez")
        delivery = WebhookDelivery.objects.get()
    assert request["headers"]["Roster-Delivery"] == str(delivery.pk)
    assert event["id"].startswith("evt_") and event["type"] == "customer.created"
    assert event["organization"] == org_a.slug
    assert event["data"] == {
        "customer": {"id": mia.pk, "first_name": "Mia", "last_name": "Lopez", "email": "mia@example.com"}
    }
    time.sleep(0.5)
    assert receiver.events("/beta") == []  # org B's endpoint never hears org A


@pytest.mark.django_db(transaction=True)
def test_a_receiver_answering_500_is_retried_and_the_log_shows_both_tries(
    celery_worker, receiver, alice_client, org_a, alice
):
    hook, _ = endpoint(org_a, alice, receiver.url())
    receiver.answers = [500]
    response = alice_client.post(f"/app/{org_a.slug}/settings/webhooks/{hook.pk}/test/")
    assert response.status_code == 302
    first, second = receiver.wait_for(2)[:2]
    assert first["body"] == second["body"] and json.loads(first["body"])["type"] == "ping"
    assert first["headers"]["Roster-Delivery"] == second["headers"]["Roster-Delivery"]
    with tenant(org_a):
        for _ in range(100):
            delivery = WebhookDelivery.objects.get()
            if delivery.status == "delivered":
                break
            time.sleep(0.05)
    assert (delivery.status, delivery.tries, delivery.response_code) == ("delivered", 2, 200)
    assert [attempt["code"] for attempt in delivery.attempts] == [500, 200]
    page = alice_client.get(f"/app/{org_a.slug}/settings/webhooks/{hook.pk}/").text
    assert "HTTP 500" in page and "HTTP 200" in page and "Delivered" in page


# ------------------------------------------------------------------ events, delivered by this process


def test_customer_updated_lists_the_changed_built_in_fields_only(
    receiver, org_a, alice, django_capture_on_commit_callbacks, fields
):
    with tenant(org_a):
        jane = customer(email="jane@alpha.example")
    endpoint(org_a, alice, receiver.url(), ["customer.updated", "customer.archived"])
    with tenant(org_a), django_capture_on_commit_callbacks() as callbacks:
        customer_services.customer_update(
            customer=jane,
            data={"email": "jane@new.example", "phone": "555 201 0001", fields["secret"].name: "Risky"},
            by=alice,
        )
        customer_services.customer_archive(customer=jane, by=alice)
    publish_committed(callbacks)
    deliver_pending(org_a)
    updated, archived = receiver.events()
    assert updated["type"] == "customer.updated"
    assert updated["data"]["changed"] == ["email", "phone"]
    assert updated["data"]["customer"]["email"] == "jane@new.example"
    assert "Risky" not in json.dumps(updated)  # no custom values, staff-only ones least of all
    assert archived["type"] == "customer.archived" and archived["data"]["customer"]["id"] == jane.pk


def test_bulk_tagging_posts_tag_added_for_each_customer_that_gained_it(
    receiver, org_a, alice, alice_client, django_capture_on_commit_callbacks
):
    with tenant(org_a):
        ana, ben = customer(first_name="Ana"), customer(first_name="Ben")
        vip = tag_services.tag_save(tag=Tag(name="VIP"), by=alice)
        tag_services.tag_add(customer=ana, tag=vip, by=alice)
    endpoint(org_a, alice, receiver.url(), ["tag.added"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = alice_client.post(
            f"/app/{org_a.slug}/customers/bulk/",
            {"action": "add_tag", "tag": vip.pk, "ids": [ana.pk, ben.pk]},
        )
    assert response.status_code == 302
    publish_committed(callbacks)
    deliver_pending(org_a)
    (event,) = receiver.events()  # Ana had it already
    assert event["type"] == "tag.added"
    assert event["data"]["customer"]["id"] == ben.pk and event["data"]["tag"] == {"id": vip.pk, "name": "VIP"}


def test_an_import_posts_one_import_finished_with_its_counts_and_no_customer_events(
    receiver, org_a, alice, django_capture_on_commit_callbacks
):
    endpoint(org_a, alice, receiver.url(), ["import.finished", "customer.created"])
    text = "First name,Last name,Email\nAna,Lee,ana@example.com\nBen,Ito,ben@example.com\nCy,,bad\n"
    with django_capture_on_commit_callbacks() as callbacks:
        job = start(org_a, confirm(org_a, work(org_a, upload(org_a, alice, text))))
    publish_committed(callbacks)
    deliver_pending(org_a)
    (event,) = receiver.events()
    assert event["type"] == "import.finished"
    finished = event["data"]["import"]
    assert (finished["id"], finished["status"], finished["file_name"]) == (job.pk, "done", "customers.csv")
    assert (finished["created"], finished["skipped"]) == (2, 1)


# ------------------------------------------------------------------------------- endpoints and addresses


def test_admin_adds_an_endpoint_and_sees_its_secret_once(alice_client, org_a, org_b):
    url = f"/app/{org_a.slug}/settings/webhooks/"
    empty = alice_client.get(url).text
    assert "No webhook endpoints yet" in empty
    response = alice_client.post(
        url, {"url": "https://hooks.example/roster", "description": "CRM sync", "events": ["tag.added"]}
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = response.text.split('id="webhook-secret" value="')[1].split('"')[0]
    assert secret.startswith("whsec_") and len(secret) > 40
    with tenant(org_a):
        hook = WebhookEndpoint.objects.get()
        assert secret not in hook.secret  # kept encrypted
        assert AuditEvent.objects.get().action == WebhookAudit.ENDPOINT_CREATED
    listed = alice_client.get(url).text
    assert "https://hooks.example/roster" in listed and "CRM sync" in listed and secret not in listed
    assert secret not in alice_client.get(f"{url}{hook.pk}/").text


def test_adding_an_endpoint_needs_a_url_and_events(alice_client, org_a, org_b):
    response = alice_client.post(f"/app/{org_a.slug}/settings/webhooks/", {"url": "not a url"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "Enter a valid URL." in errors["url"] and "This field is required." in errors["events"]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://169.254.169.254/latest", "http://[::1]/"],
)
def test_a_private_loopback_or_link_local_address_is_refused_unless_allowed(alice_client, org_a, org_b, url):
    with override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False):
        response = alice_client.post(
            f"/app/{org_a.slug}/settings/webhooks/", {"url": url, "events": ["tag.added"]}
        )
    assert response.status_code == 422
    assert "private, loopback or link-local address" in " ".join(response.context["form"].errors["url"])
    with tenant(org_a):
        assert not WebhookEndpoint.objects.exists()


def test_production_takes_https_addresses_only(alice_client, org_a, org_b):
    with override_settings(WEBHOOK_ALLOW_HTTP=False):
        response = alice_client.post(
            f"/app/{org_a.slug}/settings/webhooks/", {"url": "http://hooks.example/", "events": ["tag.added"]}
        )
    assert "Use an https:// address" in " ".join(response.context["form"].errors["url"])


@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_task_was_lost_is_sent_by_the_sweep(celery_worker, receiver, org_a, alice):
    """Redis lost the queued task (or a retry is hours away): the row says it is due; the sweep sends it."""
    hook, _ = endpoint(org_a, alice, receiver.url())
    with tenant(org_a):
        lost = WebhookDelivery.objects.create(
            endpoint=hook, event_id="evt_lost", event_type="ping", body='{"id": "evt_lost"}', retries_left=5
        )
        later = WebhookDelivery.objects.create(
            endpoint=hook,
            event_id="evt_later",
            event_type="ping",
            body='{"id": "evt_later"}',
            next_try_at=timezone.now() + timedelta(hours=2),
        )
        WebhookDelivery.objects.filter(pk=lost.pk).update(next_try_at=timezone.now() - timedelta(minutes=1))
    assert services.deliveries_due() == 1
    [request] = receiver.wait_for(1)
    assert request["body"] == '{"id": "evt_lost"}'
    with tenant(org_a):
        assert WebhookDelivery.objects.get(pk=later.pk).tries == 0


def test_a_try_is_claimed_so_a_task_delivered_twice_posts_once(receiver, org_a, alice):
    hook, _ = endpoint(org_a, alice, receiver.url())
    receiver.answers = [500]
    with tenant(org_a):
        delivery = services.endpoint_ping(endpoint=hook, by=alice)
    assert services.delivery_try(organization=org_a, delivery_id=delivery.pk) is not None
    assert services.delivery_try(organization=org_a, delivery_id=delivery.pk) is None  # the retry is not due
    assert len(receiver.requests) == 1


def test_the_address_is_checked_again_at_delivery(receiver, org_a, alice):
    """A name that resolved to a public address when saved may point inside later (DNS rebinding)."""
    hook, _ = endpoint(org_a, alice, receiver.url())
    with tenant(org_a):
        delivery = services.endpoint_ping(endpoint=hook, by=alice)
    with override_settings(WEBHOOK_ALLOW_PRIVATE_URLS=False):
        wait = services.delivery_try(organization=org_a, delivery_id=delivery.pk)
    assert receiver.requests == []
    assert 1 <= wait <= 1.2  # the next try comes after the first delay
    with tenant(org_a):
        delivery.refresh_from_db()
    assert delivery.status == "pending" and "private, loopback or link-local" in delivery.attempts[0]["error"]


def test_send_test_posts_a_ping_and_the_log_shows_it(receiver, alice_client, org_a, alice):
    hook, secret = endpoint(org_a, alice, receiver.url())
    page = f"/app/{org_a.slug}/settings/webhooks/{hook.pk}/"
    assert "No deliveries yet" in alice_client.get(page).text
    response = alice_client.post(f"{page}test/", follow=True)
    assert "A test event (ping) is on its way" in response.text
    deliver_pending(org_a)
    (request,) = receiver.requests
    assert request["headers"]["Roster-Event"] == "ping" and signed_by(secret, request)
    shown = alice_client.get(page).text
    assert "<code>ping</code>" in shown and "Delivered" in shown and "received" in shown


def test_rotating_the_secret_signs_with_the_new_one_from_then_on(receiver, alice_client, org_a, alice):
    hook, old = endpoint(org_a, alice, receiver.url())
    response = alice_client.post(f"/app/{org_a.slug}/settings/webhooks/{hook.pk}/rotate/")
    new = response.text.split('id="webhook-secret" value="')[1].split('"')[0]
    assert new != old
    with tenant(org_a):
        services.endpoint_ping(endpoint=hook, by=alice)
    deliver_pending(org_a)
    (request,) = receiver.requests
    assert signed_by(new, request) and not signed_by(old, request)
    with tenant(org_a):
        assert AuditEvent.objects.filter(action=WebhookAudit.SECRET_ROTATED).count() == 1


def test_edit_disable_and_delete_an_endpoint_are_audited(
    receiver, alice_client, org_a, alice, django_capture_on_commit_callbacks
):
    hook, _ = endpoint(org_a, alice, receiver.url())
    page = f"/app/{org_a.slug}/settings/webhooks/{hook.pk}/"
    response = alice_client.post(
        page, {"url": hook.url, "description": "Paused", "events": ["customer.created"], "enabled": ""}
    )
    assert response.status_code == 302
    with tenant(org_a), django_capture_on_commit_callbacks() as callbacks:
        customer()
    publish_committed(callbacks)
    with tenant(org_a):
        assert not WebhookDelivery.objects.exists()  # a disabled endpoint gets no events
    assert "This endpoint is disabled" in alice_client.get(page).text
    assert "Delete the endpoint" in alice_client.get(f"{page}delete/").text
    assert alice_client.post(f"{page}delete/").status_code == 302
    with tenant(org_a):
        assert not WebhookEndpoint.objects.exists()
        actions = list(AuditEvent.objects.order_by("pk").values_list("action", "changes"))
    assert [action for action, _ in actions] == [
        WebhookAudit.ENDPOINT_CREATED,
        WebhookAudit.ENDPOINT_CHANGED,
        WebhookAudit.ENDPOINT_DELETED,
    ]
    assert actions[1][1]["Enabled"] == ["Yes", "No"]


def test_an_endpoint_failing_for_three_days_is_disabled_with_a_message(receiver, alice_client, org_a, alice):
    hook, _ = endpoint(org_a, alice, receiver.url())
    with tenant(org_a):
        WebhookEndpoint.objects.filter(pk=hook.pk).update(
            failing_since=timezone.now() - timedelta(days=3, hours=1)
        )
        services.endpoint_ping(endpoint=hook, by=alice)
    receiver.answers = [503]
    deliver_pending(org_a)
    with tenant(org_a):
        hook.refresh_from_db()
        assert AuditEvent.objects.filter(action=WebhookAudit.ENDPOINT_DISABLED).exists()
    assert not hook.enabled
    page = alice_client.get(f"/app/{org_a.slug}/settings/webhooks/{hook.pk}/").text
    assert "every delivery failed for 3 days (last: HTTP 503)" in page


def test_resend_sends_a_failed_delivery_again(receiver, alice_client, org_a, alice):
    hook, _ = endpoint(org_a, alice, receiver.url())
    with tenant(org_a):
        delivery = services.endpoint_ping(endpoint=hook, by=alice)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", tries=6)
    response = alice_client.post(
        f"/app/{org_a.slug}/settings/webhooks/{hook.pk}/deliveries/{delivery.pk}/resend/"
    )
    assert response.status_code == 302
    deliver_pending(org_a)
    assert len(receiver.requests) == 1
    with tenant(org_a):
        delivery.refresh_from_db()
    assert (delivery.status, delivery.tries) == ("delivered", 7)


def test_the_delivery_log_is_paginated_and_old_deliveries_are_pruned(alice_client, org_a, alice):
    hook, _ = endpoint(org_a, alice, "https://hooks.example/")
    with tenant(org_a):
        for _ in range(30):
            services.endpoint_ping(endpoint=hook, by=alice)
        old = WebhookDelivery.objects.order_by("pk")[:3]
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in old]).update(
            created_at=timezone.now() - timedelta(days=31)
        )
    page = alice_client.get(f"/app/{org_a.slug}/settings/webhooks/{hook.pk}/").text
    assert page.count('class="webhook-delivery"') == 25 and "Page 1 of 2" in page
    assert services.deliveries_prune() == 3
    second = alice_client.get(f"/app/{org_a.slug}/settings/webhooks/{hook.pk}/?page=2").text
    assert second.count('class="webhook-delivery"') == 2


def test_other_organizations_and_staff_cannot_reach_the_endpoints(
    alice, bob_client, carol_client, org_a, org_b
):
    hook, _ = endpoint(org_a, alice, "https://hooks.example/")
    with tenant(org_a):
        delivery = services.endpoint_ping(endpoint=hook, by=alice)
    base = f"/app/{org_a.slug}/settings/webhooks/"
    assert bob_client.get(base).status_code == 404
    theirs = f"/app/{org_b.slug}/settings/webhooks/{hook.pk}/"
    assert bob_client.get(theirs).status_code == 404
    for action in ("test/", "rotate/", "delete/", f"deliveries/{delivery.pk}/resend/"):
        assert bob_client.post(theirs + action).status_code == 404
    assert carol_client.get(base).status_code == 403
    with tenant(org_a):
        assert WebhookEndpoint.objects.filter(pk=hook.pk).exists()
        assert WebhookDelivery.objects.count() == 1
