import os
import smtplib

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import OperationalError

# Unnamed, the settings that refuse to run insecurely; make run and pytest name theirs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("roster", task_cls=DjangoTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class TenantTask(DjangoTask):
    """A task that runs inside one organization: it takes `org_id` and plain ids, never instances.
    The tenant (context, transaction, `app.org_id`) ends with the task, so nothing carries over.
    A `batched` task enters its tenant itself, one committed transaction per batch, so progress shows."""

    batched = False

    def __call__(self, *args, **kwargs):
        if self.batched:
            return super().__call__(*args, **kwargs)
        from accounts.models import Organization
        from accounts.tenancy import tenant

        with tenant(Organization.objects.get(pk=kwargs["org_id"])):
            return super().__call__(*args, **kwargs)


def tenant_task(**options):
    """Decorator for tasks that touch tenant data; enqueue them with `.delay_on_commit(org_id=…, …)`."""
    defaults = {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": (OperationalError, smtplib.SMTPException, ConnectionError),
        "retry_backoff": True,
        "max_retries": 5,
    }
    return app.task(base=TenantTask, **(defaults | options))
