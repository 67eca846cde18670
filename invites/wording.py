"""The invitation email's wording: staff write it with {{ placeholders }}."""

import re

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace {{ name }} placeholders; unknown names stay as written (no attribute access, no formatting)."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), template)
