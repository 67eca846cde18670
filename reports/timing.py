"""When a scheduled report goes out next: a wall-clock hour in the organization's time zone, turned into UTC
with zoneinfo, so a weekly 9:00 stays 9:00 across daylight-saving changes."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reports.models import Frequency


def next_run(
    *, frequency: str, weekday: int | None, day_of_month: int | None, hour: int, zone: str, after: datetime
) -> datetime:
    """The first moment after `after` (UTC) that falls on the schedule's day and hour, locally. An hour the
    clocks skip (2:00 on the spring-forward night) runs an hour later; one they repeat runs the first time."""
    local_zone = ZoneInfo(zone)
    day = after.astimezone(local_zone).date()
    for _ in range(62):  # a month and a bit always holds the next weekday or day of the month
        on_schedule = day.weekday() == weekday if frequency == Frequency.WEEKLY else day.day == day_of_month
        if on_schedule:
            moment = datetime.combine(day, time(hour), local_zone).astimezone(UTC)
            if moment > after:
                return moment
        day += timedelta(days=1)
    raise ValueError(f"No day fits the schedule {frequency} {weekday} {day_of_month}.")
