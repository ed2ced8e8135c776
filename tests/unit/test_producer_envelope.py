from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from hub.catalogue import load_catalogue
from hub.errors import ValidationError
from producers.envelope import Source, envelope
from producers.simulator import PopulationSimulator, cccd

CITIZEN = load_catalogue().get("population.citizen")
SOURCE = Source("BCA", "test", 1)


def record() -> dict:
    return {"cccd": "001090000001", "full_name": "Nguyễn Văn An", "date_of_birth": date(1990, 5, 1), "sex": "MALE",
            "place_of_origin": None, "permanent_address": {"line": "1 Tràng Tiền", "ward_code": None,
                                                           "province_code": "01"},
            "ethnicity": "Kinh", "nationality": "VN", "phone": None}


def test_envelope_carries_source_times_and_record() -> None:
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    event = envelope(CITIZEN, "c", "001090000001", record(), SOURCE, event_id="e-1", now=now)
    assert event == {"event_id": "e-1", "op": "c", "key": "001090000001", "after": record(),
                     "source": {"ministry": "BCA", "system": "test", "position": 1},
                     "event_time": now, "ingest_time": now}


@pytest.mark.parametrize(
    ("op", "key", "patch", "field", "rule"),
    [
        ("x", "k", {}, "op", "one of c/u/d/r"),
        ("d", "k", {}, "after", "null for deletes (op d), a record otherwise"),
        ("c", "", {}, "key", "non-empty string"),
        ("c", "k", {"full_name": 12}, "full_name", "type"),
        ("c", "k", {"sex": "UNKNOWN"}, "sex", "enum"),
        ("c", "k", {"permanent_address": {"line": "x", "ward_code": None}}, "permanent_address.province_code",
         "required"),
    ],
)
def test_bad_events_name_the_field_and_rule(op: str, key: str, patch: dict, field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as info:
        envelope(CITIZEN, op, key, {**record(), **patch}, SOURCE)
    assert (info.value.field, info.value.rule) == (field, rule)


def test_validation_error_never_quotes_the_value() -> None:
    with pytest.raises(ValidationError) as info:
        envelope(CITIZEN, "c", "k", {**record(), "date_of_birth": "Nguyễn bí mật"}, SOURCE)
    assert "bí mật" not in str(info.value)


def test_simulator_is_reproducible_and_valid() -> None:
    first = list(PopulationSimulator(seed=3).changes(300))
    assert first == list(PopulationSimulator(seed=3).changes(300))
    assert first != list(PopulationSimulator(seed=4).changes(300))
    assert {c.op for c in first} == {"c", "u"}
    for change in first:
        envelope(CITIZEN, change.op, change.key, change.record, SOURCE)  # raises if invalid
        assert change.record is not None
        assert change.key == change.record["cccd"] and len(change.key) == 12 and change.key.isdigit()


def test_cccd_layout() -> None:
    assert cccd("01", female=True, birth=date(2003, 2, 1), serial=42) == "001303000042"
    assert cccd("79", female=False, birth=date(1985, 2, 1), serial=7) == "079085000007"
