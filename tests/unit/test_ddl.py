from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from hub.catalogue import load_catalogue
from sinks.ddl import history_columns, nullable, record_columns, scalar_type
from sinks.rows import Located, to_columns


@pytest.mark.parametrize(
    ("avro", "clickhouse"),
    [
        ("string", "String"),
        ("bytes", "String"),
        ("int", "Int32"),
        ("long", "Int64"),
        ("float", "Float32"),
        ("double", "Float64"),
        ("boolean", "Bool"),
        (["null", "string"], "Nullable(String)"),
        (["null", "long", "string"], "String"),
        ({"type": "int", "logicalType": "date"}, "Date32"),
        ({"type": "long", "logicalType": "timestamp-millis"}, "DateTime64(3, 'UTC')"),
        ({"type": "long", "logicalType": "timestamp-micros"}, "DateTime64(6, 'UTC')"),
        ({"type": "bytes", "logicalType": "decimal", "precision": 20, "scale": 2}, "Decimal(20, 2)"),
        ({"type": "enum", "name": "E", "symbols": ["A"]}, "LowCardinality(String)"),
        (["null", {"type": "enum", "name": "E", "symbols": ["A"]}], "LowCardinality(Nullable(String))"),
        ({"type": "fixed", "name": "F", "size": 16}, "FixedString(16)"),
        ({"type": "array", "items": "string"}, "Array(String)"),
        ({"type": "map", "values": "long"}, "Map(String, Int64)"),
    ],
)
def test_scalar_type(avro: object, clickhouse: str) -> None:
    assert scalar_type(avro) == clickhouse


def test_nullable_leaves_composites_alone() -> None:
    assert [nullable(t) for t in ("Int32", "Array(String)", "Map(String, Int64)", "Nullable(String)")] == [
        "Nullable(Int32)", "Array(String)", "Map(String, Int64)", "Nullable(String)"]


def test_nested_records_are_flattened() -> None:
    record = {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": "int"},
        {"name": "addr", "type": {"type": "record", "name": "A", "fields": [
            {"name": "line", "type": "string"}, {"name": "tags", "type": {"type": "array", "items": "string"}}]}},
    ]}
    assert [(c.name, c.type, c.path) for c in record_columns(record)] == [
        ("a", "Nullable(Int32)", ("after", "a")),
        ("addr_line", "Nullable(String)", ("after", "addr", "line")),
        ("addr_tags", "Array(String)", ("after", "addr", "tags")),
    ]


def test_citizen_history_columns_and_rows() -> None:
    dataset = load_catalogue().get("population.citizen")
    columns = history_columns(dataset)
    names = [c.name for c in columns]
    assert names[:11] == ["_topic", "_partition", "_offset", "event_id", "op", "key", "source_ministry",
                          "source_system", "source_position", "event_time", "ingest_time"]
    assert "permanent_address_province_code" in names
    t = datetime(2026, 1, 1, tzinfo=timezone.utc)
    event = {"event_id": "e1", "op": "d", "key": "001", "after": None, "event_time": t, "ingest_time": t,
             "source": {"ministry": "BCA", "system": "s", "position": 5}}
    created = dict(event, op="c", event_id="e2", after={
        "cccd": "001", "full_name": "A", "date_of_birth": date(1990, 1, 1), "sex": "MALE", "place_of_origin": None,
        "permanent_address": {"line": "x", "ward_code": None, "province_code": "01"}, "ethnicity": "Kinh",
        "nationality": "VN", "phone": None})
    cols = dict(zip(names, to_columns(columns, [Located("t", 1, 10, event), Located("t", 1, 11, created)])))
    assert cols["_offset"] == [10, 11]
    assert cols["source_position"] == [5, 5]
    assert cols["cccd"] == [None, "001"]
    assert cols["permanent_address_province_code"] == [None, "01"]
