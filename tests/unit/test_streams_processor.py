from __future__ import annotations

import copy
import unicodedata
from datetime import date, datetime, timezone
from typing import Any

import fastavro
import pytest

from hub import wire
from hub.catalogue import load_catalogue
from streams.base import Accepted, Duplicate, Event, Rejected
from streams.clean_schema import clean_envelope_schema
from streams.ordering import KeyState, version_of
from streams.processor import DatasetProcessor
from streams.rules import Rejection

CATALOGUE = load_catalogue()
CITIZENS = CATALOGUE.get("population.citizen")
RAW_ID, CLEAN_ID, OTHER_ID = 1, 2, 3
T0 = datetime(2026, 3, 1, 5, 0, tzinfo=timezone.utc)
SCHEMAS = {RAW_ID: CITIZENS.envelope_schema, CLEAN_ID: clean_envelope_schema(CITIZENS),
           OTHER_ID: CATALOGUE.get("land.parcel").envelope_schema}


def citizen(**changes: Any) -> dict[str, Any]:
    record = {"cccd": "001090000001", "full_name": "Nguyễn Văn An", "date_of_birth": date(1990, 5, 1), "sex": "MALE",
              "place_of_origin": "Tỉnh Nam Định",
              "permanent_address": {"line": "Số 1 Tràng Tiền", "ward_code": "00097", "province_code": "01"},
              "ethnicity": "Kinh", "nationality": "VN", "phone": "+84912345678"}
    return {**record, **changes}


def envelope(event_id: str = "e1", op: str = "c", after: dict[str, Any] | None = None, key: str = "001090000001",
             at: datetime = T0, position: int = 1) -> dict[str, Any]:
    return {"event_id": event_id, "op": op, "key": key, "after": citizen() if after is None and op != "d" else after,
            "source": {"ministry": "BCA", "system": "s", "position": position}, "event_time": at, "ingest_time": at}


def framed(event: dict[str, Any], schema_id: int = RAW_ID) -> bytes:
    return wire.encode(schema_id, fastavro.parse_schema(copy.deepcopy(SCHEMAS[schema_id])), event)


@pytest.fixture
def schemas() -> wire.SchemaCache:
    return wire.SchemaCache(lambda schema_id: SCHEMAS[schema_id])


@pytest.fixture
def processor(schemas: wire.SchemaCache) -> DatasetProcessor:
    return DatasetProcessor(CITIZENS, schemas, CLEAN_ID, clean_envelope_schema(CITIZENS))


def decoded(processor: DatasetProcessor, event: dict[str, Any]) -> Event:
    result = processor.decode(framed(event), event["key"].encode())
    assert isinstance(result, Event)
    return result


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty"), (b"\x00\x00", "short_frame"), (b"{\"json\": true}", "bad_magic"),
    (b"\x00\x00\x00\x00\x01\xff\xff", "avro_decode"),
])
def test_undecodable_bytes_are_rejected_with_the_wire_code(processor: DatasetProcessor, raw: bytes,
                                                           reason: str) -> None:
    result = processor.decode(raw, b"k")
    assert isinstance(result, Rejected)
    assert (result.rejection.reason, result.rejection.field, result.event_id) == (reason, "", None)


@pytest.mark.parametrize(("event", "kafka_key", "rejection"), [
    (envelope(op="d", after=citizen()), b"001090000001", Rejection("op_mismatch", "after", "null exactly when op is d (delete)")),
    (envelope(op="u", after=None) | {"after": None}, b"001090000001",
     Rejection("op_mismatch", "after", "null exactly when op is d (delete)")),
    (envelope(), b"001090000002", Rejection("key_mismatch", "key", "the Kafka message key is not the envelope's key")),
    (envelope(), None, Rejection("key_mismatch", "key", "the Kafka message key is not the envelope's key")),
    (envelope(key="001090000002"), b"001090000002",
     Rejection("key_mismatch", "cccd", "the record's key fields do not make the envelope's key")),
])
def test_messages_that_are_no_event_of_the_dataset(processor: DatasetProcessor, event: dict[str, Any],
                                                   kafka_key: bytes | None, rejection: Rejection) -> None:
    assert processor.decode(framed(event), kafka_key) == Rejected(rejection, "e1", event["source"]["system"])


def test_a_clean_event_is_framed_with_the_clean_schema(processor: DatasetProcessor,
                                                       schemas: wire.SchemaCache) -> None:
    dirty = citizen(full_name=unicodedata.normalize("NFD", " NGUYỄN  VĂN AN"), phone="0162 345 6789",
                    permanent_address={"line": "Soá 1 Traøng Tieàn", "ward_code": "00001", "province_code": "01"})
    outcome = processor.judge(decoded(processor, envelope(after=dirty)), None)
    assert isinstance(outcome, Accepted)
    expected_after = {**citizen(phone="+84323456789"), "original_permanent_address_province_code": "01",
                      "original_permanent_address_ward_code": "00001"}
    assert schemas.decode(outcome.value) == (CLEAN_ID, envelope(after=expected_after))
    assert (outcome.late, outcome.state, outcome.current) == (
        False, KeyState(version_of(T0, 1), ("e1",)), citizen(phone="+84323456789"))


def test_a_rule_rejection_names_reason_and_field(processor: DatasetProcessor) -> None:
    outcome = processor.judge(decoded(processor, envelope(after=citizen(sex="FEMALE"))), None)
    assert outcome == Rejected(Rejection("cccd_inconsistent", "cccd",
                                         "digit 4 (sex and century of birth) contradicts sex and date_of_birth"), "e1")


def test_duplicates_are_dropped_before_anything_else(processor: DatasetProcessor) -> None:
    state = KeyState(version_of(T0, 1), ("e0", "e1"))
    assert processor.judge(decoded(processor, envelope(after=citizen(sex="FEMALE"))), state) == Duplicate("e1")


@pytest.mark.parametrize(("at", "position", "late"), [
    (T0, 4, False),                                   # same time, later position
    (T0, 3, True),                                    # the current event itself: not newer
    (T0, 2, True),                                    # same time, earlier position
    (datetime(2026, 3, 1, 4, 0, tzinfo=timezone.utc), 9, True),   # earlier time, whatever the position
    (datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc), 1, False),  # later time, whatever the position
])
def test_an_older_event_is_late_and_does_not_become_current(processor: DatasetProcessor, at: datetime,
                                                             position: int, late: bool) -> None:
    state = KeyState(version_of(T0, 3), ("e0",))
    outcome = processor.judge(decoded(processor, envelope(at=at, position=position)), state)
    assert isinstance(outcome, Accepted)
    assert (outcome.late, outcome.state) == (
        late, KeyState(max(state.version, version_of(at, position)), ("e1", "e0")))


def test_a_delete_is_accepted_and_becomes_current(processor: DatasetProcessor, schemas: wire.SchemaCache) -> None:
    outcome = processor.judge(decoded(processor, envelope(op="d", position=5)), KeyState(version_of(T0, 3), ("e0",)))
    assert isinstance(outcome, Accepted)
    assert (outcome.late, outcome.current, schemas.decode(outcome.value)) == (
        False, None, (CLEAN_ID, envelope(op="d", after=None, position=5)))


def test_death_before_birth_uses_the_births_it_is_given(schemas: wire.SchemaCache) -> None:
    civil = CATALOGUE.get("civil_status.event")
    raw = {**SCHEMAS, 7: civil.envelope_schema}
    processor = DatasetProcessor(civil, wire.SchemaCache(raw.__getitem__), CLEAN_ID, clean_envelope_schema(civil))
    record = {"civil_event_id": "KT1", "event_type": "DEATH", "subject_cccd": "001090000001",
              "second_party_cccd": None, "event_date": date(1980, 1, 1), "occurred_at": None,
              "registration_ward_code": "00097", "registration_province_code": "01", "registration_number": "5/2026",
              "registration_date": date(2026, 2, 21)}
    event = {**envelope(key="KT1"), "after": record}
    value = wire.encode(7, fastavro.parse_schema(copy.deepcopy(civil.envelope_schema)), event)
    decoded_event = processor.decode(value, b"KT1")
    assert isinstance(decoded_event, Event)
    births = {"001090000001": date(1990, 5, 1)}
    unknown = processor.judge(decoded_event, None)
    known = processor.judge(decoded_event, None, births.get)
    assert isinstance(unknown, Accepted)
    assert known == Rejected(Rejection("death_before_birth", "event_date",
                                       "before the subject's date_of_birth in population.citizen"), "e1")


def test_a_record_from_a_looser_writer_schema_is_checked_against_the_catalogue() -> None:
    loose = copy.deepcopy(CITIZENS.envelope_schema)
    record = next(t for f in loose["fields"] if f["name"] == "after" for t in f["type"] if isinstance(t, dict))
    for f in record["fields"]:
        if f["name"] == "ethnicity":
            f["type"], f["default"] = ["null", "string"], None
    schemas = wire.SchemaCache({RAW_ID: loose, CLEAN_ID: SCHEMAS[CLEAN_ID]}.__getitem__)
    processor = DatasetProcessor(CITIZENS, schemas, CLEAN_ID, clean_envelope_schema(CITIZENS))
    event = envelope(after=citizen(ethnicity=None))
    value = wire.encode(RAW_ID, fastavro.parse_schema(copy.deepcopy(loose)), event)
    decoded_event = processor.decode(value, b"001090000001")
    assert isinstance(decoded_event, Event)
    assert processor.judge(decoded_event, None) == Rejected(
        Rejection("required_missing", "ethnicity", "absent or null, and neither nullable nor defaulted"), "e1")


def test_a_value_that_does_not_fit_the_clean_schema_names_its_field(processor: DatasetProcessor) -> None:
    event = decoded(processor, envelope())
    odd = Event(event.schema_id, {**event.envelope, "after": {**citizen(), "ethnicity": 12}})
    assert processor.judge(odd, None) == Rejected(
        Rejection("schema_mismatch", "ethnicity", "does not fit the catalogue's schema"), "e1")


def test_a_failure_inside_the_rules_rejects_only_that_message(processor: DatasetProcessor) -> None:
    def broken(_cccd: str) -> date | None:
        raise RuntimeError("boom")

    civil = CATALOGUE.get("civil_status.event")
    p = DatasetProcessor(civil, wire.SchemaCache(SCHEMAS.__getitem__), CLEAN_ID, clean_envelope_schema(civil))
    record = {"civil_event_id": "KT1", "event_type": "DEATH", "subject_cccd": "001090000001",
              "second_party_cccd": None, "event_date": date(2020, 1, 1), "occurred_at": None,
              "registration_ward_code": "00097", "registration_province_code": "01", "registration_number": "5/2026",
              "registration_date": date(2026, 2, 21)}
    event = Event(RAW_ID, {**envelope(key="KT1"), "after": record})
    assert p.judge(event, None, broken) == Rejected(Rejection("processing_failed", "", "RuntimeError"), "e1")
