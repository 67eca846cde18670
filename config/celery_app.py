import os

from celery import Celery
from celery.contrib.django.task import DjangoTask

# Unnamed, the settings that refuse to run insecurely; make run and pytest name theirs.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("roster", task_cls=DjangoTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
