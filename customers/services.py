"""Writes to the roster: one function per use case, each in one transaction with its activity events."""

from datetime import date

import phonenumbers
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.tenancy import tenant
from customers.fields import customer_fields
from customers.models import Activity, BulkOperation, Customer, FieldRule, FieldRuleChange, Source
from customers.rules import Channel, default_rule, forget_rules, grid_rules
from customers.search import normalize, phone_to_digits

# Bulk actions on more customers than this run in a worker, with progress.
BULK_INLINE_LIMIT = 2000
BULK_BATCH = 500


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


def activity_record(*, customer: Customer, by, kind: str, changes: dict | None = None) -> Activity:
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(last_activity_at=now)
    customer.last_activity_at = now
    return Activity.objects.create(
        customer=customer, customer_label=customer.full_name, kind=kind, actor=by, changes=changes or {}
    )


@transaction.atomic
def customer_create(*, data: dict, by, source: str = Source.STAFF, user=None) -> Customer:
    customer = Customer(**data, source=source, user=user)
    customer.save()
    changes = {
        field.name: [None, _jsonable(getattr(customer, field.name))]
        for field in customer_fields()
        if getattr(customer, field.name) not in ("", None, False)
    }
    activity_record(customer=customer, by=by, kind=Activity.Kind.CREATED, changes=changes)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, data: dict, by) -> dict:
    """Apply `data`; returns {field: [before, after]} of what changed (nothing recorded if nothing did)."""
    changes = {}
    for name, value in data.items():
        before = getattr(customer, name)
        if before != value:
            changes[name] = [_jsonable(before), _jsonable(value)]
            setattr(customer, name, value)
    if changes:
        customer.save()
        activity_record(customer=customer, by=by, kind=Activity.Kind.UPDATED, changes=changes)
    return changes


@transaction.atomic
def customer_archive(*, customer: Customer, by) -> Customer:
    if customer.archived_at is None:
        customer.archived_at = timezone.now()
        customer.save(update_fields=["archived_at"])
        activity_record(customer=customer, by=by, kind=Activity.Kind.ARCHIVED)
    return customer


@transaction.atomic
def customer_restore(*, customer: Customer, by) -> Customer:
    if customer.archived_at is not None:
        customer.archived_at = None
        customer.save(update_fields=["archived_at"])
        activity_record(customer=customer, by=by, kind=Activity.Kind.RESTORED)
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, by) -> None:
    """Delete for good; the deletion itself stays in the organization's activity records."""
    label = f"{customer.full_name} (#{customer.pk})"
    customer.delete()
    Activity.objects.create(customer=None, customer_label=label, kind=Activity.Kind.DELETED, actor=by)


SIGNUP_SOURCES = {Channel.ONLINE_BOOKING: Source.ONLINE_BOOKING, Channel.ONLINE_STORE: Source.ONLINE_STORE}


@transaction.atomic
def customer_signup(*, data: dict, password: str, channel: str) -> Customer:
    """A visitor creates their account while booking or buying online: a login and their roster entry."""
    user = User.objects.create_user(
        data["email"], password, first_name=data["first_name"], last_name=data["last_name"]
    )
    return customer_create(data=data, by=user, source=SIGNUP_SOURCES[channel], user=user)


@transaction.atomic
def field_rules_save(*, rules: dict[tuple[str, str], str], by) -> int:
    """Apply changed cells of the Required Customer Fields grid; returns how many changed.
    Only departures from the defaults are stored; every change is kept in the history."""
    current = grid_rules()
    changed = 0
    for (field, channel), rule in rules.items():
        before = current[(field, channel)]
        if rule == before:
            continue
        if rule == default_rule(field, channel):
            FieldRule.objects.filter(field=field, channel=channel).delete()
        else:
            FieldRule.objects.update_or_create(field=field, channel=channel, defaults={"rule": rule})
        FieldRuleChange.objects.create(field=field, channel=channel, before=before, after=rule, changed_by=by)
        changed += 1
    forget_rules()
    transaction.on_commit(forget_rules)  # and again once committed, so no reader re-caches the old rules
    return changed


def possible_duplicates(*, data: dict, exclude_pk: int | None = None) -> list[Customer]:
    """Customers who may be the same person: same phone, or same name and birthday."""
    condition = Q()
    try:
        digits = phone_to_digits(data.get("phone", ""))
    except phonenumbers.NumberParseException:
        digits = ""
    if digits:
        condition |= Q(phone_digits=digits)
    if data.get("birthday"):
        condition |= Q(
            first_key=normalize(data["first_name"]),
            last_key=normalize(data["last_name"]),
            birthday=data["birthday"],
        )
    if not condition:
        return []
    return list(
        Customer.objects.filter(condition).exclude(pk=exclude_pk).order_by("last_key", "first_key")[:5]
    )


_BULK_KINDS = {
    BulkOperation.Action.ARCHIVE: (
        Q(archived_at=None),
        {"archived_at": timezone.now},
        Activity.Kind.ARCHIVED,
    ),
    BulkOperation.Action.RESTORE: (
        ~Q(archived_at=None),
        {"archived_at": lambda: None},
        Activity.Kind.RESTORED,
    ),
}


def _bulk_apply(*, action: str, customer_ids: list[int], by) -> int:
    """Archive or restore these customers (of the current organization), one activity event each."""
    still_to_change, values, kind = _BULK_KINDS[action]
    customers = list(
        Customer.objects.filter(still_to_change, pk__in=customer_ids).only("id", "first_name", "last_name")
    )
    now = timezone.now()
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        **{name: make() for name, make in values.items()}, last_activity_at=now
    )
    Activity.objects.bulk_create(
        Activity(customer=customer, customer_label=customer.full_name, kind=kind, actor=by)
        for customer in customers
    )
    return len(customers)


@transaction.atomic
def customers_bulk(*, action: str, customer_ids: list[int], by) -> BulkOperation | int:
    """Run a bulk action now (returns how many changed) or, when large, queue it (returns the operation)."""
    if len(customer_ids) <= BULK_INLINE_LIMIT:
        return _bulk_apply(action=action, customer_ids=customer_ids, by=by)
    operation = BulkOperation.objects.create(
        action=action, customer_ids=customer_ids, total=len(customer_ids), created_by=by
    )
    from customers.tasks import customers_bulk_run

    customers_bulk_run.delay_on_commit(org_id=operation.organization_id, operation_id=operation.pk)
    return operation


def bulk_operation_run(*, organization, operation_id: int) -> None:
    """Process a queued bulk action in committed batches, so progress shows and a retry resumes."""
    while True:
        with tenant(organization):
            operation = BulkOperation.objects.select_related("created_by").get(pk=operation_id)
            if operation.done >= operation.total:
                operation.finished_at = operation.finished_at or timezone.now()
                operation.save(update_fields=["finished_at"])
                return
            batch = operation.customer_ids[operation.done : operation.done + BULK_BATCH]
            _bulk_apply(action=operation.action, customer_ids=batch, by=operation.created_by)
            operation.done += len(batch)
            operation.save(update_fields=["done"])
