"""The outbox (accounts.outbox): a change whose task meets the broker away is saved and answered as saved, and
its task goes out once the broker is back, exactly once; through a real worker, Redis and SMTP server."""

import threading
import time
from contextlib import contextmanager

import pytest
from django.db import transaction

from accounts import outbox
from accounts.models import QueuedTask
from accounts.outbox import relay
from accounts.tasks import outbox_relay
from accounts.tenancy import tenant
from config.celery_app import app
from config.local_servers import free_port
from invites.models import ClaimInvite
from tests.conftest import wait_for_the_worker
from tests.factories import customer
from tests.inbox import emailed_path, visitor
from tests.probe_tasks import plain_view, tenant_view


@contextmanager
def broker_away():
    """This process publishes to a port nobody listens on, as the web sees a stopped Redis; the session
    (read through Redis too) and the worker keep theirs: Redis going away in the midst of a request."""
    app.conf.broker_write_url = f"redis://127.0.0.1:{free_port()}/0"
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_write_url = None
        app.amqp._producer_pool = None
        outbox.broker_away_until = 0.0  # as if BROKER_AWAY_SECONDS had passed


def mails_to(smtp_server, address: str) -> int:
    return sum(address in message["To"] for message in smtp_server.messages)


@pytest.mark.django_db(transaction=True)
def test_an_invitation_saved_while_the_broker_is_away_is_answered_and_emailed_once_it_is_back(
    celery_worker, smtp_server, alice_client, org_a
):
    with tenant(org_a):
        jane = customer(email="jane.outbox@example.com")
    with broker_away():
        response = alice_client.post(f"/app/{org_a.slug}/customers/{jane.pk}/invite/")
    assert response.status_code == 302  # the profile, not the 503 page: the invitation is saved
    with tenant(org_a):
        invite = ClaimInvite.objects.get(customer=jane)
    (queued,) = QueuedTask.objects.all()
    assert (queued.task, queued.kwargs) == (
        "invites.tasks.claim_invite_send",
        {"org_id": org_a.pk, "invite_id": invite.pk},
    )
    assert mails_to(smtp_server, "jane.outbox@example.com") == 0

    assert outbox_relay.delay().get(timeout=30) == 1  # what beat asks every minute, on the worker
    smtp_server.wait_for("jane.outbox@example.com")
    assert not QueuedTask.objects.exists()
    assert outbox_relay.delay().get(timeout=30) == 0
    wait_for_the_worker()
    assert mails_to(smtp_server, "jane.outbox@example.com") == 1


@pytest.mark.django_db(transaction=True)
def test_a_task_handed_over_twice_runs_once_and_its_email_keeps_a_working_link(
    celery_worker, smtp_server, alice_client, org_a
):
    """PostgreSQL failing between the broker taking a row and the row's delete hands the row over again; a
    worker dying after the work and before its ack has the broker deliver it again. Each repeat carries the
    row's task id, and a task id runs once: one email, whose link was not replaced by a second run's."""
    with tenant(org_a):
        jane = customer(email="jane.twice@example.com")
    with broker_away():
        alice_client.post(f"/app/{org_a.slug}/customers/{jane.pk}/invite/")
    (queued,) = QueuedTask.objects.all()
    # A hand-over whose delete was lost:
    app.send_task(queued.task, kwargs=queued.kwargs, task_id=str(queued.task_id))
    message = smtp_server.wait_for("jane.twice@example.com")
    assert relay() == 1  # the row is still there, so it goes again, with its task id
    wait_for_the_worker()
    app.send_task(queued.task, kwargs=queued.kwargs, task_id=str(queued.task_id))  # the broker's repeat
    wait_for_the_worker()
    time.sleep(0.5)
    assert mails_to(smtp_server, "jane.twice@example.com") == 1
    link = emailed_path(message, rf"/{org_a.slug}/claim/[\w-]+/")
    assert "Choose a password" in visitor().get(link).text

    app.send_task(queued.task, kwargs=queued.kwargs)  # another task id is another run
    deadline = time.monotonic() + 30
    while mails_to(smtp_server, "jane.twice@example.com") < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mails_to(smtp_server, "jane.twice@example.com") == 2


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_up_a_commit_hands_its_tasks_over_and_a_rollback_queues_nothing(celery_worker, org_a):
    with tenant(org_a):
        tenant_view.delay_on_commit(org_id=org_a.pk)
        tenant_view.delay_each_on_commit([{"org_id": org_a.pk}] * 3)
        assert QueuedTask.objects.count() == 4  # in the transaction, until it commits
    assert not QueuedTask.objects.exists()
    with pytest.raises(RuntimeError), transaction.atomic():
        tenant_view.delay_on_commit(org_id=org_a.pk)
        raise RuntimeError("the change fails")
    assert not QueuedTask.objects.exists()
    with pytest.raises(TypeError, match="org_id"):
        tenant_view.delay_on_commit()
    with pytest.raises(TypeError, match="org_id"):
        tenant_view.delay_each_on_commit([{"org_id": org_a.pk}, {}])
    assert not QueuedTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_relay_skips_a_task_another_hand_over_holds_and_stops_where_the_broker_does(celery_worker):
    with broker_away():
        plain_view.delay_on_commit()
        started = time.monotonic()
        plain_view.delay_on_commit()  # refused a moment ago: left to the relay without trying
        assert time.monotonic() - started < 1
        assert QueuedTask.objects.count() == 2
        assert relay() == 0  # the broker refuses the first: both stay, in order
    first = QueuedTask.objects.order_by("pk").first()
    held, release = threading.Event(), threading.Event()

    def hold_first():
        with transaction.atomic():
            QueuedTask.objects.select_for_update().get(pk=first.pk)
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold_first)
    holder.start()
    held.wait(10)
    try:
        assert relay() == 1  # the other; the held one is left to whoever holds it
        assert list(QueuedTask.objects.values_list("pk", flat=True)) == [first.pk]
    finally:
        release.set()
        holder.join()
    assert relay() == 1
    assert not QueuedTask.objects.exists()
