import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

# Unnamed, the settings that refuse to run insecurely; make run and pytest name theirs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Celery runs Django's system checks as a worker starts, and they open a database connection: a worker
# restarted while PostgreSQL is away would exit instead of waiting for it. The deploy's migrate runs them.
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")

# Every task queues through the outbox (`delay_on_commit`): what a commit queued survives Redis being away.
app = Celery("roster", task_cls="accounts.outbox:OutboxTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def connections_as_requests(sender=None, **_):
    """Around each task, what Django does around each request: close a connection past CONN_MAX_AGE or broken
    (CELERY_DB_REUSE_MAX keeps Celery from closing it every time). Not in an eager task: its caller's."""
    if not getattr(sender.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
