"""The page a person gets while PostgreSQL or Redis cannot be reached: 503 "Roster is briefly unavailable",
never a traceback. Django's 500 handler runs for an exception raised anywhere in the request (middleware
included, the session's and the tenant's lookups too), so it tells an unreachable service from a bug there."""

import sys

import redis.exceptions
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from kombu.exceptions import OperationalError as BrokerError

UNAVAILABLE = "Roster is briefly unavailable — try again in a minute."
# A broker error: a task could not be queued (Redis down); redis' errors: the cache and sessions' Redis.
SERVICE_DOWN = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    BrokerError,
)
RETRY_AFTER_SECONDS = 60


def server_error(request):
    """handler500: a service that did not answer gets the 503 page (JSON for the API); anything else, the 500
    page. Rendered without the request: its context processors would ask the database that is away."""
    if not isinstance(sys.exc_info()[1], SERVICE_DOWN):
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": UNAVAILABLE}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": UNAVAILABLE}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
