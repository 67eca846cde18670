"""Who is calling: an organization's API key from `Authorization: Bearer rk_…`, and what it may do."""

from ninja.errors import HttpError
from ninja.security import HttpBearer

from api.models import ApiKey, Scope
from api.selectors import key_find


def request_key(request) -> ApiKey | None:
    """The live key the request's bearer token names, looked up once per request (None: refused, 401)."""
    if not hasattr(request, "_api_key"):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        request._api_key = key_find(token.strip()) if scheme.lower() == "bearer" else None
    return request._api_key


class KeyAuth(HttpBearer):
    def authenticate(self, request, token: str) -> ApiKey | None:
        return request_key(request)


def scoped(request, resource: str, *, write: bool = False) -> ApiKey:
    """The calling key, refused (403) unless one of its scopes lets it read (or write) `resource`."""
    key = request.auth
    if not key.may(resource, write=write):
        needed = Scope(f"{resource}:{'write' if write else 'read'}")
        raise HttpError(403, f"This API key does not have the “{needed.value}” scope ({needed.label}).")
    return key
