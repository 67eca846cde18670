"""pytest: an embedded PostgreSQL, Redis and Stripe emulator for the test session (each pytest-xdist worker
being a session of its own), unless the environment names servers."""

import argparse
import atexit
import os
import shlex
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from config.local_servers import local_services


def _xdist_controller() -> bool:
    """Whether this is pytest-xdist's controller (pytest -n N, N > 0), which only hands tests to its workers:
    each worker is a session of its own with its own servers, so they never share a database, a queue, a
    mail server or the Stripe emulator's webhooks."""
    args = shlex.split(os.environ.get("PYTEST_ADDOPTS", "")) + sys.argv[1:]
    if os.environ.get("PYTEST_XDIST_WORKER") or not any(arg.startswith(("-n", "--num")) for arg in args):
        return False
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-n", "--numprocesses", default="0")
    parser.add_argument("-p", action="append", default=[])
    known, _ = parser.parse_known_args(args)
    return known.numprocesses != "0" and "no:xdist" not in known.p


# Addresses nothing connects to, for the controller's settings only: its workers must not inherit them.
_PLACEHOLDERS = {"DATABASE_URL": "postgres://unused@127.0.0.1:1/unused", "REDIS_URL": "redis://127.0.0.1:1/0"}
_XDIST_CONTROLLER = _xdist_controller() and not os.environ.get("DATABASE_URL")
if _XDIST_CONTROLLER:
    os.environ.update(_PLACEHOLDERS)
elif not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL") and "STRIPE_API_BASE" in os.environ):
    _run_dir = Path(tempfile.mkdtemp(prefix="roster-test-"))
    atexit.register(shutil.rmtree, _run_dir, ignore_errors=True)
    _services = ExitStack()
    atexit.register(_services.close)
    os.environ.update(_services.enter_context(local_services(_run_dir, grant_truncate=True, throwaway=True)))
# Uploads of the session, shared with the worker processes it starts.
if not (_XDIST_CONTROLLER or os.environ.get("MEDIA_ROOT")):
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="roster-media-")
    atexit.register(shutil.rmtree, os.environ["MEDIA_ROOT"], ignore_errors=True)

from .base import *  # noqa: E402, F403

if _XDIST_CONTROLLER:
    for _name in _PLACEHOLDERS:
        del os.environ[_name]

DEBUG = False
MAILERS = {
    "default": {
        "BACKEND": "accounts.mailer.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": int(os.environ.get("SMTP_PORT", "25")), "timeout": 10},
    }
}
WHITENOISE_USE_FINDERS = True  # serve static files straight from the apps, no collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5
PASSWORD_HASHERS = ["tests.hashers.QuickArgon2PasswordHasher", *PASSWORD_HASHERS[1:]]  # noqa: F405
# Tests read task results (e.g. what a task saw of the tenant); the app itself keeps no results.
CELERY_RESULT_BACKEND = REDIS_URL  # noqa: F405
# The tests' receivers listen on 127.0.0.1 (tests/test_webhooks.py turns this off to see it refused), and a
# retry comes a second later, not a minute.
WEBHOOK_ALLOW_PRIVATE_URLS = True
WEBHOOK_RETRY_DELAYS = (1, 1, 1, 1, 1)
# Tests call the API faster than a client may; tests/test_api_customers.py lowers these to see the 429.
API_RATE_LIMITS = {"burst": "100000/s", "sustained": "100000/min"}
# The organizations tests make keep Chicago time: a test's date.today() is then their today, at any hour of
# the day in UTC (Django sets the process time zone from this setting).
TIME_ZONE = "America/Chicago"
