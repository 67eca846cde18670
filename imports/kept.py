"""The dry run's parsed rows, kept for the run: the run reads them instead of the file, so it checks again
only what the roster may have changed since (who matches, what differs, clashes), not every cell. They are
kept beside the uploaded file, in its organization's folder, and used only while the rules they were read
with are the same (custom fields and their options, required fields, the date order, today's date for
birthday bounds); otherwise the run reads and checks the file again. They go when the job ends."""

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from customers.fields import customer_fields
from customers.models import CustomField, CustomFieldOption, FieldType
from customers.rules import Channel, channel_rules
from imports.models import ImportJob
from imports.validation import Parsed

DATE_BUILTINS = frozenset({"birthday"})


def _path(job: ImportJob) -> Path:
    """Beside the upload, in its own random folder: the only other file there is the upload itself."""
    upload = Path(job.file.path)
    return upload.with_name(f"{upload.name}.rows")


def rules_fingerprint(job: ImportJob) -> str:
    """What reading a row depends on besides its cells."""
    rules = [
        list(CustomField.objects.order_by("pk").values_list()),
        list(CustomFieldOption.objects.order_by("pk").values_list()),
        sorted(channel_rules(Channel.STAFF).items()),
        [job.mapping, job.date_format, job.headers],
        timezone.localdate(),
    ]
    return hashlib.sha256(repr(rules).encode()).hexdigest()


def _cell(value):
    return str(value) if isinstance(value, date | Decimal) else value


class KeptRows:
    """Written by the dry run batch by batch; in place only once the dry run has read the whole file."""

    def __init__(self, job: ImportJob):
        self.path = _path(job)
        self.partial = self.path.with_name(f"{self.path.name}.partial")
        self.file = self.partial.open("w", encoding="utf-8")
        self.file.write(json.dumps({"rules": rules_fingerprint(job)}) + "\n")

    def add(self, parsed_rows: list[Parsed]) -> None:
        """Before planning, which edits the rows it plans."""
        self.file.writelines(
            json.dumps(
                [
                    parsed.row,
                    {name: _cell(value) for name, value in parsed.builtin.items()},
                    {name: _cell(value) for name, value in parsed.custom.items()},
                    parsed.tags,
                    parsed.note,
                ],
                ensure_ascii=False,
            )
            + "\n"
            for parsed in parsed_rows
        )

    def close(self, *, complete: bool) -> None:
        self.file.close()
        if complete:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


def kept_rows(job: ImportJob, start: int) -> Iterator[Parsed] | None:
    """The kept rows of the file's data rows after the `start`-th (as engine.data_rows counts), or None when
    there are none or the rules changed since."""
    try:
        file = _path(job).open(encoding="utf-8")
    except FileNotFoundError:
        return None
    if json.loads(file.readline() or "{}").get("rules") != rules_fingerprint(job):
        file.close()
        return None
    registry = customer_fields(include_retired=True)
    custom_types = {item.name: item.custom.type for item in registry if item.custom}
    dates = {name for name, kind in custom_types.items() if kind == FieldType.DATE}
    numbers = {name for name, kind in custom_types.items() if kind == FieldType.NUMBER}

    def rows():
        with file:
            for line in file:
                row, builtin, custom, tags, note = json.loads(line)
                if row <= start + 1:  # done before a restart
                    continue
                for name in DATE_BUILTINS.intersection(builtin):
                    builtin[name] = date.fromisoformat(builtin[name])
                for name in custom.keys() & dates:
                    custom[name] = date.fromisoformat(custom[name])
                for name in custom.keys() & numbers:
                    custom[name] = Decimal(custom[name])
                yield Parsed(row=row, builtin=builtin, custom=custom, tags=tags, note=note)

    return rows()


def kept_rows_delete(job: ImportJob) -> None:
    path = _path(job)
    path.unlink(missing_ok=True)
    path.with_name(f"{path.name}.partial").unlink(missing_ok=True)
