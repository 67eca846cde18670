"""Dates as people type them in a file (03/14/2015, 14.03.2015, 2015-03-14), read in the order the file uses;
shared by the value guess of the mapping, its date preview and the row checks."""

import re
from collections import Counter
from datetime import date

from django.utils import timezone

DATE_FORMATS = {
    "auto": "Detect from the file",
    "mdy": "Month/day/year (03/31/2024)",
    "dmy": "Day/month/year (31/03/2024)",
    "ymd": "Year-month-day (2024-03-31)",
}
_DATE_PARTS = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:[ T].*)?$")


class CellError(ValueError):
    """A cell's value cannot be used; the message says what is expected."""


def parse_date(text: str, order: str) -> date:
    """A date as people type it; four-digit first means year first whatever the order."""
    match = _DATE_PARTS.match(text)
    if not match:
        raise CellError(f"“{text[:40]}” is not a date ({DATE_FORMATS[order if order != 'auto' else 'mdy']}).")
    first, second, third = match.groups()
    if len(first) == 4:
        year, month, day = first, second, third
    elif order == "dmy":
        day, month, year = first, second, third
    else:
        month, day, year = first, second, third
    year = int(year)
    if year < 100:  # two digits: the most recent such year that is not in the future
        century = timezone.localdate().year // 100 * 100
        year = century + year if century + year <= timezone.localdate().year else century - 100 + year
    try:
        return date(year, int(month), int(day))
    except ValueError as error:
        raise CellError(
            f"“{text[:40]}” is not a date ({DATE_FORMATS[order if order != 'auto' else 'mdy']})."
        ) from error


def guess_date_order(values: list[str]) -> str:
    """Day first if more values can only be day/month (31/03/2024) than month/day (03/31/2024); else the
    US order."""
    votes = Counter()
    for value in values:
        match = _DATE_PARTS.match(value)
        if match and len(match.group(1)) <= 2:
            first, second = int(match.group(1)), int(match.group(2))
            votes["dmy"] += first > 12 >= second
            votes["mdy"] += second > 12 >= first
    return "dmy" if votes["dmy"] > votes["mdy"] else "mdy"


def is_date(value: str) -> bool:
    """A date in one order or the other: what the mapping page shows as the file's dates."""
    for order in ("mdy", "dmy"):
        try:
            parse_date(value, order)
        except CellError:
            continue
        return True
    return False
