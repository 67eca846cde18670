"""What every resource of the API shares: the error body, the organization a call runs in and whom its events
name, rate limits per key, cursor pagination and ETags. Resource routers (api/<resource>.py) use these and
never enter a tenant themselves: `call_as_key` wraps every operation of the API."""

import base64
import binascii
import hashlib
import re
import time
from datetime import date, datetime
from functools import partial, wraps
from typing import Annotated

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from ninja import Field, Schema
from ninja.errors import HttpError, ValidationError
from ninja.throttling import BaseThrottle, SimpleRateThrottle
from pydantic import BeforeValidator

from accounts.audit import acting_as
from accounts.tenancy import tenant
from api.auth import request_key
from api.models import ApiKey
from customers.selectors import CustomerMergedAway

# Problems ------------------------------------------------------------------------------------------------


class Problem(Schema):
    """Every error: what went wrong, and for invalid input the messages per field (`errors`)."""

    detail: str
    errors: dict[str, list[str]] | None = None


class FieldErrors(Exception):
    """Input the roster's rules refuse: answered 422 with the messages per field."""

    def __init__(self, errors: dict[str, list[str]], detail: str = "Some fields are not valid."):
        super().__init__(detail)
        self.errors, self.detail = errors, detail


def problem(api, request, status: int, detail: str, errors: dict | None = None) -> HttpResponse:
    body = {"detail": detail} | ({"errors": errors} if errors is not None else {})
    return api.create_response(request, body, status=status)


def field_errors_of(validation: ValidationError) -> dict[str, list[str]]:
    """Pydantic's list of errors as {field: [messages]} ("custom.shoe_size", "customers.3.email"), leaving
    out where in the request (body, query) it was."""
    errors: dict[str, list[str]] = {}
    for error in validation.errors:
        where = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        where = where[1:] if len(where) > 1 and where[0] in ("data", "params", "filters") else where
        errors.setdefault(".".join(where) or "body", []).append(error.get("msg", "Invalid."))
    return errors


def problems_install(api) -> None:
    """Answer invalid input and the roster's refusals in the Problem shape the OpenAPI document declares."""

    @api.exception_handler(ValidationError)
    def invalid(request, error: ValidationError):
        return problem(api, request, 422, "Some fields are not valid.", field_errors_of(error))

    @api.exception_handler(FieldErrors)
    def refused(request, error: FieldErrors):
        return problem(api, request, 422, error.detail, error.errors)

    # 404 with a Location, not a redirect: a client that knows nothing of merges sees the customer gone rather
    # than silently getting another record; one that does follows Location (until an undo brings it back).
    @api.exception_handler(CustomerMergedAway)
    def merged_away(request, error: CustomerMergedAway):
        response = problem(api, request, 404, f"This customer was merged into customer {error.survivor_id}.")
        response["Location"] = reverse("api:customer", kwargs={"customer_id": error.survivor_id})
        return response


# The organization of a call ----------------------------------------------------------------------------


def key_label(key: ApiKey) -> str:
    """How activity and audit events name a call made with `key` ("by API key “Website”")."""
    return f"API key “{key.name}”"


def call_as_key(run):
    """Run an operation inside the calling key's organization (application scoping and row security), with
    its events attributed to the key. Wraps each operation's whole run (`api.add_decorator(…, mode="view")`):
    no endpoint can forget it. A call without a valid key runs outside any tenant and is refused (401)."""

    @wraps(run)
    def in_tenant(request, *args, **kwargs):
        key = request_key(request)
        if key is None:
            return run(request, *args, **kwargs)
        with tenant(key.organization), acting_as(key_label(key)):
            return run(request, *args, **kwargs)

    return in_tenant


# Rate limits ---------------------------------------------------------------------------------------------


class KeyThrottle(BaseThrottle):
    """The limits per API key (`settings.API_RATE_LIMITS`, e.g. "burst": "20/s", "sustained": "1000/min"),
    each counted as ninja's SimpleRateThrottle counts one, in a log of the key's recent calls (newest first)
    in the cache, but every limit's log read in one round trip and written in one (a throttle per limit took
    four). Keyed by the key's id: names repeat across organizations. Read at each call, so settings can change
    them. A call over a limit is refused (429, Retry-After: when the oldest call of that log leaves it) and is
    not logged there."""

    def allow_request(self, request) -> bool:
        key = getattr(request, "auth", None)
        if key is None:
            return True
        now, self.waits = time.time(), []
        limits = {
            f"api-throttle:{name}:{key.pk}": SimpleRateThrottle(rate)  # ninja's reading of "20/s"
            for name, rate in settings.API_RATE_LIMITS.items()
        }
        logs = cache.get_many(list(limits))
        for cache_key, limit in limits.items():
            log = logs.get(cache_key, [])
            while log and log[-1] <= now - limit.duration:
                log.pop()
            if len(log) < limit.num_requests:
                log.insert(0, now)
            else:
                self.waits.append(limit.duration - (now - log[-1]))
            logs[cache_key] = log
        cache.set_many(logs, max(limit.duration for limit in limits.values()))
        return not self.waits

    def wait(self) -> float | None:
        return max(self.waits, default=None)


# Cursor pagination ---------------------------------------------------------------------------------------

CURSOR_SALT = "api.cursor"


def _whole(value):
    """A query string's integer is spelled as one: pydantic alone would take "5.0" (and the document says
    integer)."""
    if isinstance(value, str) and not re.fullmatch(r"[+-]?\d+", value.strip()):
        raise ValueError("Enter a whole number.")
    return value


Whole = Annotated[int, BeforeValidator(_whole)]


def _spelled_as_a_date(value):
    """A date or date-time is spelled as one, in a query string or a JSON body: pydantic alone would read
    0, "0" or "86400" as seconds since 1970 (and the document says date or date-time)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number or (isinstance(value, str) and re.fullmatch(r"[+-]?\d+(\.\d*)?", value.strip())):
        raise ValueError(
            "Enter a date, such as 2026-01-31, or a date and time, such as 2026-01-31T09:00:00Z."
        )
    return value


Day = Annotated[date, BeforeValidator(_spelled_as_a_date)]
Moment = Annotated[datetime, BeforeValidator(_spelled_as_a_date)]


def _not_a_yes_no(value):
    """A JSON body's true or false is not a number: pydantic alone would read true as 1."""
    if isinstance(value, bool):
        raise ValueError("Enter a number or a text, not true or false.")
    return value


# A JSON body's values as the document types them; StrictInt and StrictBool (pydantic's) for the rest.
NumberOrText = Annotated[str | float, BeforeValidator(_not_a_yes_no)]


class PageParams(Schema):
    limit: Whole = Field(50, ge=1, le=100, description="How many items a page has (1–100).")
    cursor: str | None = Field(
        None,
        max_length=500,
        pattern="^[A-Za-z0-9_-]+$",
        description="The `next` cursor of the previous page; omit for the first page.",
    )


class CursorPage[T](Schema):
    """A page of items and the URL of the next one (null on the last page)."""

    items: list[T]
    next: str | None


def _cursor_encode(order: str, value, pk: int) -> str:
    value = value.isoformat() if isinstance(value, datetime) else value
    signed = signing.dumps([order, value, pk], salt=CURSOR_SALT, compress=True)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def _cursor_decode(cursor: str, order: str) -> tuple:
    try:
        signed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        cursor_order, value, pk = signing.loads(signed, salt=CURSOR_SALT)
    except (binascii.Error, UnicodeDecodeError, signing.BadSignature, ValueError, TypeError) as error:
        raise FieldErrors({"cursor": ["This is not a cursor this API gave."]}) from error
    if cursor_order != order:
        raise FieldErrors({"cursor": ["This cursor belongs to another ordering: keep `order` as it was."]})
    return (parse_datetime(value) if order != "id" else value), pk


def paginate(request, queryset: QuerySet, page: PageParams, *, order: str = "id", any_of=()) -> dict:
    """One page of `queryset` in ascending (`order`, id), after the cursor's position: a keyset, so rows
    added or changed meanwhile neither repeat nor go missing from a walk. Returns {items, next}: models, or
    dicts of a `.values()` queryset.
    `any_of`: conditions of which a row meets one (a search's name and custom-field matches), each paged on
    its own index so only a page of ids from each is combined, never every match (0.25 s at 500 k)."""
    queryset = queryset.order_by(order, "id") if order != "id" else queryset.order_by("id")
    if page.cursor:
        value, pk = _cursor_decode(page.cursor, order)
        later = Q(**{f"{order}__gt": value}) | Q(**{order: value, "pk__gt": pk})
        queryset = queryset.filter(Q(pk__gt=pk) if order == "id" else later)
    if any_of:
        first, *others = (queryset.filter(each).values("pk")[: page.limit + 1] for each in any_of)
        queryset = queryset.filter(pk__in=first.union(*others))
    items = list(queryset[: page.limit + 1])
    following = None
    if len(items) > page.limit:
        items = items[: page.limit]
        last = items[-1]
        read = last.get if isinstance(last, dict) else partial(getattr, last)  # a `.values()` row or a model
        params = request.GET.copy()
        params["cursor"] = _cursor_encode(order, read(order), read("id"))
        following = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {"items": items, "next": following}


# ETags ---------------------------------------------------------------------------------------------------


def etag_of(pk: int, updated_at: datetime) -> str:
    """A strong ETag from what changes with every write of a record (its id and its updated_at)."""
    text = f'[{pk}, "{updated_at.isoformat()}"]'  # as json.dumps wrote it, without its cost (a list has 100)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:20] + '"'


def if_match_check(request, current: str, *, required: bool = True) -> None:
    """Refuse a write sent without `If-Match` (428) or with an ETag that is no longer the record's (412):
    two clients cannot overwrite each other's changes unseen."""
    sent = request.headers.get("If-Match", "").strip()
    if not sent:
        if required:
            raise HttpError(428, "Send the ETag of the version you change as `If-Match` (read it first).")
        return
    if sent != "*" and current not in [tag.strip().removeprefix("W/") for tag in sent.split(",")]:
        raise HttpError(412, "It has changed since you read it: read it again, then send its new ETag.")


IF_MATCH_RESPONSES = {412: Problem, 428: Problem}
