from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from streams.rules import Rejection
from streams.rules.dates import death_before_birth, in_future, local_date, out_of_order


@pytest.mark.parametrize(("instant", "day"), [
    (datetime(2026, 3, 1, 16, 59, tzinfo=timezone.utc), date(2026, 3, 1)),  # 23:59 in Hà Nội
    (datetime(2026, 3, 1, 17, 0, tzinfo=timezone.utc), date(2026, 3, 2)),   # midnight in Hà Nội
])
def test_today_is_the_date_in_vietnam(instant: datetime, day: date) -> None:
    assert local_date(instant) == day


@pytest.mark.parametrize(("record", "rejection"), [
    ({"date_of_birth": date(2026, 3, 1)}, None),
    ({"date_of_birth": date(2026, 3, 2)}, Rejection("date_impossible", "date_of_birth", "after the event's date (in Vietnam)")),
    ({"date_of_birth": None}, None),
])
def test_no_future_dates(record: dict[str, date | None], rejection: Rejection | None) -> None:
    assert in_future(record, ("date_of_birth",), date(2026, 3, 1)) == rejection


@pytest.mark.parametrize(("record", "rejection"), [
    ({"start_date": date(2020, 1, 1), "end_date": None}, None),
    ({"start_date": date(2020, 1, 1), "end_date": date(2020, 1, 1)}, None),  # a one-day participation
    ({"start_date": date(2020, 1, 1), "end_date": date(2019, 12, 31)},
     Rejection("date_impossible", "end_date", "before start_date")),
])
def test_end_after_start(record: dict[str, date | None], rejection: Rejection | None) -> None:
    assert out_of_order(record, (("start_date", "end_date"),)) == rejection


@pytest.mark.parametrize(("event_type", "day", "rejection"), [
    ("DEATH", date(1990, 4, 30),
     Rejection("death_before_birth", "event_date", "before the subject's date_of_birth in population.citizen")),
    ("DEATH", date(1990, 5, 1), None),       # died on the day of birth
    ("MARRIAGE", date(1980, 1, 1), None),    # other events are not this rule's business
])
def test_death_after_birth(event_type: str, day: date, rejection: Rejection | None) -> None:
    record = {"event_type": event_type, "subject_cccd": "001090000001", "event_date": day}
    assert death_before_birth(record, {"001090000001": date(1990, 5, 1)}.get) == rejection


def test_a_death_of_someone_the_register_does_not_know_is_not_checked() -> None:
    record = {"event_type": "DEATH", "subject_cccd": "001090000002", "event_date": date(1900, 1, 1)}
    assert death_before_birth(record, lambda _cccd: None) is None
