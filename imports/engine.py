"""What an import does to the roster, a batch of rows at a time: the dry run plans every row (create, update,
unchanged, error) without writing; the run plans again and writes each batch (imports.writing) in one
transaction together with its checkpoint, so a worker killed at any point leaves every batch either wholly
done or not begun."""

from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import islice

from django.db.models import Q

from customers.fields import customer_fields, field_labels, jsonable, load_custom_data, same_value
from customers.models import Customer
from customers.search import normalize, phone_to_digits
from imports.mapping import TAGS
from imports.models import ImportIssue, ImportJob
from imports.reading import FileShape, read_rows
from imports.validation import Parsed, RowReader
from notes.models import NOTES_SEPARATOR, Note
from tags.models import CustomerTag, Tag

CREATE, UPDATE, UNCHANGED, EXISTS, ERROR = "create", "update", "unchanged", "exists", "error"
BLANK = ("", None, [])


@dataclass
class Plan:
    parsed: Parsed
    action: str
    customer: Customer | None = None  # the one it matched
    changes: dict = field(default_factory=dict)
    new_tags: list[str] = field(default_factory=list)
    customer_id: int | None = None  # set when written
    label: str = ""
    claimed: bool = False  # matched a customer with their own login: only their blanks are filled

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


class FirstRows:
    """The first row of each value seen, in 12 bytes a value: a dict of a million emails takes ~120 MB, which
    the worker's memory bound (256 MB on a 1 M-row file) cannot afford. Values are told apart by their 64-bit
    hash (this process's SipHash key, unknown to whoever wrote the file): two different values of a million
    share one about once in 30 million files."""

    BUCKETS = 4096

    def __init__(self):
        self.hashes = [array("q") for _ in range(self.BUCKETS)]
        self.rows = [array("L") for _ in range(self.BUCKETS)]

    def first(self, value: str, row: int) -> int | None:
        """The row `value` was first seen on, or None (and `row` is now its first)."""
        key = hash(value)
        hashes, rows = self.hashes[key % self.BUCKETS], self.rows[key % self.BUCKETS]
        index = bisect_left(hashes, key)
        if index < len(hashes) and hashes[index] == key:
            return rows[index]
        hashes.insert(index, key)
        rows.insert(index, row)
        return None


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
        self.seen = {"email": FirstRows(), "number": FirstRows(), "phone": FirstRows()}

    def _label(self, name: str) -> str:
        return self.labels.get(name, name)

    def _keys(self, parsed: Parsed) -> dict[str, str]:
        keys = {}
        if email := parsed.builtin.get("email"):
            keys["email"] = email
        if number := parsed.builtin.get("number"):
            keys["number"] = normalize(number)
        if self.job.match_key == ImportJob.MatchKey.PHONE and (phone := parsed.builtin.get("phone")):
            keys["phone"] = phone_to_digits(phone)
        return keys

    def read(self, rows: list[tuple[int, list[str]]]) -> list[Parsed]:
        return [self.reader.read(number, cells) for number, cells in rows]

    def plan(self, parsed_rows: list[Parsed], *, check_duplicates: bool) -> list[Plan]:
        """What each row does to the roster as it is now; edits the rows (what a claimed customer keeps, notes
        they already have)."""
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
        noted = self._noted([plan for plan in plans if plan.action == UPDATE and plan.parsed.note])
        for plan in plans:
            if plan.action == UPDATE:
                # The same file imported again, or our export (a customer's notes in one cell): only new text.
                parts = plan.parsed.note.split(NOTES_SEPARATOR) if plan.parsed.note else []
                fresh = [part for part in parts if (plan.customer.pk, part) not in noted]
                plan.parsed.note = NOTES_SEPARATOR.join(fresh)
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
            if earlier := self.seen[name].first(value, plan.parsed.row):
                plan.error(f"Same {self._label(name).lower()} as row {earlier}.", self.reader.column_of(name))

    def _existing(self, keys: list[dict]) -> tuple[dict, dict, dict]:
        emails = {row["email"] for row in keys if "email" in row}
        numbers = {row["number"] for row in keys if "number" in row}
        phones = {row["phone"] for row in keys if "phone" in row}
        if not (emails or numbers or phones):
            return {}, {}, {}
        found = Customer.objects.filter(  # arrays: a batch's thousands of values as three parameters
            Q(email_key__any_of=emails) | Q(number_key__any_of=numbers) | Q(phone_digits__any_of=phones)
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
                        f"{len(candidates)} customers have this phone; match by email or customer number.",
                        self.reader.column_of("phone"),
                    )
                    return
                match = candidates[0] if candidates else None
            else:
                match = (by_email if key == "email" else by_number).get(value)
        if match is None:
            if mode == ImportJob.Mode.UPDATE:
                label = self._label("phone" if key == "phone" else key).lower()
                plan.error(
                    f"No customer with this {label}." if value else f"No {label} to find the customer by.",
                    self.reader.column_of(key),
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
                    f"This {self._label(name).lower()} belongs to {holder.full_name} (#{holder.pk}).",
                    self.reader.column_of(name),
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

    def _noted(self, plans: list[Plan]) -> set[tuple[int, str]]:
        """(customer, text) of the notes these rows bring that their customers already have."""
        if not plans:
            return set()
        notes = Note.objects.filter(
            customer_id__in=[plan.customer.pk for plan in plans],
            text__in={part for plan in plans for part in plan.parsed.note.split(NOTES_SEPARATOR)},
            deleted_at=None,
        )
        return set(notes.values_list("customer_id", "text"))

    def _tag_names(self, plan: Plan, current: set[str]) -> list[str]:
        wanted = dict.fromkeys([*plan.parsed.tags, *self.everyone_tags])
        return [name for name in wanted if name.lower() not in current]

    def _keep_their_own(self, plan: Plan) -> None:
        """A customer with their own login keeps what they wrote, as with intake forms: the file only fills
        their blanks, and their marketing consent is theirs alone to give."""
        customer, parsed = plan.customer, plan.parsed
        plan.claimed = True
        parsed.builtin = {
            name: value
            for name, value in parsed.builtin.items()
            if name != "marketing_opt_in" and getattr(customer, name) in BLANK
        }
        parsed.custom = {
            name: value for name, value in parsed.custom.items() if customer.custom_data.get(name) in BLANK
        }

    def _changes(self, plan: Plan, current_tags: set[str]) -> None:
        if plan.customer.user_id:
            self._keep_their_own(plan)
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
