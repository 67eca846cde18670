"""How a merge treats metric values: every entry moves to the survivor, and for a metric both had, the
current value is the latest of them all, as if one person had been measured all along (an undo recomputes
both)."""

from customers.merge import UndoRecord
from metrics.current import current_refresh
from metrics.models import Metric, MetricEntry


def metrics_move(*, merged, survivor, record) -> UndoRecord:
    undo = UndoRecord()
    shared = Metric.objects.filter(entries__customer=merged).filter(entries__customer=survivor).distinct()
    currents = MetricEntry.objects.filter(customer__in=[merged, survivor], metric__in=shared, is_current=True)
    undo.keep(currents)
    currents.filter(customer=merged).update(is_current=False)  # the database allows one current per metric
    undo.move("metrics.MetricEntry", "customer", merged=merged, survivor=survivor)
    for metric in shared:
        current_refresh(survivor, metric)
    return undo


def metrics_undo(*, merged, survivor, undo: UndoRecord) -> None:
    moved = [pk for _label, _field, ids in undo.moved for pk in ids]
    undo.reverse(merged=merged, survivor=survivor, rows=False)
    for metric in Metric.objects.filter(entries__pk__in=moved).distinct():
        current_refresh(merged, metric)
        current_refresh(survivor, metric)
