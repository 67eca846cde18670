import csv
from collections import defaultdict

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from accounts.downloads import Echo, safe_cell
from accounts.permissions import org_permission
from customers.fields import field_labels
from customers.models import BulkOperation
from customers.reports import report_render
from imports import services
from imports.dates import DATE_FORMATS, CellError, guess_date_order, is_date, parse_date
from imports.engine import data_rows
from imports.forms import MappingForm, UploadForm
from imports.mapping import EXTRA_TARGETS
from imports.models import ImportIssue, ImportJob
from imports.reading import ImportFileError, encoding_label
from imports.report import import_tables

ISSUES_SHOWN = 100


@org_permission("imports.run")
def index(request, org_slug):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.job_create(file=upload, file_name=upload.name, by=request.user)
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("imports:job", org_slug=org_slug, pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by").order_by("-created_at")[:50]
    return render(request, "imports/index.html", {"form": form, "jobs": jobs, "section": "imports"})


def _job(pk: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.select_related("created_by", "template"), pk=pk)


@org_permission("imports.run")
def job(request, org_slug, pk):
    job = _job(pk)
    form = None
    if job.status in (ImportJob.Status.MAPPING, ImportJob.Status.READY):
        form = MappingForm(request.POST or None, job=job)
        if request.method == "POST" and form.is_valid():
            try:
                services.job_map(
                    job=job,
                    mapping=form.mapping,
                    date_format=form.cleaned_data["date_format"],
                    match_key=form.cleaned_data["match_key"],
                    mode=form.cleaned_data["mode"],
                    skip_errors=form.cleaned_data["skip_errors"],
                    tag_ids=[tag.pk for tag in form.cleaned_data.get("tags", [])],
                    template_name=form.cleaned_data["template_name"],
                    by=request.user,
                )
            except services.MappingError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return redirect("imports:job", org_slug=org_slug, pk=pk)
    issues = ImportIssue.objects.filter(job=job).order_by("row", "id")[:ISSUES_SHOWN]
    context = {
        "job": job,
        "form": form,
        "issues": issues,
        "issues_shown": ISSUES_SHOWN,
        "date_preview": _date_preview(job) if form else None,
        "mapped": _mapped(job),
        "encoding": encoding_label(job.encoding),
        "section": "imports",
    }
    return render(request, "imports/job.html", context)


def _mapped(job: ImportJob) -> list[tuple[str, str]]:
    """(column, what it went into) for the report."""
    labels = field_labels() | EXTRA_TARGETS
    return [
        (header, labels.get(target, target))
        for header, target in zip(job.headers, job.mapping, strict=False)
        if target
    ]


def _date_preview(job: ImportJob) -> dict | None:
    """How the file's first dates read in each order, so the right choice is plain to see."""
    values = [cell for row in job.samples for cell in row if cell and len(cell) <= 40]
    dates = [value for value in values if is_date(value)][:3]
    if not dates:
        return None
    rows = []
    for value in dates:
        readings = []
        for order in ("mdy", "dmy"):
            try:
                readings.append(parse_date(value, order))
            except CellError:
                readings.append(None)
        rows.append((value, readings))
    return {"detected": DATE_FORMATS[guess_date_order(dates)], "rows": rows}


@org_permission("imports.run")
def progress(request, org_slug, pk):
    job = _job(pk)
    if not job.is_active:  # the page changes with the status: load it whole
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/job.html#progress", {"job": job})


@org_permission("imports.run")
@require_POST
def start(request, org_slug, pk):
    try:
        services.job_start(job=_job(pk), by=request.user)
    except services.MappingError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("imports:job", org_slug=org_slug, pk=pk)


@org_permission("imports.run")
@require_POST
def cancel(request, org_slug, pk):
    job = services.job_cancel(job=_job(pk), by=request.user)
    if job.status == ImportJob.Status.RUNNING:
        messages.info(request, "Stopping after the current batch; what is imported by then stays.")
    return redirect("imports:job", org_slug=org_slug, pk=pk)


@org_permission("imports.run")
@require_POST
def delete(request, org_slug, pk):
    job = _job(pk)
    try:
        services.job_delete(job=job, by=request.user)
    except services.MappingError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("imports:job", org_slug=org_slug, pk=pk)
    messages.success(request, f"“{job.file_name}” is deleted; nothing from it was imported.")
    return redirect("imports:index", org_slug=org_slug)


@org_permission("imports.run")
@require_POST
def undo(request, org_slug, pk):
    try:
        archived, touched = services.job_undo(job=_job(pk), by=request.user)
    except services.MappingError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("imports:job", org_slug=org_slug, pk=pk)
    if isinstance(archived, BulkOperation):
        text = f"Archiving {archived.total:,} customers in the background."
    else:
        added = f"{archived:,} customer{pluralize(archived)} this import added"
        text = f"{added} {pluralize(archived, 'is,are')} archived."
    if touched:
        text += (
            f" {touched:,} changed since the import and {pluralize(touched, 'was,were')} left as they are."
        )
    messages.success(request, text)
    return redirect("imports:job", org_slug=org_slug, pk=pk)


@org_permission("imports.run")
def errors_csv(request, org_slug, pk):
    """The rows with errors as they were in the file, plus an Errors column: fix them and upload this file."""
    job = _job(pk)
    problems: dict[int, list[str]] = defaultdict(list)
    for row, column, message in ImportIssue.objects.filter(job=job).values_list("row", "column", "message"):
        problems[row].append(f"{column}: {message}" if column else message)
    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff" + writer.writerow([safe_cell(header) for header in job.headers] + ["Errors"])
        if problems:
            for number, cells in data_rows(job):
                if number in problems:
                    yield writer.writerow(
                        [safe_cell(cell) for cell in cells] + [safe_cell(" | ".join(problems[number]))]
                    )

    name = job.file_name.rsplit(".", 1)[0]
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{name[:80]}-errors.csv")
    return response


@org_permission("reports.view")
def report(request, org_slug):
    """The weekly import table grew into Reports → Imports; old links land there."""
    return redirect("reports_imports:report", org_slug=org_slug)


@org_permission("reports.view")
def import_report(request, org_slug):
    return report_render(
        request, "imports", "imports/report.html", lambda query: {"tables": import_tables(query)}
    )
