"""Reports → Scheduled (namespace reports_scheduled): the list, and a schedule made from a report's page,
changed, paused or resumed, sent now, deleted. Anyone who reads reports sees them; only a schedule's creator
or an admin changes one."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import org_permission
from customers.extend import Report, find
from customers.reports import PRESETS, report_tabs, reports_for
from reports import services
from reports.forms import ScheduleForm, initial_from
from reports.models import ScheduledReport
from reports.selectors import may_change, schedules_listed


def _readable_report(request, key: str) -> Report:
    report = find(Report, key)
    if report is None or report not in reports_for(request.membership):
        raise Http404("No such report.")
    return report


def _changeable(request, pk: int) -> ScheduledReport:
    schedule = get_object_or_404(ScheduledReport, pk=pk)
    if not may_change(schedule, request.membership):
        raise PermissionDenied("Only who scheduled this report, or an admin, may change it.")
    return schedule


def _form_page(request, form, report, schedule=None):
    context = {"form": form, "report": report, "schedule": schedule, "reports": report_tabs(request)}
    return render(request, "reports/schedule_form.html", context, status=422 if form.errors else 200)


@org_permission("reports.view")
def scheduled_list(request, org_slug):
    schedules = list(schedules_listed())
    for schedule in schedules:
        schedule.report = find(Report, schedule.report_key)
        schedule.changeable = may_change(schedule, request.membership)
        if schedule.report and "range" in schedule.report.controls:
            schedule.period = PRESETS.get(schedule.query.get("range"), "")
    return render(
        request, "reports/scheduled.html", {"schedules": schedules, "reports": report_tabs(request)}
    )


@org_permission("reports.view")
def scheduled_new(request, org_slug):
    """ "Email this report…" from a report's page: its controls come along in the query string."""
    report = _readable_report(request, request.POST.get("report") or request.GET.get("report", ""))
    form = ScheduleForm(
        request.POST or None, membership=request.membership, report=report, initial=initial_from(request.GET)
    )
    if request.method == "POST" and form.is_valid():
        services.scheduled_report_create(report_key=report.key, **form.schedule(), by=request.user)
        messages.success(request, f"The {report.label} report is scheduled.")
        return redirect("reports_scheduled:list", org_slug=org_slug)
    return _form_page(request, form, report)


@org_permission("reports.view")
def scheduled_edit(request, org_slug, pk):
    schedule = _changeable(request, pk)
    report = _readable_report(request, schedule.report_key)
    form = ScheduleForm(
        request.POST or None,
        membership=request.membership,
        report=report,
        initial=initial_from(schedule.query, schedule),
    )
    if request.method == "POST" and form.is_valid():
        changes = services.scheduled_report_update(schedule=schedule, **form.schedule(), by=request.user)
        messages.success(request, "Schedule saved." if changes else "Nothing to change.")
        return redirect("reports_scheduled:list", org_slug=org_slug)
    return _form_page(request, form, report, schedule)


@require_POST
@org_permission("reports.view")
def scheduled_pause(request, org_slug, pk):
    """Pause an active schedule, or resume a paused one from its next slot."""
    schedule = _changeable(request, pk)
    if schedule.active:
        services.scheduled_report_pause(schedule=schedule, by=request.user, reason="Paused by hand.")
        messages.success(request, "Paused: no emails until you resume it.")
    else:
        services.scheduled_report_resume(schedule=schedule, by=request.user)
        messages.success(request, "Resumed: the next email goes out as scheduled.")
    return redirect("reports_scheduled:list", org_slug=org_slug)


@require_POST
@org_permission("reports.view")
def scheduled_send(request, org_slug, pk):
    schedule = _changeable(request, pk)
    services.scheduled_report_send_now(schedule=schedule, by=request.user)
    messages.success(request, "The report is on its way to its recipients.")
    return redirect("reports_scheduled:list", org_slug=org_slug)


@org_permission("reports.view")
def scheduled_delete(request, org_slug, pk):
    schedule = _changeable(request, pk)
    if request.method == "POST":
        services.scheduled_report_delete(schedule=schedule, by=request.user)
        messages.success(request, "Scheduled report deleted.")
        return redirect("reports_scheduled:list", org_slug=org_slug)
    schedule.report = find(Report, schedule.report_key)
    return render(request, "reports/schedule_delete.html", {"schedule": schedule})
