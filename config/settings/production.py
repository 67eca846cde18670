"""Production: refuses to start with an insecure setting."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import BASE_DIR, PAYMENTS_ENCRYPTION_KEY, SECRET_KEY, TRUSTED_PROXY_COUNT, env

DEBUG = False
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only") or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("Set SECRET_KEY to a long random value (50+ characters) in production.")
if (
    len(PAYMENTS_ENCRYPTION_KEY) < 50
    or len(set(PAYMENTS_ENCRYPTION_KEY)) < 5
    or PAYMENTS_ENCRYPTION_KEY == SECRET_KEY
):
    raise ImproperlyConfigured(
        "Set PAYMENTS_ENCRYPTION_KEY to a long random value (50+ characters), other than SECRET_KEY, in "
        "production: it encrypts the organizations' Stripe keys."
    )
# Database connections: one per sync gunicorn worker (config/gunicorn.py) and Celery process, kept for
# CONN_MAX_AGE seconds (base, 60): a pool would add nothing to a one-request-at-a-time process, and 5 web + 2
# worker connections a host leave PostgreSQL's default 100 room for a dozen hosts (README "Load").
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

WEBHOOK_ALLOW_HTTP = False  # an organization's customer data leaves only encrypted

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# X-Forwarded-Proto says "https" only where a declared proxy sets it; anywhere else a client could.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preloading binds the whole domain to HTTPS in browsers for months: the operator opts in.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
