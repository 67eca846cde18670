"""Settings → Audit log: who changed the organization's setup or access, and when. Owners and admins only."""

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header

from accounts.downloads import Echo, safe_cell
from accounts.filters import AuditEventFilter
from accounts.models import AuditEvent
from accounts.permissions import org_permission
from accounts.tenancy import tenant

PAGE_SIZE = 25
CSV_HEADER = ["When", "Who", "What", "Target", "Details", "Changes"]


def _filtered(request) -> AuditEventFilter:
    newest_first = AuditEvent.objects.order_by("-created_at", "-id")
    return AuditEventFilter(request.GET, queryset=newest_first, request=request)


@org_permission("audit.view")
def audit_log(request, org_slug):
    events = _filtered(request)
    page = Paginator(events.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    filtering = events.is_bound and any(request.GET.get(name) for name in events.filters)
    context = {"filter": events, "page": page, "filtering": filtering}
    return render(request, "accounts/audit_log.html", context)


def _csv_row(event: AuditEvent) -> list[str]:
    changes = "; ".join(
        f"{what}: {'—' if before in (None, '') else before} → {'—' if after in (None, '') else after}"
        for what, before, after in event.change_rows
    )
    when = timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M")
    who = event.actor_label or "Automatic"
    return [when, who, event.action_label, event.target, event.detail, changes]


@org_permission("audit.view")
def audit_export(request, org_slug):
    """The filtered events as CSV, newest first, streamed."""
    events = _filtered(request).qs
    organization = request.org
    writer = csv.writer(Echo())

    def lines():
        # Runs while the response streams, after the request's tenant transaction has ended: enter it again.
        with tenant(organization), timezone.override(organization.time_zone):
            yield "\ufeff" + writer.writerow(CSV_HEADER)  # BOM: Excel opens UTF-8 correctly
            for event in events.iterator(chunk_size=2000):
                yield writer.writerow([safe_cell(cell) for cell in _csv_row(event)])

    name = f"{organization.slug}-audit-log-{timezone.localdate().isoformat()}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
