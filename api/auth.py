"""Who is calling: an organization's API key from `Authorization: Bearer rk_…`, and what it may do."""

from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
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


PROBLEM = {
    "description": "Refused",
    "content": {
        "application/json": {
            "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
        }
    },
}
REFUSALS = {
    "401": {**PROBLEM, "description": "No API key, or one that is unknown or revoked"},
    "403": {**PROBLEM, "description": "The key lacks the scope this operation needs"},
    "429": {
        **PROBLEM,
        "description": "Too many calls: wait as many seconds as `Retry-After` says",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


INVALID = {**PROBLEM, "description": "The input does not fit: `detail` says why, `errors` says where"}


class KeyedAPI(NinjaAPI):
    """The API whose document names, on every operation, the refusals any of them may answer (no key, no
    scope, too many calls, input that does not fit), so no operation can leave them out."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_exception_handler(ValidationError, self._invalid)

    def _invalid(self, request, error: ValidationError):
        where = "; ".join(
            f"{'.'.join(str(part) for part in problem.get('loc', ()))}: {problem.get('msg', '')}"
            for problem in error.errors
        )
        return self.create_response(request, {"detail": where, "errors": error.errors}, status=422)

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for methods in schema["paths"].values():
            for operation in methods.values():
                refusals = REFUSALS if operation.get("security") else {}
                if operation.get("parameters") or operation.get("requestBody"):
                    refusals = refusals | {"422": INVALID}
                operation["responses"] = refusals | operation["responses"]
        return schema
