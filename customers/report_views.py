"""The Reports home: it opens the first report this staff member may read, keeping the controls asked for."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from accounts.permissions import org_permission
from customers.reports import reports_for


@org_permission("reports.view")
def home(request, org_slug):
    reports = reports_for(request.membership)
    if not reports:
        raise PermissionDenied("No report is open to your role.")
    query = request.GET.urlencode()
    return redirect(
        reverse(reports[0].url_name, kwargs={"org_slug": org_slug}) + (f"?{query}" if query else "")
    )
