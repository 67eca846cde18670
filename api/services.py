"""API keys: made with a secret shown once, stored as a hash, found by that hash before the organization is
known (a row-security policy lets exactly that row be read), revocable."""

import secrets

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from api.models import ApiKey, ApiKeyAudit, Scope
from api.selectors import KEY_PREFIX, key_hash


@transaction.atomic
def key_create(*, name: str, scopes: list[str], by: User) -> tuple[ApiKey, str]:
    """A new key and its secret, which is not kept."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name, prefix=secret[:11], key_hash=key_hash(secret), scopes=scopes, created_by=by
    )
    may = ", ".join(Scope(scope).label for scope in scopes)
    audit_record(action=ApiKeyAudit.API_KEY_CREATED, by=by, target=name, detail=f"{key.prefix}… · {may}")
    return key, secret


@transaction.atomic
def key_revoke(*, key: ApiKey, by: User) -> None:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(action=ApiKeyAudit.API_KEY_REVOKED, by=by, target=key.name, detail=f"{key.prefix}…")
