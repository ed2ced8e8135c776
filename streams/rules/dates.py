"""Dates that cannot be true: in the future, in the wrong order, a death before the birth (pure).

"Today" is the calendar date in Vietnam (UTC+7) at the event's ``event_time``, not at processing time:
replaying old events must give the same answer as processing them when they happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from streams.rules.base import DATE_IMPOSSIBLE, DEATH_BEFORE_BIRTH, Rejection

VIETNAM_TIME = timezone(timedelta(hours=7))


def local_date(instant: datetime) -> date:
    """The calendar date in Vietnam (UTC+7) at ``instant``."""
    return instant.astimezone(VIETNAM_TIME).date()


def in_future(record: dict[str, Any], fields: Iterable[str], today: date) -> Rejection | None:
    """The first of ``fields`` (dates, None allowed) that is after ``today``."""
    for name in fields:
        value = record.get(name)
        if isinstance(value, date) and value > today:
            return Rejection(DATE_IMPOSSIBLE, name, "after the event's date (in Vietnam)")
    return None


def out_of_order(record: dict[str, Any], pairs: Iterable[tuple[str, str]]) -> Rejection | None:
    """The first (earlier, later) pair of date fields where ``later`` is before ``earlier`` (None skips)."""
    for earlier, later in pairs:
        first, second = record.get(earlier), record.get(later)
        if isinstance(first, date) and isinstance(second, date) and second < first:
            return Rejection(DATE_IMPOSSIBLE, later, f"before {earlier}")
    return None


def death_before_birth(record: dict[str, Any], birth_of: Callable[[str], date | None]) -> Rejection | None:
    """A civil-status DEATH whose ``event_date`` is before the subject's date of birth as the population
    register gives it (``birth_of``); not checked when the register does not know the subject."""
    if record.get("event_type") != "DEATH":
        return None
    born = birth_of(record["subject_cccd"])
    if born is not None and record["event_date"] < born:
        return Rejection(DEATH_BEFORE_BIRTH, "event_date", "before the subject's date_of_birth in population.citizen")
    return None
