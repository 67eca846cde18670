"""Merging two customers, the parts every app's MergeHandler shares: the undo record a handler fills as it
moves rows, the default move (one UPDATE per foreign key), and what the preview reads (who wins each field,
what moves, what blocks). The use cases are in customers.merge_services."""

import json
from dataclasses import dataclass, field
from datetime import datetime, time

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from customers.extend import MergeHandler, registered
from customers.fields import customer_fields
from customers.models import Customer

SIDES = ("survivor", "merged")


def _model(label: str):
    return apps.get_model(label)


class _ExactEncoder(DjangoJSONEncoder):
    """Times to the microsecond (Django's encoder keeps milliseconds), so a restored row is the same row."""

    def default(self, o):
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


def serialize(rows) -> list[dict]:
    """Rows as JSON-able dicts that serializers.deserialize("python", …) puts back with their ids."""
    return json.loads(json.dumps(serializers.serialize("python", rows), cls=_ExactEncoder))


def restore(rows: list[dict]) -> None:
    """Put serialized rows back as they were: updated where they still exist, inserted where they do not."""
    for item in serializers.deserialize("python", rows):
        item.save()


@dataclass
class UndoRecord:
    """What a handler changed, in a form undo reverses: `moved` [[model, field, ids]] (rows whose `field` went
    from the merged customer to the survivor) and `kept` [[model, rows]] (rows it deleted or changed, as they
    were before). JSON-able, stored in Merge.records."""

    moved: list = field(default_factory=list)
    kept: list = field(default_factory=list)

    def move(self, label: str, field_name: str, *, merged: Customer, survivor: Customer) -> list[int]:
        """Point rows of `label` whose `field_name` is the merged customer at the survivor; returns ids."""
        model = _model(label)
        column = model._meta.get_field(field_name).column
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{model._meta.db_table}" SET "{column}" = %s '  # noqa: S608 - names from the model
                f'WHERE organization_id = %s AND "{column}" = %s RETURNING id',
                [survivor.pk, merged.organization_id, merged.pk],
            )
            ids = [row[0] for row in cursor.fetchall()]
        if ids:
            self.moved.append([label, field_name, ids])
        return ids

    def keep(self, queryset: QuerySet) -> list:
        """Remember these rows as they are, before the handler deletes or changes them; returns them."""
        rows = list(queryset)
        if rows:
            self.kept.append([queryset.model._meta.label, serialize(rows)])
        return rows

    def delete(self, queryset: QuerySet) -> int:
        rows = self.keep(queryset)
        queryset.model._base_manager.filter(pk__in=[row.pk for row in rows]).delete()
        return len(rows)

    def move_unless_taken(
        self,
        label: str,
        field_name: str,
        key: tuple[str, ...],
        *,
        merged: Customer,
        survivor: Customer,
        **only,
    ) -> None:
        """Move the rows, but delete (and keep for the undo) those of the merged customer that would repeat
        one of the survivor's on `key` (the same tag twice, say); `only` narrows which rows may collide."""
        model = _model(label)
        theirs = model._base_manager.filter(**{field_name: survivor}, **only)
        for name in key:
            theirs = theirs.filter(**{name: OuterRef(name)})
        self.delete(model._base_manager.filter(Exists(theirs), **{field_name: merged}, **only))
        self.move(label, field_name, merged=merged, survivor=survivor)

    def reverse(self, *, merged: Customer, survivor: Customer, rows: bool = True) -> None:
        """Move back what moved (only rows still on the survivor) and, with `rows`, put back what was kept."""
        for label, field_name, ids in reversed(self.moved):
            model = _model(label)
            model._base_manager.filter(pk__in=ids, **{field_name: survivor}).update(**{field_name: merged})
        for _label, kept in reversed(self.kept) if rows else ():
            restore(kept)

    def as_json(self) -> dict:
        return {"moved": self.moved, "kept": self.kept}

    @classmethod
    def of(cls, data: dict) -> "UndoRecord":
        return cls(moved=data.get("moved", []), kept=data.get("kept", []))


def default_move(handler: MergeHandler, *, merged: Customer, survivor: Customer, record) -> UndoRecord:
    undo = UndoRecord()
    for label, field_name in handler.fields:
        undo.move(label, field_name, merged=merged, survivor=survivor)
    return undo


def unless_taken(label: str, field_name: str, key: tuple[str, ...], **only):
    """A handler's move for rows that may exist once per customer and `key` (a tag, an import): the merged
    customer's repeats of the survivor's are deleted (kept for the undo), the rest move."""

    def move(*, merged: Customer, survivor: Customer, record) -> UndoRecord:
        undo = UndoRecord()
        undo.move_unless_taken(label, field_name, key, merged=merged, survivor=survivor, **only)
        return undo

    return move


def stays(*, merged: Customer, survivor: Customer, record) -> UndoRecord:
    """For keys that name one customer on purpose (a merge's own record): nothing moves."""
    return UndoRecord()


def handlers() -> list[MergeHandler]:
    return registered(MergeHandler)


def count_rows(handler: MergeHandler, customer: Customer) -> int:
    if handler.count:
        return handler.count(customer)
    return sum(
        _model(label)._base_manager.filter(**{field_name: customer}).count()
        for label, field_name in handler.fields
    )


# The preview --------------------------------------------------------------------------------------------


def _empty(value) -> bool:
    return value in (None, "", [], False)


def default_choices(survivor: Customer, merged: Customer) -> dict[str, str]:
    """For every field, whose value the survivor keeps: the claimed account's (a login of their own) when it
    has one, else the newer entry's, unless that one is empty."""
    claimed = [side for side, customer in zip(SIDES, (survivor, merged), strict=True) if customer.user_id]
    if len(claimed) == 1:
        preferred = claimed[0]
    else:
        preferred = "merged" if merged.updated_at > survivor.updated_at else "survivor"
    other = "survivor" if preferred == "merged" else "merged"
    sides = {"survivor": survivor, "merged": merged}
    choices = {}
    for item in customer_fields(include_retired=True):
        value = item.value(sides[preferred])
        choices[item.name] = other if _empty(value) and not _empty(item.value(sides[other])) else preferred
    return choices


def login_choice_needed(survivor: Customer, merged: Customer) -> bool:
    return bool(survivor.user_id and merged.user_id and survivor.user_id != merged.user_id)


@dataclass
class Preview:
    """Two customers side by side, `a` (the page's first) and `b`: rows [(field, a's, b's, default side)],
    counts [(label, a's, b's)] of what is attached to each, and what blocks or needs saying."""

    a: Customer
    b: Customer
    rows: list
    counts: list
    problems: list[str]
    warnings: list[str]
    login_choice: bool


def merge_preview(*, a: Customer, b: Customer, audience: str) -> Preview:
    """Both customers with every field `audience` may see, what each has attached, and what would stop
    merging them (as b into a; the checks read the same either way round)."""
    problems = ["A customer cannot be merged with themselves."] if a.pk == b.pk else []
    warnings, counts = [], []
    for handler in handlers():
        if handler.problems:
            problems += handler.problems(merged=b, survivor=a)
        if handler.warnings:
            warnings += handler.warnings(merged=b, survivor=a)
        if handler.label:
            of_a, of_b = count_rows(handler, a), count_rows(handler, b)
            if of_a or of_b:
                counts.append((handler.label, of_a, of_b))
    defaults = default_choices(a, b)
    side = {"survivor": "a", "merged": "b"}
    rows = [
        (item, item.display(a), item.display(b), side[defaults[item.name]])
        for item in customer_fields(audience)
    ]
    return Preview(a, b, rows, counts, problems, warnings, login_choice_needed(a, b))


def added_since(merge) -> list[tuple[str, int]]:
    """[(label, n)] of what was attached to the survivor after `merge` (it stays there on an undo)."""
    found = []
    for handler in handlers():
        total = 0
        for label, field_name in handler.fields:
            model = _model(label)
            if label == "customers.Customer" or not any(f.name == "created_at" for f in model._meta.fields):
                continue
            rows = model._base_manager.filter(
                **{field_name: merge.survivor_id}, created_at__gt=merge.created_at
            )
            if label == "customers.Activity":
                rows = rows.exclude(kind__in=["merged", "merge_undone"])
            total += rows.count()
        if total and handler.label:
            found.append((handler.label, total))
    return found
