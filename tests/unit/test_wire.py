from __future__ import annotations

import fastavro
import pytest

from hub import wire
from hub.errors import SchemaNotFound, WireFormatError

SCHEMA = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "long"}, {"name": "s", "type": "string"}]}


def fetch(schema_id: int) -> dict:
    if schema_id != 7:
        raise SchemaNotFound(schema_id=schema_id)
    return SCHEMA


def test_encode_is_confluent_framed() -> None:
    data = wire.encode(7, fastavro.parse_schema(SCHEMA), {"a": 1, "s": "x"})
    assert data[:5] == b"\x00\x00\x00\x00\x07"
    assert wire.unframe(data)[0] == 7


def test_decode_round_trip_parses_each_schema_once() -> None:
    calls: list[int] = []

    def counting(schema_id: int) -> dict:
        calls.append(schema_id)
        return fetch(schema_id)

    cache = wire.SchemaCache(counting)
    parsed = fastavro.parse_schema(SCHEMA)
    for i in range(3):
        assert cache.decode(wire.encode(7, parsed, {"a": i, "s": "é"})) == (7, {"a": i, "s": "é"})
    assert calls == [7]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (None, "empty"),
        (b"", "empty"),
        (b"\x00\x00", "short_frame"),
        (b"\x01\x00\x00\x00\x07abc", "bad_magic"),
        (b"\x00\x00\x00\x00\x09\x02\x02x", "unknown_schema"),
        (b"\x00\x00\x00\x00\x07", "avro_decode"),
        (b"\x00\x00\x00\x00\x07\x02\xff\xff\xff\xff\xff", "avro_decode"),
    ],
)
def test_bad_frames_get_a_reason_code(message: bytes | None, code: str) -> None:
    with pytest.raises(WireFormatError) as info:
        wire.SchemaCache(fetch).decode(message)
    assert info.value.code == code


def test_decode_resolves_writer_to_reader_schema() -> None:
    v2 = {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": "double"},  # promoted from long
        {"name": "tag", "type": "string", "default": "none"},  # added with a default; "s" removed
    ]}
    message = wire.encode(7, fastavro.parse_schema(SCHEMA), {"a": 3, "s": "x"})
    assert wire.SchemaCache(fetch).decode(message, reader=fastavro.parse_schema(v2)) == (7, {"a": 3.0, "tag": "none"})


def test_raw_times_decode_dates_and_timestamps_as_ints() -> None:
    schema = {"type": "record", "name": "T", "fields": [
        {"name": "d", "type": {"type": "int", "logicalType": "date"}},
        {"name": "t", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
        {"name": "m", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
    ]}
    from datetime import date, datetime, timezone
    from decimal import Decimal

    value = {"d": date(2026, 1, 2), "t": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "m": Decimal("1.50")}
    message = wire.encode(1, fastavro.parse_schema(schema), value)
    assert wire.SchemaCache(lambda _: schema, raw_times=True).decode(message) == (
        1, {"d": 20455, "t": 1767323045000, "m": Decimal("1.50")})
    assert wire.SchemaCache(lambda _: schema).decode(message) == (1, value)
