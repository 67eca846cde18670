"""One way to bound how often a visitor may do something (submit a form, ask for an email)."""

from django.core.cache import cache


def over_limit(request, action: str, *, limit: int, seconds: int) -> bool:
    """Count this request's `action` from its address; True once more than `limit` fall in `seconds`.
    The counter lives in the cache (Redis): shared by every web process, gone after the window."""
    key = f"rate:{action}:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, seconds)
    return cache.incr(key) > limit
