"""API keys: made with a secret shown once, stored as a hash, found by that hash before the organization is
known (a row-security policy lets exactly that row be read), revocable."""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AuditAction, User
from accounts.tenancy import db_setting, tenant
from api.models import ApiKey, Scope

KEY_PREFIX = "rk_"
LAST_USED_EVERY = timedelta(minutes=1)  # how stale "last used" may get, so calls do not all write


def key_hash(key: str) -> str:
    """Keys are 32 random bytes: a fast hash is enough (no one guesses their way to a preimage)."""
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def key_create(*, name: str, scopes: list[str], by: User) -> tuple[ApiKey, str]:
    """A new key and its secret, which is not kept."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name, prefix=secret[:11], key_hash=key_hash(secret), scopes=scopes, created_by=by
    )
    may = ", ".join(Scope(scope).label for scope in scopes)
    audit_record(action=AuditAction.API_KEY_CREATED, by=by, target=name, detail=f"{key.prefix}… · {may}")
    return key, secret


@transaction.atomic
def key_revoke(*, key: ApiKey, by: User) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(action=AuditAction.API_KEY_REVOKED, by=by, target=key.name, detail=f"{key.prefix}…")


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
