"""A person's export as a ZIP: for each part a JSON file and a CSV file (formula cells neutralized), and a
README.txt that says what each file is."""

import io
import json
import zipfile

from django.utils import timezone

from accounts.downloads import csv_lines
from accounts.tenancy import required_organization
from customers.extend import PersonData


def _table(rows) -> tuple[list[str], list[list]]:
    """Headers and rows of a part's records (a list of dicts, or already (headers, rows))."""
    if isinstance(rows, tuple):
        return rows
    headers = list(dict.fromkeys(key for row in rows for key in row))
    return headers, [[_cell(row.get(key)) for key in headers] for row in rows]


def _cell(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _records(rows) -> list[dict]:
    if isinstance(rows, tuple):
        headers, table = rows
        return [dict(zip(headers, row, strict=True)) for row in table]
    return rows


def export_zip(customer, tables: list[tuple[PersonData, object]]) -> bytes:
    organization = required_organization("An export")
    readme = [
        f"Personal data held by {organization.name} about customer #{customer.pk}",
        f"Made {timezone.localtime():%Y-%m-%d %H:%M %Z}.",
        "",
        "Each part is given twice: as JSON (<part>.json) and as a table for spreadsheets (<part>.csv).",
        "",
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part, rows in tables:
            records = _records(rows)
            archive.writestr(
                f"{part.key}.json", json.dumps(records, indent=2, ensure_ascii=False, default=str)
            )
            headers, table = _table(rows)
            archive.writestr(f"{part.key}.csv", "".join(csv_lines(headers, table)))
            readme.append(f"{part.key}.json, {part.key}.csv: {part.label} ({len(records)}). {part.describe}")
        archive.writestr("README.txt", "\n".join(readme) + "\n")
    return buffer.getvalue()
