"""What every report is asked for (a period in the organization's time zone, grouped by week or month, over a
population: everyone, or a saved segment as the staff member sees it) and what it answers: its tables."""

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from customers.models import Segment


@dataclass(frozen=True)
class ReportQuery:
    start: date  # first day, inclusive
    end: date  # last day, inclusive
    every: Literal["week", "month"]
    membership: object  # the staff member's Membership: a segment's filters are read as they see them
    segment: Segment | None = None


@dataclass(frozen=True)
class ReportTable:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
