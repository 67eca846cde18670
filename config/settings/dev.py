"""make run: the app on the local machine, emails printed by the worker (sent to SMTP_HOST:SMTP_PORT when the
environment names a port, as the benchmarks' own mail server)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
DEMO_LOGINS = True  # make run loads the demo, whose logins share a published password
if not env("SMTP_PORT", default=""):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
# A receiver on this machine (http://127.0.0.1:…) may be tried out with make run.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=True)
WHITENOISE_USE_FINDERS = True  # serve static files straight from the apps, no collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
