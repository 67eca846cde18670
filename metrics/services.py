"""Writes to metrics: definitions (settings) and values (profiles). Every value is kept; a correction is a new
entry superseding the old. Each write to values locks the customer, so `is_current` is kept right by one
writer at a time, and records its Activity in the same transaction."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format

from accounts.audit import audit_record, changes_of
from accounts.models import User
from customers.models import Customer
from customers.services import activity_record
from metrics.current import current_refresh
from metrics.models import Metric, MetricAudit, MetricEntry, MetricEvent


class MetricError(Exception):
    """A write the rules refuse; the message is for the person who asked."""


@transaction.atomic
def metric_save(*, metric: Metric, by: User | None) -> Metric:
    created = metric.pk is None
    changes = changes_of(metric, ["name", "unit", "kind", "currency", "decimals", "higher_is_better"])
    if created:
        metric.position = (Metric.objects.aggregate(last=Max("position"))["last"] or 0) + 1
    metric.save()
    if created or changes:
        action = MetricAudit.METRIC_CREATED if created else MetricAudit.METRIC_CHANGED
        detail = metric.kind_display if created else ""
        audit_record(action=action, by=by, target=metric.name, detail=detail, changes=changes)
    return metric


@transaction.atomic
def metric_archive(*, metric: Metric, by: User) -> None:
    if metric.archived_at is None:
        metric.archived_at = timezone.now()
        metric.save(update_fields=["archived_at"])
        audit_record(action=MetricAudit.METRIC_ARCHIVED, by=by, target=metric.name)


@transaction.atomic
def metric_restore(*, metric: Metric, by: User) -> None:
    if metric.archived_at is not None:
        metric.archived_at = None
        metric.save(update_fields=["archived_at"])
        audit_record(action=MetricAudit.METRIC_RESTORED, by=by, target=metric.name)


def _current(customer: Customer, metric: Metric) -> MetricEntry | None:
    return MetricEntry.objects.filter(customer=customer, metric=metric, is_current=True).first()


def _lock(customer: Customer) -> None:
    Customer.objects.select_for_update().filter(pk=customer.pk).first()


def _refuse_archived(metric: Metric) -> None:
    metric.refresh_from_db(fields=["archived_at"])
    if metric.archived_at is not None:
        raise MetricError(f"“{metric.name}” is archived: restore it in Settings → Metrics to record values.")


def _when(day: date) -> str:
    return "" if day == timezone.localdate() else f" (for {date_format(day, 'M j, Y')})"


@transaction.atomic
def entry_record(
    *, customer: Customer, metric: Metric, value: Decimal | float, recorded_on: date, comment: str = "", by
) -> MetricEntry:
    """Record a customer's value of a metric as measured on `recorded_on`."""
    _lock(customer)
    _refuse_archived(metric)
    before = _current(customer, metric)
    entry = MetricEntry.objects.create(
        customer=customer,
        metric=metric,
        value=float(value),
        recorded_on=recorded_on,
        comment=comment,
        recorded_by=by,
    )
    current_refresh(customer, metric)
    activity_record(
        customer=customer,
        by=by,
        kind=MetricEvent.METRIC,
        changes={
            metric.name: [
                metric.format(before.value) if before else None,
                metric.format(entry.value) + _when(recorded_on),
            ]
        },
        detail=comment[:200],
    )
    return entry


@transaction.atomic
def entry_correct(
    *, entry: MetricEntry, value: Decimal | float, recorded_on: date, comment: str = "", by
) -> MetricEntry:
    """Replace a wrong value: a new entry supersedes `entry`, which is kept (shown struck through)."""
    customer, metric = entry.customer, entry.metric
    _lock(customer)
    _refuse_archived(metric)
    if MetricEntry.objects.filter(supersedes=entry).exists():
        raise MetricError("This value was already corrected: correct the newer value instead.")
    correction = MetricEntry.objects.create(
        customer=customer,
        metric=metric,
        value=float(value),
        recorded_on=recorded_on,
        comment=comment,
        recorded_by=by,
        supersedes=entry,
    )
    current_refresh(customer, metric)
    detail = f"Corrected the value of {date_format(entry.recorded_on, 'M j, Y')}"
    activity_record(
        customer=customer,
        by=by,
        kind=MetricEvent.METRIC,
        changes={
            metric.name: [metric.format(entry.value), metric.format(correction.value) + _when(recorded_on)]
        },
        detail=(f"{detail}: {comment}" if comment else detail)[:200],
    )
    return correction
