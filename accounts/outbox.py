"""The outbox: a task queued by a transaction reaches the broker even when Redis is away at the commit.

`delay_on_commit` writes the task into the transaction (`QueuedTask`), so it commits or rolls back with the
change it belongs to. Once committed, the row is handed to the broker and deleted. When the broker is away
then, the saved change still answers as saved and the row waits: `outbox_relay` (beat, every minute, and
each worker as it starts) hands over what is left. Each hand-over takes its rows under a lock that the other
skips, so the commit and the relay never both send a row. A row keeps one task id, and a task id runs once
(`OutboxTask.__call__`): a row sent again because PostgreSQL failed between the broker taking it and its
delete, or a task the broker delivers again because its worker died after the work and before the ack
(`acks_late`), finds the work done. What is left of at-least-once is a worker dying between the work's end
and marking it done."""

import logging
import time
from functools import partial

from celery import current_app
from celery.contrib.django.task import DjangoTask
from django.core.cache import caches
from django.db import transaction
from redis import RedisError

log = logging.getLogger(__name__)

RELAY_BATCH = 500
# Redis refusing costs a publish ~2 s (`connect_retries_timeout` in settings). After a refusal, this process's
# commits leave their tasks to the relay for a while, so a page queueing several tasks waits once, not each.
BROKER_AWAY_SECONDS = 30
broker_away_until = 0.0  # time.monotonic()
# How long a task id is remembered as done: far longer than a repeat comes (the broker's visibility timeout is
# an hour; the relay resends a row within a minute of PostgreSQL coming back). A key each task run: a bulk
# action's 100 k webhook deliveries keep ~10 MB of Redis for a day.
DONE_SECONDS = 24 * 60 * 60


class OutboxTask(DjangoTask):
    """The project's task class (`config/celery_app.py`)."""

    def __call__(self, *args, **kwargs):
        """Runs each task id once. With Redis unreadable it runs anyway: at least once is the lesser harm."""
        task_id = None if self.request.is_eager else self.request.id
        done = f"task-done:{task_id}"
        if task_id:
            try:
                if caches["global"].get(done):
                    log.info("%s[%s] already ran; this delivery is a repeat", self.name, task_id)
                    return None
            except RedisError:
                log.warning("Could not check whether %s[%s] ran", self.name, task_id, exc_info=True)
        result = super().__call__(*args, **kwargs)
        if task_id:
            try:
                caches["global"].set(done, True, DONE_SECONDS)
            except RedisError:
                log.warning("Could not note %s[%s] as done", self.name, task_id, exc_info=True)
        return result

    def delay_on_commit(self, **kwargs) -> None:
        self.delay_each_on_commit([kwargs])

    def delay_each_on_commit(self, calls: list[dict]) -> None:
        """Queue the task once for each set of keyword arguments in `calls`: one insert, one hand-over."""
        from accounts.models import QueuedTask

        if not calls:
            return
        if self.typing:
            for kwargs in calls:
                self.__header__(**kwargs)  # a wrong argument fails in the caller, as with .delay()
        rows = QueuedTask.objects.bulk_create(QueuedTask(task=self.name, kwargs=kwargs) for kwargs in calls)
        # robust: the change is committed; PostgreSQL failing now must not make it an error page
        transaction.on_commit(partial(hand_over, pks=[row.pk for row in rows]), robust=True)


def hand_over(pks: list[int] | None = None) -> int:
    """Send the queued tasks `pks` (or the oldest RELAY_BATCH of all) that no other hand-over holds, in
    order, and delete those the broker took; with the broker away, the rest stay queued. Returns how many
    went."""
    global broker_away_until
    from accounts.models import QueuedTask

    if pks is not None and time.monotonic() < broker_away_until:
        return 0
    queued = QueuedTask.objects.select_for_update(skip_locked=True).order_by("pk")
    sent = []
    with transaction.atomic():
        rows = queued.filter(pk__in=pks) if pks is not None else queued[:RELAY_BATCH]
        try:
            for row in rows:
                # No retries here: the relay is the retry, and a page must not wait on them.
                current_app.send_task(row.task, kwargs=row.kwargs, task_id=str(row.task_id), retry=False)
                sent.append(row.pk)
        except Exception:  # whatever the broker raised (kombu wraps some errors, not all): the rest wait
            broker_away_until = time.monotonic() + BROKER_AWAY_SECONDS
            log.warning("Could not queue %s; it waits for the relay", row.task, exc_info=True)
        QueuedTask.objects.filter(pk__in=sent).delete()
    return len(sent)


def relay() -> int:
    """Hand over everything queued, a batch at a time, until the outbox is empty or the broker refuses."""
    total = 0
    while sent := hand_over():
        total += sent
        if sent < RELAY_BATCH:
            break
    return total
