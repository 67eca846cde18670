"""What the audit log's test modules share: the page's address and the export's file name."""

import re

AUDIT = "/app/{slug}/settings/audit/"


def file_name(response) -> str:
    return re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)
