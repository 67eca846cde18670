"""Merging two customers into one, and undoing it within 30 days: each one transaction, both customers locked,
every app's rows moved (or moved back) by its MergeHandler, with activity on both and an audit event."""

from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from customers import events
from customers.fields import customer_fields, load_custom_data
from customers.merge import (
    SIDES,
    UndoRecord,
    default_choices,
    default_move,
    handlers,
    login_choice_needed,
    restore,
    serialize,
)
from customers.models import Activity, Customer, CustomerAudit, CustomFieldValue, Merge
from customers.services import activity_record, customer_update


class MergeRefused(ValueError):
    """Why a merge or its undo cannot go ahead, in words for staff (one reason per item of `reasons`)."""

    def __init__(self, reasons: list[str]):
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def _lock(*ids: int) -> dict[int, Customer]:
    """Both customers, tombstones included, locked in id order (two merges of the same pair cannot cross)."""
    rows = Customer.objects.with_tombstones().select_for_update().filter(pk__in=ids).order_by("pk")
    return {customer.pk: customer for customer in rows}


def _label(customer: Customer) -> str:
    return f"{customer.full_name} (#{customer.pk})"


@transaction.atomic
def customers_merge(
    *, survivor: Customer, merged: Customer, choices: dict[str, str], login: str = "", by
) -> Merge:
    """Merge `merged` into `survivor`: the survivor takes the chosen side's value of each field ({field name:
    "survivor" | "merged"}, the preview's defaults for the rest) and, when both have a login, the one `login`
    names (the other is unlinked, not deleted); everything attached moves to it; `merged` becomes a tombstone
    pointing at it. Raises MergeRefused with the reasons it cannot."""
    if survivor.pk == merged.pk:
        raise MergeRefused(["A customer cannot be merged with themselves."])
    locked = _lock(survivor.pk, merged.pk)
    survivor, merged = locked.get(survivor.pk), locked.get(merged.pk)
    if survivor is None or merged is None or survivor.is_tombstone or merged.is_tombstone:
        raise MergeRefused(["One of them was merged or deleted meanwhile: open the page again."])
    problems = [
        reason
        for handler in handlers()
        if handler.problems
        for reason in handler.problems(merged=merged, survivor=survivor)
    ]
    if login_choice_needed(survivor, merged) and login not in SIDES:
        problems.append("Both have a login of their own: choose which one keeps the portal.")
    if problems:
        raise MergeRefused(problems)

    choices = default_choices(survivor, merged) | {
        name: side
        for name, side in choices.items()
        if side in SIDES and name in default_choices(survivor, merged)
    }
    load_custom_data([survivor, merged])
    sides = {"survivor": survivor, "merged": merged}
    data = {
        item.name: item.value(sides[choices[item.name]]) for item in customer_fields(include_retired=True)
    }
    login_side = (
        login if login in SIDES else ("merged" if merged.user_id and not survivor.user_id else "survivor")
    )
    before = {
        "survivor": serialize([survivor]),
        "merged": serialize([merged]),
        "values": serialize(CustomFieldValue.objects.filter(customer_id__in=[survivor.pk, merged.pk])),
    }

    # The tombstone lets go of what must stay unique (email, number) and of the login before the survivor
    # takes them; its row as it was is in `before`.
    now = timezone.now()
    Customer.objects.with_tombstones().filter(pk=merged.pk).update(
        merged_into=survivor,
        merged_at=now,
        user=None,
        email="",
        email_key="",
        email_domain="",
        phone="",
        phone_digits="",
        phone_rev="",
        number="",
        number_key="",
    )
    Customer.objects.filter(pk=survivor.pk).update(
        user=sides[login_side].user_id, do_not_solicit=survivor.do_not_solicit or merged.do_not_solicit
    )
    survivor.user_id = sides[login_side].user_id
    survivor.do_not_solicit = survivor.do_not_solicit or merged.do_not_solicit
    record = Merge.objects.create(
        survivor=survivor,
        merged=merged,
        survivor_label=survivor.full_name,
        merged_label=merged.full_name,
        choices=choices | {"login": login_side},
        before=before,
        by=by,
    )
    customer_update(
        customer=survivor, data=data, by=by, kind=Activity.Kind.MERGED, detail=f"Merged with {_label(merged)}"
    )

    # The survivor's event links to the merge, for its Undo link in the Activity Log.
    event = Activity.objects.filter(customer=survivor, kind=Activity.Kind.MERGED).latest("id")
    Activity.objects.filter(pk=event.pk).update(subject_id=record.pk)
    records = {}
    for handler in handlers():
        move = handler.move or partial(default_move, handler)
        records[handler.key] = move(merged=merged, survivor=survivor, record=record).as_json()
    record.records = records
    record.save(update_fields=["records"])

    activity_record(
        customer=merged,
        by=by,
        kind=Activity.Kind.MERGED,
        detail=f"Merged into {_label(survivor)}",
        subject_id=record.pk,
    )
    audit_record(
        action=CustomerAudit.CUSTOMERS_MERGED, by=by, target=f"{_label(merged)} → {_label(survivor)}"
    )
    events.publish(events.CUSTOMER_UPDATED, customer=survivor, data={"merged_from": merged.pk})
    events.publish(events.CUSTOMER_ARCHIVED, customer=merged, data={"merged_into": survivor.pk})
    return record


@transaction.atomic
def merge_undo(*, merge: Merge, by) -> Merge:
    """Put both customers back as they were before `merge` (fields, custom values, login), move back every
    row that moved and put back what a handler deleted or changed; what was added to the survivor since
    stays with it. Raises MergeRefused when it cannot."""
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise MergeRefused(["This merge was undone already."])
    if not merge.undoable:
        raise MergeRefused(["A merge can be undone for 30 days only."])
    locked = _lock(merge.survivor_id, merge.merged_id)
    survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
    if survivor.is_tombstone:
        raise MergeRefused(
            [f"{survivor.full_name} was merged into someone else since: undo that merge first."]
        )
    if merged.merged_into_id != survivor.pk:
        raise MergeRefused([f"{merged.full_name} is no longer merged into {survivor.full_name}."])

    for handler in reversed(handlers()):
        undo = UndoRecord.of(merge.records.get(handler.key, {}))
        if handler.undo:
            handler.undo(merged=merged, survivor=survivor, undo=undo)
        else:
            undo.reverse(merged=merged, survivor=survivor)
    CustomFieldValue.objects.filter(customer_id__in=[survivor.pk, merged.pk]).delete()
    try:
        with transaction.atomic():
            restore(merge.before["survivor"])
            restore(merge.before["merged"])
            restore(merge.before["values"])
    except IntegrityError as error:
        raise MergeRefused(
            ["Another customer has taken the email or customer number one of them had: change it, then undo."]
        ) from error
    survivor.refresh_from_db()
    merged.refresh_from_db()

    merge.undone_at, merge.undone_by = timezone.now(), by
    merge.save(update_fields=["undone_at", "undone_by"])
    activity_record(
        customer=survivor,
        by=by,
        kind=Activity.Kind.MERGE_UNDONE,
        detail=f"Merge with {_label(merged)} undone",
    )
    activity_record(
        customer=merged,
        by=by,
        kind=Activity.Kind.MERGE_UNDONE,
        detail=f"Merge into {_label(survivor)} undone",
    )
    audit_record(action=CustomerAudit.MERGE_UNDONE, by=by, target=f"{_label(merged)} → {_label(survivor)}")
    events.publish(events.CUSTOMER_UPDATED, customer=survivor, data={"unmerged": merged.pk})
    events.publish(events.CUSTOMER_RESTORED, customer=merged)
    return merge
