"""Writing a batch's plans to the roster at COPY speed: a few statements per table whatever the batch size,
in the transaction that also moves the job's checkpoint (see imports.work_services)."""

from types import SimpleNamespace

from django.db import connection
from django.db.models.functions import Lower
from django.utils import timezone
from psycopg.types.json import Jsonb

from accounts.tenancy import required_organization
from customers.fields import BUILTIN_FIELDS, custom_value_columns, customer_fields, jsonable
from customers.models import Activity, Customer, CustomFieldValue, Source
from customers.search import refresh_keys
from imports.engine import CREATE, UPDATE, Plan
from imports.models import ImportJob, ImportRecord
from notes.services import notes_import
from tags.models import CustomerTag, Tag

# Built-in columns an update writes, with their search keys, and the SQL type of each (see Writer._update).
UPDATED_COLUMNS = [item.name for item in BUILTIN_FIELDS] + [
    "phone_digits", "first_key", "last_key", "name_key", "email_key", "email_domain", "phone_rev",
    "number_key",
]  # fmt: skip
SQL_TYPES = {"DateField": "date", "BooleanField": "boolean"}
# What refresh_keys reads: a new customer's search keys are computed from these and the file's values.
KEYED_FIELDS = dict.fromkeys(["first_name", "last_name", "email", "number", "phone"], "")


def _default(field, now):
    return (
        now
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_default()
    )


def copy_rows(model, rows: list[dict], *, ignore_conflicts: bool = False) -> None:
    """Insert rows ({attname: value}; other fields take their defaults) at COPY speed. Row-level security
    refuses COPY into its tables, so rows are copied into a temporary twin of the table (no row security,
    emptied at commit), then moved by one INSERT … SELECT, which row security checks like any insert.
    Table and column names come from the model, never from the data."""
    if not rows:
        return
    now = timezone.now()
    fields = [  # PostgreSQL computes generated columns (the duplicate finder's keys) itself
        field
        for field in model._meta.concrete_fields
        if (not field.primary_key or field.attname in rows[0]) and not field.generated
    ]
    defaults = {field.attname: _default(field, now) for field in fields}
    organization = {"organization_id": required_organization(f"{model.__name__} imported").pk}
    names = [field.attname for field in fields]
    json_fields = {field.attname for field in fields if field.get_internal_type() == "JSONField"}
    table, columns = model._meta.db_table, ", ".join(f'"{field.column}"' for field in fields)
    twin = f"import_{table}"
    create_twin = "CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS SELECT * FROM {} WITH NO DATA"
    with connection.cursor() as cursor:
        cursor.execute(create_twin.format(f'"{twin}"', f'"{table}"'))
        with cursor.copy(f'COPY "{twin}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                values = defaults | row | organization
                copy.write_row(
                    [Jsonb(values[name]) if name in json_fields else values[name] for name in names]
                )
        conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        cursor.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{twin}"{conflict}')  # noqa: S608
        cursor.execute(f'TRUNCATE "{twin}"')


class Writer:
    """Writes one batch's plans: a few statements per table whatever the batch size."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.by = job.created_by
        self.actor_id = job.created_by_id
        self.source = Source.API if job.origin == ImportJob.Origin.API else Source.IMPORT
        self.detail = f"Import “{job.file_name}”"
        self.registry = {item.name: item for item in customer_fields(include_retired=True) if item.custom}

    def write(self, plans: list[Plan]) -> tuple[int, int]:
        now = timezone.now()
        creating = [plan for plan in plans if plan.action == CREATE]
        updating = [plan for plan in plans if plan.action == UPDATE]
        self._create(creating, now)
        self._update(updating, now)
        touched = creating + updating
        self._custom_values(touched)
        self._tags(touched)
        notes_import(
            texts={plan.customer_id: plan.parsed.note for plan in touched if plan.parsed.note}, by=self.by
        )
        copy_rows(Activity, [self._event(plan) for plan in touched])
        copy_rows(
            ImportRecord,
            [
                {"job_id": self.job.pk, "customer_id": plan.customer_id, "created": plan.action == CREATE}
                for plan in touched
            ],
            ignore_conflicts=True,
        )
        return len(creating), len(updating)

    def _create(self, plans: list[Plan], now) -> None:
        if not plans:
            return
        with connection.cursor() as cursor:  # ids first: the other rows of the batch point at them
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('customers_customer', 'id'))"
                " FROM generate_series(1, %s)",
                [len(plans)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        rows = []
        for plan, pk in zip(plans, ids, strict=True):
            customer = SimpleNamespace(**KEYED_FIELDS | plan.parsed.builtin)
            refresh_keys(customer)
            plan.customer_id, plan.label = pk, f"{customer.first_name} {customer.last_name}".strip()
            rows.append(vars(customer) | {"id": pk, "source": self.source, "last_activity_at": now})
            plan.changes = {
                name: [None, jsonable(value)]
                for name, value in plan.parsed.builtin.items()
                if value not in ("", None)
            } | {
                name: [None, jsonable(self.registry[name].display_value(value))]
                for name, value in plan.parsed.custom.items()
            }
        copy_rows(Customer, rows)

    def _event(self, plan: Plan) -> dict:
        changes = dict(plan.changes)
        if plan.new_tags:
            changes["Tags"] = ["", ", ".join(plan.new_tags)]
        if plan.parsed.note:
            changes["Note"] = ["", plan.parsed.note]
        return {
            "customer_id": plan.customer_id,
            "customer_label": plan.label,
            "kind": Activity.Kind.CREATED if plan.action == CREATE else Activity.Kind.UPDATED,
            "actor_id": self.actor_id,
            "changes": changes,
            "detail": self.detail,
        }

    def _update(self, plans: list[Plan], now) -> None:
        """One UPDATE … FROM unnest(arrays) for the batch (it also stamps their last activity): Django's
        bulk_update builds a CASE per column whose cost grows with the square of the batch."""
        if not plans:
            return
        for plan in plans:
            for name, value in plan.parsed.builtin.items():
                setattr(plan.customer, name, value)
            refresh_keys(plan.customer)
            plan.customer_id, plan.label = plan.customer.pk, plan.customer.full_name
        fields = [Customer._meta.get_field(name) for name in UPDATED_COLUMNS]
        types = [SQL_TYPES.get(item.get_internal_type(), "text") for item in fields]
        arrays = [[plan.customer.pk for plan in plans]] + [
            [getattr(plan.customer, item.attname) for plan in plans] for item in fields
        ]
        columns = ", ".join(f"{item.column} = v.{item.column}" for item in fields)
        unnest = ", ".join(f"%s::{kind}[]" for kind in ["bigint", *types])
        names = ", ".join(["id", *(item.column for item in fields)])
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE customers_customer AS c SET {columns}, updated_at = %s, last_activity_at = %s "  # noqa: S608 - column names from the model
                f"FROM unnest({unnest}) AS v({names}) WHERE c.id = v.id AND c.organization_id = %s",
                [now, now, *arrays, self.job.organization_id],
            )

    def _custom_values(self, plans: list[Plan]) -> None:
        replaced = [
            (plan.customer_id, self.registry[name].custom.pk)
            for plan in plans
            if plan.action == UPDATE
            for name in plan.parsed.custom
            if name in plan.changes
        ]
        if replaced:
            customer_ids, field_ids = zip(*replaced, strict=True)
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM customers_customfieldvalue WHERE organization_id = %s"
                    " AND (customer_id, field_id) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))",
                    [self.job.organization_id, list(customer_ids), list(field_ids)],
                )
        copy_rows(
            CustomFieldValue,
            [
                {"customer_id": plan.customer_id, "field_id": self.registry[name].custom.pk, **columns}
                for plan in plans
                for name, value in plan.parsed.custom.items()
                if name in plan.changes
                for columns in custom_value_columns(self.registry[name], value)
            ],
        )

    def _tags(self, plans: list[Plan]) -> None:
        wanted = {name.lower(): name for plan in plans for name in plan.new_tags}
        if not wanted:
            return
        Tag.objects.bulk_create([Tag(name=name) for name in wanted.values()], ignore_conflicts=True)
        tags = {
            lowered: pk
            for lowered, pk in Tag.objects.annotate(lowered=Lower("name"))
            .filter(lowered__in=list(wanted))
            .values_list("lowered", "pk")
        }
        copy_rows(
            CustomerTag,
            [
                {
                    "customer_id": plan.customer_id,
                    "tag_id": tags[name.lower()],
                    "added_by_id": self.actor_id,
                }
                for plan in plans
                for name in plan.new_tags
            ],
            ignore_conflicts=True,
        )
