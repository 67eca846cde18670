"""Reading what an API client sends: the body streamed to a temporary file within the size limit, and a JSON
array of customers turned into the CSV every import reads."""

import csv
import io
import json
import tempfile
from contextlib import contextmanager

from django.conf import settings
from django.core.files import File

from imports.mapping import exact_targets

JSON_MAX_BYTES = 10 * 1024 * 1024  # parsed whole, unlike CSV: larger lists go as CSV


class BodyError(ValueError):
    """The request body cannot be imported; the message says why, for the client's developer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@contextmanager
def spooled_body(request):
    """The body as a File (a temporary one once large), refused (413) past the import size limit without
    reading it all."""
    limit = settings.IMPORT_MAX_BYTES
    declared = int(request.headers.get("Content-Length") or 0)
    if declared > limit:
        raise BodyError(f"The body is {declared:,} bytes; an import takes up to {limit:,}.", 413)
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as spooled:
        size = 0
        while chunk := request.read(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise BodyError(f"The body is over {limit:,} bytes, the import limit.", 413)
            spooled.write(chunk)
        if size == 0:
            raise BodyError("The body is empty: send a JSON array of customers or a CSV file.")
        spooled.seek(0)
        file = File(spooled)
        file.size = size
        yield file


def json_to_csv(file: File) -> tuple[File, list[str]]:
    """A JSON array of customer objects as a CSV file, and the mapping of its columns."""
    if file.size > JSON_MAX_BYTES:
        raise BodyError(f"JSON bodies take up to {JSON_MAX_BYTES:,} bytes; send larger lists as CSV.", 413)
    try:
        rows = json.load(io.TextIOWrapper(file, encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BodyError(f"The body is not valid JSON ({error}).") from error
    if not isinstance(rows, list) or not rows:
        raise BodyError('Send a JSON array of customer objects, e.g. [{"first_name": "Ana", …}].')
    known, columns = exact_targets(), {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise BodyError(f"Item {number} is not an object.")
        columns.update(dict.fromkeys(row))
    unknown = [key for key in columns if key not in known]
    if unknown:
        raise BodyError(
            f"Unknown fields: {', '.join(sorted(unknown)[:20])}. Known: {', '.join(sorted(known))}."
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for number, row in enumerate(rows, start=1):
        writer.writerow([_cell(number, key, row.get(key)) for key in columns])
    data = buffer.getvalue().encode()
    csv_file = File(io.BytesIO(data))
    csv_file.size = len(data)
    return csv_file, [known[key] for key in columns]


def _cell(number: int, key: str, value) -> str:
    match value:
        case None:
            return ""
        case bool():
            return "yes" if value else "no"
        case str() | int() | float():
            return str(value)
        case list() if all(isinstance(item, str | int | float) for item in value):
            return ", ".join(str(item) for item in value)
    raise BodyError(f"Item {number}: “{key}” must be text, a number, true/false or a list of those.")
