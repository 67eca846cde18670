"""What the audit log's test modules share: the page's address and the CSV exports' reading."""

import csv
import io
import re

AUDIT = "/app/{slug}/settings/audit/"


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def file_name(response) -> str:
    return re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)
