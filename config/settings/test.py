"""pytest: an embedded PostgreSQL, Redis and Stripe emulator for the test session, unless the environment
names servers."""

import atexit
import os
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path

from config.local_servers import local_services

if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL") and "STRIPE_API_BASE" in os.environ):
    _run_dir = Path(tempfile.mkdtemp(prefix="roster-test-"))
    atexit.register(shutil.rmtree, _run_dir, ignore_errors=True)
    _services = ExitStack()
    atexit.register(_services.close)
    os.environ.update(_services.enter_context(local_services(_run_dir, grant_truncate=True)))
if not os.environ.get("MEDIA_ROOT"):  # uploads of the session, shared with the worker processes it starts
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="roster-media-")
    atexit.register(shutil.rmtree, os.environ["MEDIA_ROOT"], ignore_errors=True)

from .base import *  # noqa: F403

DEBUG = False
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": int(os.environ.get("SMTP_PORT", "25")), "timeout": 10},
    }
}
WHITENOISE_USE_FINDERS = True  # serve static files straight from the apps, no collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5
# Tests read task results (e.g. what a task saw of the tenant); the app itself keeps no results.
CELERY_RESULT_BACKEND = REDIS_URL  # noqa: F405
