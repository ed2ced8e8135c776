"""The SDK's one-pass encoder against the reference path (validate and normalise, then fastavro).

For every input the fast path either declines (None) or returns exactly fastavro's bytes for the normalised
value, and it never accepts what the validator refuses. Clean simulated records of all five datasets must
take the fast path (otherwise it buys nothing).
"""

from __future__ import annotations

import copy
import dataclasses
import io
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import fastavro
import pytest

from hub.catalogue import Dataset, load_catalogue
from hub.errors import ValidationError
from producers.encoding import FastWriter, long_bytes
from producers.envelope import EventEncoder, Source, _known_layout, avro_body, envelope, new_event_id
from producers.simulator import MinistriesSimulator
from producers.validation import RecordValidator

CATALOGUE = load_catalogue()
CITIZEN = CATALOGUE.get("population.citizen")
NOW = datetime(2026, 11, 27, 8, 30, 15, 123456, tzinfo=timezone.utc)


def reference(dataset: Dataset, op: str, key: str, record: Any, event_time: Any, event_id: str) -> bytes | None:
    """What the SDK wrote before the fast path: fastavro's bytes of the validated envelope, None if invalid."""
    try:
        event = envelope(dataset, op, key, record, Source(dataset.owner.code, "sdk", 3), event_time=event_time,
                         event_id=event_id, now=NOW)
    except ValidationError:
        return None
    return avro_body(dataset.parsed_envelope, event)


def fast(dataset: Dataset, op: str, key: str, record: Any, event_time: Any, event_id: str) -> bytes | None:
    return FastWriter(dataset.envelope_schema).write({
        "event_id": event_id, "op": op, "key": key, "after": record,
        "source": {"ministry": dataset.owner.code, "system": "sdk", "position": 3},
        "event_time": NOW if event_time is None else event_time, "ingest_time": NOW})


def test_simulated_records_of_every_dataset_take_the_fast_path_with_fastavros_bytes() -> None:
    changes = list(MinistriesSimulator(seed=11, dirt=0.0).changes(3000))
    assert {c.dataset for c in changes} == {d.name for d in CATALOGUE}
    writers = {d.name: FastWriter(d.envelope_schema) for d in CATALOGUE}
    mismatched, declined = [], []
    for c in changes:
        dataset = CATALOGUE.get(c.dataset)
        expected = reference(dataset, c.op, c.key, c.record, c.event_time, c.event_id)
        got = writers[c.dataset].write({
            "event_id": c.event_id, "op": c.op, "key": c.key, "after": c.record,
            "source": {"ministry": dataset.owner.code, "system": "sdk", "position": 3},
            "event_time": c.event_time, "ingest_time": NOW})
        if got is None:
            declined.append(c.dataset)
        elif got != expected:
            mismatched.append(c.event_id)
    assert (mismatched, declined) == ([], [])


def citizen(**patch: Any) -> dict[str, Any]:
    base = {"cccd": "001190012345", "full_name": "Phạm Thị Hương", "date_of_birth": date(1990, 5, 1),
            "sex": "FEMALE", "place_of_origin": "Huế", "permanent_address":
            {"line": "88 Hùng Vương", "ward_code": "19954", "province_code": "46"}, "ethnicity": "Kinh",
            "nationality": "VN", "phone": "0912345678"}
    return {**base, **patch}


class Weird(dict):  # type: ignore[type-arg]
    """A dict subclass: valid for the validator (a Mapping), not taken as is by the fast path."""


@pytest.mark.parametrize(("label", "record", "event_time"), [
    ("canonical", citizen(), None),
    ("optional fields absent: defaults", {k: v for k, v in citizen().items() if k not in ("phone", "nationality")},
     None),
    ("nested optional absent", citizen(permanent_address={"line": "x", "province_code": "01"}), None),
    ("date as ISO string", citizen(date_of_birth="1990-05-01"), None),
    ("impossible ISO date", citizen(date_of_birth="1990-02-30"), None),
    ("datetime for a date", citizen(date_of_birth=datetime(1990, 5, 1, tzinfo=timezone.utc)), None),
    ("int for a string", citizen(full_name=12), None),
    ("bool for a string", citizen(ethnicity=True), None),
    ("null for a required string", citizen(cccd=None), None),
    ("required field absent", {k: v for k, v in citizen().items() if k != "cccd"}, None),
    ("unknown field", citizen(secret="x"), None),
    ("enum symbol unknown", citizen(sex="UNKNOWN"), None),
    ("enum not a string", citizen(sex=1), None),
    ("nested record not a mapping", citizen(permanent_address="Huế"), None),
    ("mapping subclass", Weird(citizen()), None),
    ("ordered dict nested", citizen(permanent_address=OrderedDict(line="x", province_code="01")), None),
    ("lone surrogate", citizen(full_name="a\udc80b"), None),
    ("non-ASCII and long text", citizen(full_name="Nguyễn " * 400), None),
    ("event time in another zone", citizen(), datetime(2026, 1, 2, 3, 4, 5, 999999,
                                                        tzinfo=timezone(timedelta(hours=7)))),
    ("event time before 1970", citizen(), datetime(1969, 12, 31, 23, 59, 59, 500, tzinfo=timezone.utc)),
    ("event time naive", citizen(), datetime(2026, 1, 2, 3, 4, 5)),
    ("event time ISO string", citizen(), "2026-01-02T03:04:05+07:00"),
    ("event time epoch ms", citizen(), 1_767_000_000_000),
])
def test_the_fast_path_declines_or_agrees_with_the_reference(label: str, record: Any, event_time: Any) -> None:
    expected = reference(CITIZEN, "u", "001190012345", record, event_time, "e-1")
    got = fast(CITIZEN, "u", "001190012345", record, event_time, "e-1")
    assert got is None or got == expected, label
    if expected is None:
        assert got is None, label


def test_canonical_records_are_not_declined() -> None:
    defaults = {k: v for k, v in citizen().items() if k not in ("phone", "nationality", "place_of_origin")}
    assert [fast(CITIZEN, "c", "k", r, None, "e") is not None for r in (citizen(), defaults)] == [True, True]
    assert fast(CITIZEN, "d", "k", None, NOW - timedelta(days=3), "e") == reference(
        CITIZEN, "d", "k", None, NOW - timedelta(days=3), "e")


EVERY_TYPE: dict[str, Any] = {
    "type": "record", "name": "Everything", "namespace": "t", "fields": [
        {"name": "b", "type": "boolean"}, {"name": "i", "type": "int"}, {"name": "l", "type": "long"},
        {"name": "f", "type": "float"}, {"name": "d", "type": "double"}, {"name": "raw", "type": "bytes"},
        {"name": "s", "type": {"type": "string"}},
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}},
        {"name": "e2", "type": "E"},
        {"name": "fx", "type": {"type": "fixed", "name": "F", "size": 3}},
        {"name": "arr", "type": {"type": "array", "items": "long"}},
        {"name": "m", "type": {"type": "map", "values": ["null", "string"]}},
        {"name": "money", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}], "default": None},
        {"name": "late", "type": ["string", "null"], "default": "x"},
        {"name": "two", "type": ["null", "int", "string"], "default": None},
        {"name": "child", "type": ["null", "Everything"], "default": None},
        {"name": "n", "type": "int", "default": 7},
        {"name": "when", "type": {"type": "int", "logicalType": "date"}, "default": 20000},
    ]}


def every(**patch: Any) -> dict[str, Any]:
    value = {"b": True, "i": -5, "l": 2**40, "f": 1.5, "d": -2.25, "raw": b"\x00\xff", "s": "ừ", "e": "B",
             "e2": "C", "fx": b"abc", "arr": [1, -1, 3000, 2**62], "m": {"k": None, "ł": "v"},
             "money": Decimal("-1234.50"), "at_us": datetime(1965, 3, 1, 0, 0, 0, 1, tzinfo=timezone.utc),
             "day": date(2001, 1, 1), "late": None, "two": None, "child": None, "n": 1, "when": date(2020, 1, 1)}
    return {**value, **patch}


CANONICAL = [
    every(), every(arr=[], m={}), every(child=every(child=every())), every(money=Decimal("0.00")),
    every(money=Decimal("-0.01")), every(money=Decimal("9999999999.99")), every(money=Decimal("150")),
    every(i=2**31 - 1, l=-(2**63)), every(f=3, d=1e300),
    {k: v for k, v in every().items() if k not in ("day", "late", "two", "child", "n", "when")},
]
NOT_CANONICAL = [  # values the validator normalises or refuses: the fast path may only decline them
    every(money=Decimal("1.5")), every(money=Decimal("1.505")), every(money=Decimal("12345678901.00")),
    every(money=Decimal("NaN")), every(money=3), every(i=2**31), every(i=True), every(b=1), every(fx=b"ab"),
    every(arr=(1, 2)), every(m={1: "x"}), every(two=3), every(e="Z"), every(at_us=datetime(2020, 1, 1)),
    every(raw=bytearray(b"x")), every(f=float("inf")), every(day="2001-01-01"), every(s=None),
]


def fastavro_bytes(schema: dict[str, Any], value: dict[str, Any]) -> bytes | None:
    """fastavro's bytes of the validator's normalised value; None if the validator refuses it."""
    normalised, errors = RecordValidator(schema).validate(copy.deepcopy(value))
    if errors:
        return None
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(copy.deepcopy(schema)), normalised)
    return buf.getvalue()


@pytest.mark.parametrize("value", CANONICAL)
def test_every_avro_type_in_canonical_form_takes_the_fast_path(value: dict[str, Any]) -> None:
    expected = fastavro_bytes(EVERY_TYPE, value)
    assert expected is not None
    assert FastWriter(EVERY_TYPE).write(value) == expected


@pytest.mark.parametrize("value", NOT_CANONICAL)
def test_values_to_normalise_or_refuse_are_declined_or_match(value: dict[str, Any]) -> None:
    got, expected = FastWriter(EVERY_TYPE).write(value), fastavro_bytes(EVERY_TYPE, value)
    assert got is None or (expected is not None and got == expected)


def test_long_bytes_match_fastavros_zigzag_varints() -> None:
    numbers = [0, 1, -1, 63, -64, 64, 2047, 8191, -8192, 8192, 0x1FFFFF, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63),
               1_767_000_000_000]
    for n in numbers:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, "long", n)
        assert (n, long_bytes(n)) == (n, buf.getvalue())


def test_the_encoder_reports_every_bad_field_as_the_validator_does() -> None:
    with pytest.raises(ValidationError) as caught:
        EventEncoder(CITIZEN).encode("u", "k", citizen(full_name=1, sex="X"), "sdk", 1)
    assert [(e.path, e.rule) for e in caught.value.errors] == [  # type: ignore[attr-defined]
        ("full_name", "type"), ("sex", "enum")]
    assert "Phạm" not in str(caught.value)


@pytest.mark.parametrize(("key", "record", "event_id", "field", "rule"), [
    ("k", citizen(full_name="Ph\udca1m"), None, "full_name", "encoding"),
    ("k", citizen(phone="\ud800"), None, "phone", "encoding"),
    ("k\udc80", citizen(), None, "key", "text UTF-8 can encode (no lone surrogates)"),
    ("k", citizen(), "e-\udfff", "event_id", "a string, text UTF-8 can encode (no lone surrogates)"),
])
def test_a_lone_surrogate_is_a_validation_error_naming_the_field(key: str, record: dict[str, Any],
                                                                 event_id: str | None, field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        EventEncoder(CITIZEN).encode("u", key, record, "sdk", 1, event_id=event_id)
    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert "Ph" not in str(caught.value) and "\ud800" not in str(caught.value)


def test_new_event_ids_are_distinct_version_8_uuids() -> None:
    import uuid

    ids = [new_event_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert {(uuid.UUID(i).version, uuid.UUID(i).variant, str(uuid.UUID(i)) == i) for i in ids} == {
        (8, uuid.RFC_4122, True)}


def test_event_ids_of_another_process_differ() -> None:
    import multiprocessing

    ours = {new_event_id() for _ in range(1000)}
    with multiprocessing.get_context("fork").Pool(1) as pool:  # forked: the parent's generator, re-seeded
        theirs = pool.apply(_ids, (1000,))
    assert len(ours | set(theirs)) == 2000
    assert len({i[:24] for i in [*ours, *theirs]}) == 2  # one random part per process


def _ids(count: int) -> list[str]:
    return [new_event_id() for _ in range(count)]


def test_the_event_encoder_writes_fastavros_bytes_for_every_dataset() -> None:
    changes = list(MinistriesSimulator(seed=12, dirt=0.1).changes(3000))
    encoders = {d.name: EventEncoder(d) for d in CATALOGUE}
    got: list[bytes | str] = []
    expected: list[bytes | str] = []
    for i, c in enumerate(changes):
        dataset = CATALOGUE.get(c.dataset)
        try:
            event = envelope(dataset, c.op, c.key, c.record, Source(dataset.owner.code, "sdk", i),
                             event_time=c.event_time, event_id=c.event_id, now=NOW)
        except ValidationError as exc:
            expected.append(type(exc).__name__)
        else:
            expected.append(avro_body(dataset.parsed_envelope, event))
        try:
            got.append(encoders[c.dataset].encode(c.op, c.key, c.record, "sdk", i, c.event_time, c.event_id, NOW)[1])
        except ValidationError as exc:
            got.append(type(exc).__name__)
    assert got == expected
    assert sum(1 for e in expected if isinstance(e, bytes)) > 2500  # most events are valid: bytes compared


@pytest.mark.parametrize(("op", "key", "record", "position", "field"), [
    ("x", "k", citizen(), 1, "op"), (["c"], "k", citizen(), 1, "op"), ("d", "k", citizen(), 1, "after"),
    ("c", "k", None, 1, "after"), ("c", "", citizen(), 1, "key"), ("c", 7, citizen(), 1, "key"),
])
def test_the_event_encoder_refuses_bad_changes_like_envelope(op: Any, key: Any, record: Any, position: int,
                                                             field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        EventEncoder(CITIZEN).encode(op, key, record, "sdk", position)
    assert caught.value.field == field


def test_the_event_encoder_takes_odd_positions_and_times_through_the_reference_path() -> None:
    encoder = EventEncoder(CITIZEN)
    for position, when in ((2**63 - 1, NOW), (-5, "2026-01-01T00:00:00+07:00"), (0, 1_767_000_000_000)):
        event = envelope(CITIZEN, "u", "k", citizen(), Source("BCA", "sdk", position), event_time=when,
                         event_id="e", now=NOW)
        assert encoder.encode("u", "k", citizen(), "sdk", position, when, "e", NOW) == (
            "e", avro_body(CITIZEN.parsed_envelope, event))


def test_an_envelope_of_another_layout_takes_the_generic_writer_with_fastavros_bytes() -> None:
    schema = copy.deepcopy(CITIZEN.envelope_schema)
    schema["fields"].append({"name": "trace", "type": ["null", "string"], "default": None})
    other = dataclasses.replace(CITIZEN, envelope_schema=schema)
    event = envelope(other, "u", "k", citizen(), Source("BCA", "sdk", 5), event_id="e", now=NOW)
    assert EventEncoder(other).encode("u", "k", citizen(), "sdk", 5, None, "e", NOW) == (
        "e", avro_body(other.parsed_envelope, event))
    assert (_known_layout(other.envelope_schema), [_known_layout(d.envelope_schema) for d in CATALOGUE]) == (
        False, [True for _ in CATALOGUE])
