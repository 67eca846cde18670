"""Writes to the roster: one function per use case, each in one transaction with its activity events."""

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.audit import audit_record, changes_of
from accounts.models import User
from accounts.tenancy import tenant
from customers import events
from customers.extend import BulkAction, find
from customers.fields import (
    BUILTIN_FIELDS,
    BUILTIN_NAMES,
    custom_data,
    custom_value_columns,
    customer_fields,
    forget_custom_fields,
    jsonable,
    same_value,
)
from customers.models import (
    Activity,
    BulkOperation,
    Customer,
    CustomerAudit,
    CustomField,
    CustomFieldOption,
    CustomFieldValue,
    FieldRule,
    FieldRuleChange,
    Segment,
    Source,
)
from customers.rules import Channel, Rule, default_rule, forget_rules, grid_rules

# Bulk actions on more customers than this run in a worker, with progress.
BULK_INLINE_LIMIT = 2000
BULK_BATCH = 1000


@transaction.atomic
def activity_record(
    *, customer: Customer, by, kind: str, changes: dict | None = None, detail: str = "", subject_id=None
) -> Activity:
    """Write one event to the customer's Activity Log and mark them active now. `subject_id` names the record
    of a feature app it is about (see Activity.subject_id)."""
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(last_activity_at=now)
    customer.last_activity_at = now
    return Activity.objects.create(
        customer=customer,
        customer_label=customer.full_name,
        kind=kind,
        actor=by,
        changes=changes or {},
        detail=detail,
        subject_id=subject_id,
    )


@transaction.atomic
def activities_record(
    *, labels: dict[int, str], by, kind: str, detail: str = "", changes: dict[int, dict] | None = None
) -> None:
    """Write one event to each of many customers' Activity Logs ({customer_id: name}) and mark them active:
    the batch form of activity_record, for bulk actions."""
    Customer.objects.filter(pk__in=list(labels)).update(last_activity_at=timezone.now())
    changes = changes or {}
    Activity.objects.bulk_create(
        Activity(
            customer_id=pk,
            customer_label=label,
            kind=kind,
            actor=by,
            detail=detail,
            changes=changes.get(pk, {}),
        )
        for pk, label in labels.items()
    )


def _custom_values_save(customer: Customer, values: dict) -> dict:
    """Store custom field values ({name: value}, None or [] to clear); returns {name: [before, after]}."""
    registry = {item.name: item for item in customer_fields(include_retired=True) if item.custom}
    current = custom_data(customer)
    changes = {}
    for name, value in values.items():
        item = registry[name]
        value = None if value in ("", []) else value
        before = current.get(name)
        if same_value(before, value):
            continue
        CustomFieldValue.objects.filter(customer=customer, field=item.custom).delete()
        if value is not None:
            CustomFieldValue.objects.bulk_create(
                CustomFieldValue(customer=customer, field=item.custom, **columns)
                for columns in custom_value_columns(item, value)
            )
        changes[name] = [
            jsonable(item.display_value(before)) or None,
            jsonable(item.display_value(value)) or None,
        ]
        current[name] = value
    return changes


def _split(data: dict) -> tuple[dict, dict]:
    """Built-in fields (model attributes) and custom field values of a form's cleaned data."""
    builtin = {name: value for name, value in data.items() if name in BUILTIN_NAMES}
    return builtin, {name: value for name, value in data.items() if name.startswith("cf_")}


@transaction.atomic
def customer_create(
    *, data: dict, by, source: str = Source.STAFF, user=None, kind=Activity.Kind.CREATED, detail: str = ""
) -> Customer:
    builtin, custom = _split(data)
    customer = Customer(**builtin, source=source, user=user)
    customer.save()
    customer.custom_data = {}
    changes = {
        field.name: [None, jsonable(getattr(customer, field.name))]
        for field in BUILTIN_FIELDS
        if getattr(customer, field.name) not in ("", None, False)
    }
    changes |= _custom_values_save(customer, custom)
    activity_record(customer=customer, by=by, kind=kind, changes=changes, detail=detail)
    events.publish(events.CUSTOMER_CREATED, customer=customer)
    return customer


@transaction.atomic
def customers_create(*, rows: list[dict], by, source: str = Source.STAFF) -> list[Customer]:
    """Create many customers from their forms' cleaned data (the API's batch): the batch form of
    customer_create, a few statements whatever the number, one activity event each."""
    registry = {item.name: item for item in customer_fields(include_retired=True) if item.custom}
    now = timezone.now()
    customers, customs = [], []
    for data in rows:
        builtin, custom = _split(data)
        customers.append(Customer(**builtin, source=source, last_activity_at=now))  # keys: bulk_create
        customs.append({name: value for name, value in custom.items() if value not in (None, "", [])})
    Customer.objects.bulk_create(customers)
    CustomFieldValue.objects.bulk_create(
        CustomFieldValue(customer=customer, field=registry[name].custom, **columns)
        for customer, custom in zip(customers, customs, strict=True)
        for name, value in custom.items()
        for columns in custom_value_columns(registry[name], value)
    )
    Activity.objects.bulk_create(
        Activity(
            customer=customer,
            customer_label=customer.full_name,
            kind=Activity.Kind.CREATED,
            actor=by,
            changes={
                field.name: [None, jsonable(getattr(customer, field.name))]
                for field in BUILTIN_FIELDS
                if getattr(customer, field.name) not in ("", None, False)
            }
            | {name: [None, jsonable(registry[name].display_value(value))] for name, value in custom.items()},
        )
        for customer, custom in zip(customers, customs, strict=True)
    )
    events.publish_each(events.CUSTOMER_CREATED, customers=customers)
    return customers


@transaction.atomic
def customer_update(
    *, customer: Customer, data: dict, by, kind=Activity.Kind.UPDATED, detail: str = ""
) -> dict:
    """Apply `data`; returns {field: [before, after]} of what changed (nothing recorded if nothing did)."""
    builtin, custom = _split(data)
    changes = {}
    for name, value in builtin.items():
        before = getattr(customer, name)
        if before != value:
            changes[name] = [jsonable(before), jsonable(value)]
            setattr(customer, name, value)
    if changes:
        customer.save()
        events.publish(events.CUSTOMER_UPDATED, customer=customer, data={"changed": sorted(changes)})
    custom_changes = _custom_values_save(customer, custom)
    if custom_changes and not changes:  # a custom value is part of the customer: sync and ETags see it
        customer.save(update_fields=["updated_at"])
    changes |= custom_changes
    if changes or kind != Activity.Kind.UPDATED:
        activity_record(customer=customer, by=by, kind=kind, changes=changes, detail=detail)
    return changes


@transaction.atomic
def customer_archive(*, customer: Customer, by) -> Customer:
    if customer.archived_at is None:
        customer.archived_at = timezone.now()
        customer.save(update_fields=["archived_at", "updated_at"])
        activity_record(customer=customer, by=by, kind=Activity.Kind.ARCHIVED)
        events.publish(events.CUSTOMER_ARCHIVED, customer=customer)
    return customer


@transaction.atomic
def customer_restore(*, customer: Customer, by) -> Customer:
    if customer.archived_at is not None:
        customer.archived_at = None
        customer.save(update_fields=["archived_at", "updated_at"])
        activity_record(customer=customer, by=by, kind=Activity.Kind.RESTORED)
        events.publish(events.CUSTOMER_RESTORED, customer=customer)
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, by) -> None:
    """Delete for good; the deletion itself stays in the organization's activity records, without the name
    (their earlier events lose it too). Erasure (the profile's Privacy tab) is the thorough way."""
    label = f"Deleted customer (#{customer.pk})"
    Activity.objects.filter(customer=customer).update(customer_label=label)
    activities_record(labels={customer.pk: label}, by=by, kind=Activity.Kind.DELETED)
    customer.delete()  # the event stays, no longer linked


@transaction.atomic
def customer_do_not_solicit_set(*, customer: Customer, do_not_solicit: bool, by) -> bool:
    """Mark (or unmark) a customer Do not solicit; returns whether it changed. Read under a row lock, so two
    staff clicking at once record one change."""
    stored = Customer.objects.select_for_update().only("do_not_solicit").get(pk=customer.pk)
    customer.do_not_solicit = do_not_solicit
    if stored.do_not_solicit == do_not_solicit:
        return False
    Customer.objects.filter(pk=customer.pk).update(do_not_solicit=do_not_solicit, updated_at=timezone.now())
    words = {True: "Yes", False: "No"}
    changes = {"Do not solicit": [words[not do_not_solicit], words[do_not_solicit]]}
    activity_record(customer=customer, by=by, kind=Activity.Kind.UPDATED, changes=changes)
    events.publish(events.CUSTOMER_UPDATED, customer=customer, data={"changed": ["do_not_solicit"]})
    audit_record(
        action=CustomerAudit.DO_NOT_SOLICIT_CHANGED,
        by=by,
        target=f"{customer.full_name} (#{customer.pk})",
        changes=changes,
    )
    return True


SIGNUP_SOURCES = {Channel.ONLINE_BOOKING: Source.ONLINE_BOOKING, Channel.ONLINE_STORE: Source.ONLINE_STORE}


@transaction.atomic
def field_rules_save(*, rules: dict[tuple[str, str], str], by) -> int:
    """Apply changed cells of the Required Customer Fields grid; returns how many changed.
    Only departures from the defaults are stored; every change is kept in the history."""
    current = grid_rules()
    registry = {field.name: field for field in customer_fields()}
    changes, labels = {}, {}
    for (field, channel), rule in rules.items():
        before = current[(field, channel)]
        if rule == before:
            continue
        if rule == default_rule(registry[field], channel):
            FieldRule.objects.filter(field=field, channel=channel).delete()
        else:
            FieldRule.objects.update_or_create(field=field, channel=channel, defaults={"rule": rule})
        FieldRuleChange.objects.create(field=field, channel=channel, before=before, after=rule, changed_by=by)
        label = labels.setdefault(field, registry[field].label)
        changes[f"{label} · {Channel(channel).label}"] = [Rule(before).label, Rule(rule).label]
    changed = len(changes)
    if changes:
        target = ", ".join(labels.values())
        audit_record(action=CustomerAudit.RULES_CHANGED, by=by, target=target, changes=changes)
    forget_rules()
    transaction.on_commit(forget_rules)  # and again once committed, so no reader re-caches the old rules
    return changed


def _archive_or_restore(customer_ids: list[int], by, *, archive: bool) -> int:
    still_to_change, kind, event = (
        (Q(archived_at=None), Activity.Kind.ARCHIVED, events.CUSTOMER_ARCHIVED)
        if archive
        else (~Q(archived_at=None), Activity.Kind.RESTORED, events.CUSTOMER_RESTORED)
    )
    customers = list(
        Customer.objects.filter(still_to_change, pk__in=customer_ids).only(
            "id", "first_name", "last_name", "email"
        )
    )
    now = timezone.now()
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        archived_at=now if archive else None, updated_at=now
    )
    activities_record(labels={c.pk: c.full_name for c in customers}, by=by, kind=kind)
    events.publish_each(event, customers=customers)
    return len(customers)


@transaction.atomic
def customers_archive(*, customer_ids: list[int], by, params: dict) -> int:
    """The Archive bulk action on a batch of customers: how many it archived, one activity event each."""
    return _archive_or_restore(customer_ids, by, archive=True)


@transaction.atomic
def customers_restore(*, customer_ids: list[int], by, params: dict) -> int:
    """The Restore bulk action on a batch of customers: how many it restored, one activity event each."""
    return _archive_or_restore(customer_ids, by, archive=False)


@transaction.atomic
def customers_bulk(
    *, action: str, customer_ids: list[int], by, params: dict | None = None
) -> BulkOperation | int:
    """Run a bulk action now (returns how many changed) or, when large, queue it (returns the operation)."""
    params = params or {}
    if len(customer_ids) <= BULK_INLINE_LIMIT:
        return find(BulkAction, action).apply(customer_ids=customer_ids, by=by, params=params)
    operation = BulkOperation.objects.create(
        action=action, params=params, customer_ids=customer_ids, total=len(customer_ids), created_by=by
    )
    from customers.tasks import customers_bulk_run

    customers_bulk_run.delay_on_commit(org_id=operation.organization_id, operation_id=operation.pk)
    return operation


def bulk_operation_run(*, organization, operation_id: int) -> None:
    """Process a queued bulk action in committed batches, so progress shows and a retry resumes."""
    with tenant(organization):
        operation = BulkOperation.objects.select_related("created_by").get(pk=operation_id)
    for start in range(operation.done, operation.total, BULK_BATCH):
        with tenant(organization):
            batch = operation.customer_ids[start : start + BULK_BATCH]
            operation.bulk_action.apply(customer_ids=batch, by=operation.created_by, params=operation.params)
            BulkOperation.objects.filter(pk=operation_id).update(done=start + len(batch))
    with tenant(organization):
        BulkOperation.objects.filter(pk=operation_id, finished_at=None).update(finished_at=timezone.now())


def _custom_fields_changed() -> None:
    forget_custom_fields()
    transaction.on_commit(forget_custom_fields)  # and once committed, so no reader re-caches the old list


CUSTOM_FIELD_AUDITED = [
    "label",
    "key",
    "help_text",
    "type",
    "scope",
    "visible_to",
    "editable_by",
    "min_length",
    "max_length",
    "min_value",
    "max_value",
]


def _option_labels(field: CustomField) -> str:
    options = CustomFieldOption.objects.filter(field=field, retired_at=None)
    return ", ".join(options.values_list("label", flat=True))


@transaction.atomic
def custom_field_save(*, field: CustomField, options: list[dict], by: User | None) -> CustomField:
    """Save a custom field definition and its options: [{"option", "retired", "delete"}] in their order.
    A new field goes last."""
    created = field.pk is None
    changes = changes_of(field, CUSTOM_FIELD_AUDITED)
    options_before = "" if created else _option_labels(field)
    if created:
        last = CustomField.objects.aggregate(last=Max("position"))["last"]
        field.position = 0 if last is None else last + 1
    field.save()
    now = timezone.now()
    kept = [item for item in options if not item["delete"]]
    CustomFieldOption.objects.filter(
        pk__in=[item["option"].pk for item in options if item["delete"] and item["option"].pk]
    ).delete()
    for position, item in enumerate(kept):
        option = item["option"]
        option.field, option.position = field, position
        option.retired_at = (option.retired_at or now) if item["retired"] else None
        option.save()
    options_after = _option_labels(field) if options or not created else ""
    if options_before != options_after:
        changes["Options"] = [options_before or None, options_after or None]
    if created or changes:
        audit_record(
            action=CustomerAudit.CUSTOM_FIELD_CREATED if created else CustomerAudit.CUSTOM_FIELD_CHANGED,
            by=by,
            target=field.label,
            detail=field.get_type_display() if created else "",
            changes=changes,
        )
    _custom_fields_changed()
    return field


@transaction.atomic
def custom_field_retire(*, field: CustomField, by: User) -> None:
    """Take a field out of every form, profile, filter and export; its values stay for a restore."""
    if field.retired_at is None:
        field.retired_at = timezone.now()
        field.save(update_fields=["retired_at"])
        audit_record(action=CustomerAudit.CUSTOM_FIELD_RETIRED, by=by, target=field.label)
        _custom_fields_changed()


@transaction.atomic
def custom_field_restore(*, field: CustomField, by: User) -> None:
    if field.retired_at is not None:
        field.retired_at = None
        field.save(update_fields=["retired_at"])
        audit_record(action=CustomerAudit.CUSTOM_FIELD_RESTORED, by=by, target=field.label)
        _custom_fields_changed()


@transaction.atomic
def custom_fields_reorder(*, ordered_ids: list[int], by: User) -> None:
    """Number the fields in this order; fields not named (retired ones) keep their relative order after."""
    fields = {field.pk: field for field in CustomField.objects.order_by("position", "id")}
    named = [pk for pk in dict.fromkeys(ordered_ids) if pk in fields]
    order = named + [pk for pk in fields if pk not in named]
    changed = [fields[pk] for position, pk in enumerate(order) if fields[pk].position != position]
    before = ", ".join(field.label for field in fields.values() if not field.is_retired)
    for position, pk in enumerate(order):
        fields[pk].position = position
    CustomField.objects.bulk_update(changed, ["position"])
    if changed:
        after = ", ".join(fields[pk].label for pk in order if not fields[pk].is_retired)
        audit_record(action=CustomerAudit.CUSTOM_FIELDS_REORDERED, by=by, changes={"Order": [before, after]})
    _custom_fields_changed()


@transaction.atomic
def segment_save(*, owner, name: str, query: str, shared: bool) -> tuple[Segment, bool]:
    """Save roster conditions under a name; the owner's segment of the same name is updated. Returns it and
    whether it is new."""
    segment = Segment.objects.filter(owner=owner, name__iexact=name).first() or Segment(owner=owner)
    created = segment.pk is None
    segment.name, segment.query, segment.shared = name, query, shared
    segment.save()
    return segment, created


@transaction.atomic
def segment_delete(*, segment: Segment) -> None:
    segment.delete()
