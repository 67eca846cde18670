"""What an import does to the roster, a batch of rows at a time: the dry run plans every row (create, update,
unchanged, error) without writing; the run plans again and writes each batch in one transaction together
with its checkpoint, so a worker killed at any point leaves every batch either wholly done or not begun."""

from dataclasses import dataclass, field
from itertools import islice
from types import SimpleNamespace

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from psycopg.types.json import Jsonb

from accounts.tenancy import required_organization
from customers.fields import BUILTIN_FIELDS, customer_fields, field_labels, jsonable, load_custom_data
from customers.models import Activity, Customer, CustomFieldValue, Source
from customers.search import normalize, phone_to_digits, refresh_keys
from customers.services import custom_value_columns, same_value
from imports.mapping import TAGS
from imports.models import ImportIssue, ImportJob, ImportRecord
from imports.reading import FileShape, read_rows
from imports.validation import Parsed, RowReader
from notes.services import notes_import
from tags.models import CustomerTag, Tag

CREATE, UPDATE, UNCHANGED, EXISTS, ERROR = "create", "update", "unchanged", "exists", "error"
# Built-in columns an update writes, with their search keys, and the SQL type of each (see _update).
UPDATED_COLUMNS = [item.name for item in BUILTIN_FIELDS] + [
    "phone_digits", "first_key", "last_key", "name_key", "email_key", "email_domain", "phone_rev",
    "number_key",
]  # fmt: skip
SQL_TYPES = {"DateField": "date", "BooleanField": "boolean"}
# What refresh_keys reads: a new customer's search keys are computed from these and the file's values.
KEYED_FIELDS = dict.fromkeys(["first_name", "last_name", "email", "number", "phone"], "")


@dataclass
class Plan:
    parsed: Parsed
    action: str
    customer: Customer | None = None  # the one it matched
    changes: dict = field(default_factory=dict)
    new_tags: list[str] = field(default_factory=list)
    customer_id: int | None = None  # set when written
    label: str = ""

    def error(self, message: str, column: str = "") -> "Plan":
        self.parsed.errors.append((column, message))
        self.action = ERROR
        return self


def data_rows(job: ImportJob, start: int = 0):
    """(spreadsheet row number, cells) of the file's data rows from the `start`-th on; blank rows skipped."""
    shape = FileShape(job.file_format, job.encoding, job.delimiter)
    rows = islice(read_rows(job.file.path, shape), start + 1, None)
    for number, cells in enumerate(rows, start=start + 2):
        if any(cells):
            yield number, cells


def batches(rows, size: int):
    while batch := list(islice(rows, size)):
        yield batch


class Planner:
    """Plans rows of one job. `seen` finds duplicates inside the file; only the dry run reads every row in
    order, so only it looks (the run skips the rows the dry run found in error)."""

    def __init__(self, job: ImportJob):
        self.job = job
        date_samples = [
            row[i] for row in job.samples for i, t in enumerate(job.mapping) if t and i < len(row)
        ]
        self.reader = RowReader(job.headers, job.mapping, job.date_format, date_samples)
        self.labels = field_labels()
        self.registry = {item.name: item for item in customer_fields(include_retired=True) if item.custom}
        self.everyone_tags = list(Tag.objects.filter(pk__in=job.tag_ids).values_list("name", flat=True))
        self.tags_mapped = TAGS in job.mapping or bool(self.everyone_tags)
        self.seen: dict[str, set] = {"email": set(), "number": set(), "phone": set()}

    def _label(self, name: str) -> str:
        return self.labels.get(name, name)

    def _keys(self, parsed: Parsed) -> dict[str, str]:
        keys = {}
        if email := parsed.builtin.get("email"):
            keys["email"] = email
        if number := parsed.builtin.get("number"):
            keys["number"] = normalize(number)
        if phone := parsed.builtin.get("phone"):
            keys["phone"] = phone_to_digits(phone)
        return keys

    def plan(self, rows: list[tuple[int, list[str]]], *, check_duplicates: bool) -> list[Plan]:
        parsed_rows = [self.reader.read(number, cells) for number, cells in rows]
        keys = [self._keys(parsed) for parsed in parsed_rows]
        by_email, by_number, by_phone = self._existing(keys)
        plans = []
        for parsed, row_keys in zip(parsed_rows, keys, strict=True):
            plan = Plan(parsed, ERROR if parsed.errors else "")
            if check_duplicates:
                self._duplicates(plan, row_keys)
            if plan.action != ERROR:
                self._decide(plan, row_keys, by_email, by_number, by_phone)
            plans.append(plan)
        matched = [plan.customer for plan in plans if plan.customer]
        load_custom_data(matched)
        current_tags = self._tags_of([customer.pk for customer in matched])
        for plan in plans:
            if plan.action == UPDATE:
                self._changes(plan, current_tags.get(plan.customer.pk, set()))
            elif plan.action == CREATE:
                plan.new_tags = self._tag_names(plan, set())
        return plans

    def _duplicates(self, plan: Plan, keys: dict[str, str]) -> None:
        unique = ["email", "number"] + (["phone"] if self.job.match_key == ImportJob.MatchKey.PHONE else [])
        for name in unique:
            value = keys.get(name)
            if value is None:
                continue
            if value in self.seen[name]:
                plan.error(f"Same {self._label(name).lower()} as an earlier row of the file.")
            self.seen[name].add(value)

    def _existing(self, keys: list[dict]) -> tuple[dict, dict, dict]:
        emails = {row["email"] for row in keys if "email" in row}
        numbers = {row["number"] for row in keys if "number" in row}
        phones = {row["phone"] for row in keys if "phone" in row} if self.job.match_key == "phone" else set()
        if not (emails or numbers or phones):
            return {}, {}, {}
        found = Customer.objects.filter(
            Q(email_key__in=emails) | Q(number_key__in=numbers) | Q(phone_digits__in=phones)
        )
        by_email, by_number, by_phone = {}, {}, {}
        for customer in found:
            if customer.email_key:
                by_email[customer.email_key] = customer
            if customer.number_key:
                by_number[customer.number_key] = customer
            if customer.phone_digits in phones:
                by_phone.setdefault(customer.phone_digits, []).append(customer)
        return by_email, by_number, by_phone

    def _decide(self, plan: Plan, keys: dict, by_email: dict, by_number: dict, by_phone: dict) -> None:
        mode, key = self.job.mode, self.job.match_key
        value = keys.get(key)
        match = None
        if value is not None:
            if key == ImportJob.MatchKey.PHONE:
                candidates = by_phone.get(value, [])
                if len(candidates) > 1:
                    plan.error(
                        f"{len(candidates)} customers have this phone; match by email or customer number."
                    )
                    return
                match = candidates[0] if candidates else None
            else:
                match = (by_email if key == "email" else by_number).get(value)
        if match is None:
            if mode == ImportJob.Mode.UPDATE:
                label = self._label("phone" if key == "phone" else key).lower()
                plan.error(
                    f"No customer with this {label}." if value else f"No {label} to find the customer by."
                )
                return
            self.reader.missing_required(plan.parsed, self.labels)
            if plan.parsed.errors:
                plan.action = ERROR
                return
            plan.action = CREATE
        elif mode == ImportJob.Mode.CREATE:
            plan.action, plan.customer = EXISTS, match
            return
        else:
            plan.action, plan.customer = UPDATE, match
        for name, index in (("email", by_email), ("number", by_number)):
            holder = index.get(keys.get(name))
            if holder is not None and holder != plan.customer:
                plan.error(
                    f"This {self._label(name).lower()} belongs to {holder.full_name} (#{holder.pk}).", name
                )

    def _tags_of(self, customer_ids: list[int]) -> dict[int, set[str]]:
        if not (self.tags_mapped and customer_ids):
            return {}
        tags: dict[int, set[str]] = {}
        rows = CustomerTag.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "tag__name"
        )
        for customer_id, name in rows:
            tags.setdefault(customer_id, set()).add(name.lower())
        return tags

    def _tag_names(self, plan: Plan, current: set[str]) -> list[str]:
        wanted = dict.fromkeys([*plan.parsed.tags, *self.everyone_tags])
        return [name for name in wanted if name.lower() not in current]

    def _changes(self, plan: Plan, current_tags: set[str]) -> None:
        customer, parsed = plan.customer, plan.parsed
        for name, value in parsed.builtin.items():
            if getattr(customer, name) != value:
                plan.changes[name] = [jsonable(getattr(customer, name)), jsonable(value)]
        for name, value in parsed.custom.items():
            before = customer.custom_data.get(name)
            if not same_value(before, value):
                item = self.registry[name]
                plan.changes[name] = [
                    jsonable(item.display_value(before)) or None,
                    jsonable(item.display_value(value)),
                ]
        plan.new_tags = self._tag_names(plan, current_tags)
        if not (plan.changes or plan.new_tags or parsed.note):
            plan.action = UNCHANGED


def issues_of(job: ImportJob, plans: list[Plan]) -> list[ImportIssue]:
    return [
        ImportIssue(job=job, row=plan.parsed.row, column=column[:255], message=message[:300])
        for plan in plans
        for column, message in plan.parsed.errors
    ]


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
    fields = [
        field for field in model._meta.concrete_fields if not field.primary_key or field.attname in rows[0]
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
        self.detail = f"Import “{job.file_name}”"[:200]
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


def batch_size() -> int:
    return settings.IMPORT_BATCH_ROWS
