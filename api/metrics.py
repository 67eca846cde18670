"""Metrics: the organization's metric definitions, a customer's history of one metric, and recording a value
with the validation and the service of the profile's Metrics tab."""

from datetime import date, datetime

from django.utils import timezone
from ninja import Query, Router, Schema, Status

from api.auth import scoped
from api.common import CursorPage, Day, FieldErrors, NumberOrText, PageParams, Problem, paginate
from api.custom_values import form_errors
from api.resources import customer_of
from metrics import services
from metrics.forms import EntryForm
from metrics.models import Metric, MetricEntry
from metrics.selectors import get_metric_for_org

router = Router()


class MetricOut(Schema):
    id: int
    name: str
    kind: str
    unit: str
    currency: str
    decimals: int
    higher_is_better: bool
    archived: bool

    @staticmethod
    def resolve_archived(metric) -> bool:
        return metric.is_archived


class EntryOut(Schema):
    id: int
    value: float
    formatted: str
    recorded_on: date
    comment: str
    recorded_by: str
    created_at: datetime
    current: bool
    supersedes: int | None

    @staticmethod
    def resolve_formatted(entry) -> str:
        return entry.metric.format(entry.value)

    @staticmethod
    def resolve_recorded_by(entry) -> str:
        return entry.recorded_by.display_name if entry.recorded_by else ""

    @staticmethod
    def resolve_current(entry) -> bool:
        return entry.is_current

    @staticmethod
    def resolve_supersedes(entry) -> int | None:
        return entry.supersedes_id


class EntryIn(Schema):
    value: NumberOrText
    recorded_on: Day | None = None
    comment: str = ""


@router.get(
    "/metrics/",
    response={200: CursorPage[MetricOut], 403: Problem, 422: Problem},
    summary="Metric definitions",
)
def metric_list(request, page: Query[PageParams]):
    scoped(request, "metrics")
    return paginate(request, Metric.objects, page)


@router.get(
    "/customers/{customer_id}/metrics/{metric_id}/entries/",
    response={200: CursorPage[EntryOut], 403: Problem, 404: Problem, 422: Problem},
    summary="A customer's history of one metric",
    description="Every value recorded, in the order recorded; a corrected value stays, and its correction "
    "names it in `supersedes`. `current` marks the customer's value now.",
)
def entry_list(request, customer_id: int, metric_id: int, page: Query[PageParams]):
    scoped(request, "metrics")
    customer, metric = customer_of(customer_id), get_metric_for_org(metric_id)
    entries = MetricEntry.objects.filter(customer=customer, metric=metric).select_related(
        "metric", "recorded_by"
    )
    return paginate(request, entries, page)


@router.post(
    "/customers/{customer_id}/metrics/{metric_id}/entries/",
    response={201: EntryOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Record a value of a metric",
    description="As on the profile's Metrics tab: the value as the metric's kind and decimals allow, "
    "measured on `recorded_on` (today by default, never in the future); archived metrics take no values. "
    "It is in the customer's Activity Log.",
)
def entry_record(request, customer_id: int, metric_id: int, body: EntryIn):
    key = scoped(request, "metrics", write=True)
    customer, metric = customer_of(customer_id), get_metric_for_org(metric_id)
    # "Today" and "not in the future" are the organization's, as on its staff pages.
    with timezone.override(key.organization.time_zone):
        recorded_on = body.recorded_on or timezone.localdate()
        form = EntryForm(
            {
                "metric": metric.pk,
                "value": str(body.value),
                "recorded_on": recorded_on,
                "comment": body.comment,
            },
            metrics=Metric.objects.all(),
        )
        if not form.is_valid():
            raise FieldErrors(form_errors(form))
        data = form.cleaned_data
        try:
            entry = services.entry_record(
                customer=customer,
                metric=metric,
                value=data["value"],
                recorded_on=data["recorded_on"],
                comment=data["comment"],
                by=None,
            )
        except services.MetricError as error:
            raise FieldErrors({"metric": [str(error)]}, str(error)) from error
        entry.refresh_from_db(fields=["is_current"])  # the service marks the current value in an update
        return Status(201, entry)
