"""The JSON API, `/api/v1/`, documented by OpenAPI at `/api/v1/openapi.json` (browsable at `/api/v1/docs`).

django-ninja rather than DRF: the schemas are typed Python (pydantic) that validate input and write the
OpenAPI document from the same code, with less machinery than DRF's serializers and viewsets; the customers
API will grow on it. Calls authenticate with an organization's API key (`Authorization: Bearer rk_…`) and run
inside that organization, so a key never reaches another organization's data."""

from datetime import datetime

from django.db import IntegrityError
from django.urls import reverse
from ninja import Field, Query, Schema, Status
from ninja.errors import HttpError

from api.auth import KeyAuth, KeyedAPI, scoped
from api.bodies import BodyError, json_to_csv, spooled_body
from api.common import KeyThrottle, Problem, Whole, call_as_key, problems_install
from imports import services
from imports.models import ImportIssue, ImportJob
from imports.reading import ImportFileError

api = KeyedAPI(
    title="Roster API",
    version="1",
    description="An organization's customers: read, create, update, archive, import. Authenticate with "
    "`Authorization: Bearer <API key>`; keys are made by an organization's admins under Settings → API keys, "
    "each with the scopes it needs (a 403 names the missing one). A key reaches only its own organization. "
    "Lists page with a cursor (follow `next`); updates need the `If-Match` header with the ETag of the "
    "version read. Each key may make 20 calls a second and 1,000 a minute (then 429 with `Retry-After`). "
    "Errors have a `detail` and, for invalid input, `errors` by field.",
    auth=KeyAuth(),
    throttle=KeyThrottle(),
    urls_namespace="api",
)
api.add_decorator(call_as_key, mode="view")  # around the whole call: auth, view and serializing
problems_install(api)
api.add_router("/customers/", "api.customers.router", tags=["customers"])
api.add_router("", "api.custom_fields.router", tags=["custom fields"])
api.add_router("", "api.tags.router", tags=["tags"])
api.add_router("", "api.notes.router", tags=["notes"])
api.add_router("", "api.metrics.router", tags=["metrics"])
api.add_router("", "api.families.router", tags=["families"])
api.add_router("", "api.segments.router", tags=["segments"])
api.add_router("", "api.activity.router", tags=["activity"])
api.add_router("", "api.payments.router", tags=["payments"])
api.add_router("", "api.bookings.router", tags=["bookings"])


class JobOut(Schema):
    id: int
    status: str
    file_name: str
    mode: str
    match_key: str
    total_rows: int | None
    to_create: int
    to_update: int
    unchanged: int
    error_rows: int
    created: int
    updated: int
    skipped: int
    message: str
    created_at: datetime
    validated_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    errors_url: str
    report_url: str

    @staticmethod
    def resolve_errors_url(job) -> str:
        return reverse("api:import_errors", kwargs={"job_id": job.pk})

    @staticmethod
    def resolve_report_url(job) -> str:
        return reverse("imports:job", kwargs={"org_slug": job.organization.slug, "pk": job.pk})


class IssueOut(Schema):
    row: int
    column: str
    message: str


class IssuesOut(Schema):
    count: int
    items: list[IssueOut]


class ImportOptions(Schema):
    mode: ImportJob.Mode = ImportJob.Mode.UPSERT
    match_key: ImportJob.MatchKey = ImportJob.MatchKey.EMAIL
    dry_run: bool = False


class Page(Schema):
    offset: Whole = Field(0, ge=0, le=100_000_000, description="Rows to skip: a file holds fewer than this.")
    limit: Whole = Field(100, ge=1, le=1000)


def _job(job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("organization").filter(pk=job_id).first()
    if job is None:
        raise HttpError(404, "No such import.")
    return job


CELL = {"anyOf": [{"type": t} for t in ("string", "number", "boolean", "null")] + [{"type": "array"}]}
IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "object", "additionalProperties": CELL},
                    "description": "Customers: built-in field names and the organization's custom field "
                    "keys; an unknown name refuses the whole body (400).",
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@api.post(
    "/imports/",
    response={200: JobOut, 201: JobOut, 400: Problem, 413: Problem, 422: Problem},
    openapi_extra=IMPORT_BODY,
    summary="Import customers",
    url_name="import_create",
    description="The body is a JSON array of customer objects (keys: built-in field names such as "
    "`first_name`, `email`, `birthday`; custom field keys; `tags` as a list or comma-separated text; "
    "`note`), "
    "or a CSV file with `Content-Type: text/csv` whose headers are mapped as in the app. The import is "
    "validated (a dry run) and then runs unless `dry_run` is true or rows have errors that block it; poll "
    "the job for its progress. Send an `Idempotency-Key` header to make retries safe: the same key returns "
    "the job it first created (200).",
)
def import_create(request, options: Query[ImportOptions]):
    key = scoped(request, "imports", write=True)
    idempotency_key = request.headers.get("Idempotency-Key", "")[:200]
    if idempotency_key and (job := ImportJob.objects.filter(idempotency_key=idempotency_key).first()):
        return Status(200, job)
    try:
        with spooled_body(request) as body:
            mapping = []
            if "json" in request.content_type:
                body, mapping = json_to_csv(body)
            job = services.job_create(
                file=body,
                file_name="api-import.csv",
                by=None,
                origin=ImportJob.Origin.API,
                mapping=mapping,
                mode=options.mode,
                match_key=options.match_key,
                auto_run=not options.dry_run,
                api_key_name=key.name,
                idempotency_key=idempotency_key,
            )
    except BodyError as error:
        return Status(error.status, {"detail": str(error)})
    except ImportFileError as error:
        return Status(400, {"detail": str(error)})
    except IntegrityError:  # the same Idempotency-Key, sent twice at once
        return Status(200, ImportJob.objects.get(idempotency_key=idempotency_key))
    return Status(201, job)


@api.get("/imports/{job_id}/", response={200: JobOut, 404: Problem}, summary="An import's status and counts")
def import_status(request, job_id: int):
    scoped(request, "imports", write=True)
    return _job(job_id)


@api.get(
    "/imports/{job_id}/errors/",
    response={200: IssuesOut, 404: Problem},
    summary="An import's rows with errors",
    url_name="import_errors",
)
def import_errors(request, job_id: int, page: Query[Page]):
    scoped(request, "imports", write=True)
    job = _job(job_id)
    issues = ImportIssue.objects.filter(job=job).order_by("row", "id")
    return {"count": issues.count(), "items": list(issues[page.offset : page.offset + page.limit])}


@api.post(
    "/imports/{job_id}/run/",
    response={200: JobOut, 404: Problem, 409: Problem},
    summary="Run an import that is ready (after a dry run)",
)
def import_run(request, job_id: int):
    scoped(request, "imports", write=True)
    try:
        return services.job_start(job=_job(job_id), by=None)
    except services.MappingError as error:
        return Status(409, {"detail": " ".join(error.messages)})
