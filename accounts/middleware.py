from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from accounts.models import Membership, Organization
from accounts.tenancy import tenant

STAFF_PREFIX = "/app/"


class RequestSizeMiddleware:
    """Refuse (413) a body declared larger than REQUEST_MAX_BYTES before anything reads it: Django bounds form
    fields in memory, but would spool any size of uploaded file to disk first (the CSRF check reads the
    form of every POST). A body without a length is not read at all under WSGI."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.REQUEST_MAX_BYTES:
            return HttpResponse(
                f"Request body too large: this site takes up to {settings.REQUEST_MAX_BYTES:,} bytes.",
                status=413,
                content_type="text/plain",
            )
        return self.get_response(request)


REFUSED_NUL = "NUL characters are not accepted."


class NulCharacterMiddleware:
    """Refuse (400) a path, query string or form with a NUL character: PostgreSQL text cannot hold one and
    no person types it, so it is refused once here instead of failing (500) wherever a view reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        data = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in query.getlist(key))
            for query in data
            for key in query
        ):
            if request.path.startswith("/api/"):  # the API answers every error as its Problem JSON
                return JsonResponse({"detail": REFUSED_NUL}, status=400)
            return HttpResponseBadRequest(REFUSED_NUL, content_type="text/plain")
        return self.get_response(request)


class PrivatePagesMiddleware:
    """A page for a signed-in person (staff pages, exports, the portal) is kept by no browser or proxy cache,
    so Back after log-out or the next user of a shared computer finds nothing of it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


class TenantMiddleware:
    """Resolve the organization from the URL (`org_slug`), check staff membership, and run the rest of
    the request inside that tenant: one transaction with `app.org_id` set, rolled back on a 5xx.

    Staff pages (/app/<org>/…) need a membership: anyone else gets 404, so slugs don't leak.
    Customer pages (/<org>/…) are open to anyone, still inside the tenant."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.org = request.membership = None
        try:
            org_slug = resolve(request.path_info).kwargs.get("org_slug")
        except Resolver404:
            org_slug = None
        if org_slug is None:
            return self.get_response(request)

        staff_area = request.path_info.startswith(STAFF_PREFIX)
        if staff_area and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # get(), not first(): first() orders the query, which Django builds at a cost on every request.
        try:
            organization = Organization.objects.get(slug=org_slug)
        except Organization.DoesNotExist:
            raise Http404("No such organization.") from None
        # Times are stored in UTC and shown in the organization's time zone.
        timezone.activate(ZoneInfo(organization.time_zone))
        try:
            with tenant(organization):
                if staff_area:
                    try:
                        request.membership = Membership.objects.get(user=request.user)
                    except Membership.DoesNotExist:
                        raise Http404("No such organization.") from None
                request.org = organization
                response = self.get_response(request)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                return response
        finally:
            timezone.deactivate()
