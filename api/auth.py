"""Who is calling: an organization's API key from `Authorization: Bearer rk_…`, and what it may do."""

from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.parser import Parser
from ninja.security import HttpBearer

from accounts.middleware import REFUSED_NUL
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
    "400": {**PROBLEM, "description": "A request no operation can read (a NUL character, a body too large)"},
    "401": {**PROBLEM, "description": "No API key, or one that is unknown or revoked"},
    "403": {**PROBLEM, "description": "The key lacks the scope this operation needs"},
    "429": {
        **PROBLEM,
        "description": "Too many calls: wait as many seconds as `Retry-After` says",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


INVALID = {
    **PROBLEM,
    "description": "The input does not fit: `detail` says why, `errors` says where",
}  # api.common


def _holds_nul(value) -> bool:
    match value:
        case str():
            return "\x00" in value
        case dict():
            return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
        case list():
            return any(_holds_nul(item) for item in value)
    return False


class StrictParser(Parser):
    """A JSON body holding a NUL character (`\\u0000`) is refused (400), as the NUL middleware refuses one in
    a query or form: PostgreSQL text cannot hold it, so no endpoint must meet it. A parameter of one value
    sent more than once keeps all its values, so it is refused (422) instead of read as its last."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if _holds_nul(data):
            raise HttpError(400, REFUSED_NUL)
        return data

    def parse_querydict(self, data, list_fields, request):
        return {
            key: values if key in list_fields or len(values) > 1 else values[0]
            for key, values in data.lists()
        }


class KeyedAPI(NinjaAPI):
    """The API whose document names, on every operation, the refusals any of them may answer (no key, no
    scope, too many calls, input that does not fit), so no operation can leave them out."""

    def __init__(self, **kwargs):
        super().__init__(parser=StrictParser(), **kwargs)

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for methods in schema["paths"].values():
            for operation in methods.values():
                refusals = REFUSALS if operation.get("security") else {"400": REFUSALS["400"]}
                if operation.get("parameters") or operation.get("requestBody"):
                    refusals = refusals | {"422": INVALID}
                operation["responses"] = refusals | operation["responses"]
        return schema
