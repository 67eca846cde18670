"""One way to bound how often a visitor may do something (submit a form, ask for an email, log in)."""

from axes.helpers import get_client_ip_address
from django.core.cache import cache


def client_ip(request) -> str:
    """The visitor's address, resolved as the log-in lockout resolves it (django-axes with django-ipware):
    the peer's, or behind a declared proxy (TRUSTED_PROXY_COUNT) the address that proxy forwarded."""
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR", "")


def hit(key: str, *, seconds: int) -> int:
    """Count one more `key` (an action and who does it) in a window of `seconds` opened by the first.
    The counter lives in the cache (Redis): shared by every web process, gone after the window."""
    cache_key = f"rate:{key}"
    cache.add(cache_key, 0, seconds)
    return cache.incr(cache_key)


def hits(key: str) -> int:
    """How many `key` were counted in the current window, without counting one more."""
    return cache.get(f"rate:{key}", 0)


def over_limit(request, action: str, *, limit: int, seconds: int) -> bool:
    """Count this request's `action` from its address; True once more than `limit` fall in `seconds`."""
    return hit(f"{action}:{client_ip(request)}", seconds=seconds) > limit


# The sign-up pages (/accounts/signup/ and each organization's) send email, so they are not a mail cannon.
# On an organization's pages the counters are that organization's (cache keys carry it).
SIGNUPS_PER_HOUR = 10  # per visitor address
SIGNUP_EMAILS_PER_ADDRESS = 3  # emails to one address an hour, whoever asks


def signups_over_limit(request) -> bool:
    """Count a sign-up (or "send it again") from this visitor; True past SIGNUPS_PER_HOUR in the hour."""
    return over_limit(request, "signup", limit=SIGNUPS_PER_HOUR, seconds=3600)


def signup_email_allowed(email: str) -> bool:
    """Count one more sign-up email to `email`; False past SIGNUP_EMAILS_PER_ADDRESS in the hour."""
    return hit(f"signup-email:{email}", seconds=3600) <= SIGNUP_EMAILS_PER_ADDRESS
