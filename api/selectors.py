"""Reads of API keys: a key by its secret, before the organization is known."""

import hashlib
from datetime import timedelta

from django.utils import timezone

from accounts.tenancy import db_setting, tenant
from api.models import ApiKey

KEY_PREFIX = "rk_"
LAST_USED_EVERY = timedelta(minutes=1)  # how stale "last used" may get, so calls do not all write


def key_hash(key: str) -> str:
    """Keys are 32 random bytes: a fast hash is enough (no one guesses their way to a preimage)."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_find(secret: str) -> ApiKey | None:
    """The live key with this secret, with its organization; None for an unknown or revoked key."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    digest = key_hash(secret)
    with db_setting("app.api_key_hash", digest):
        key = ApiKey.objects.unscoped().select_related("organization").filter(key_hash=digest).first()
        if key is None or key.revoked_at is not None:
            return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
        with tenant(key.organization):
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
