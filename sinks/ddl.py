"""ClickHouse tables generated from the catalogue's Avro schemas (pure).

Type mapping (the ``after`` record is flattened; nested record fields are joined with ``_``):

=============================  ==================================================
Avro                           ClickHouse
=============================  ==================================================
string, bytes                  String
int / long                     Int32 / Int64
float / double                 Float32 / Float64
boolean                        Bool
enum                           LowCardinality(String) (new symbols need no ALTER)
fixed(n)                       FixedString(n)
int date                       Date32
long timestamp-millis/micros   DateTime64(3/6, 'UTC')
bytes/fixed decimal(p, s)      Decimal(p, s)
array<T> / map<T>              Array(T) / Map(String, T)
["null", T]                    Nullable(T) (LowCardinality(Nullable(String)) for enums)
=============================  ==================================================

Record columns are Nullable because a delete event carries no record; arrays and maps, which cannot be
Nullable in ClickHouse, are empty instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.catalogue import Dataset


@dataclass(frozen=True)
class Column:
    """A table column and where its value sits in the decoded envelope."""

    name: str
    type: str
    path: tuple[str, ...]


ENVELOPE_COLUMNS = (
    Column("event_id", "String", ("event_id",)),
    Column("op", "LowCardinality(String)", ("op",)),
    Column("key", "String", ("key",)),
    Column("source_ministry", "LowCardinality(String)", ("source", "ministry")),
    Column("source_system", "LowCardinality(String)", ("source", "system")),
    Column("source_position", "Int64", ("source", "position")),
    Column("event_time", "DateTime64(3, 'UTC')", ("event_time",)),
    Column("ingest_time", "DateTime64(3, 'UTC')", ("ingest_time",)),
)
KAFKA_COLUMNS = (
    Column("_topic", "LowCardinality(String)", ()),
    Column("_partition", "UInt32", ()),
    Column("_offset", "UInt64", ()),
)

_PRIMITIVES = {"string": "String", "bytes": "String", "int": "Int32", "long": "Int64",
               "float": "Float32", "double": "Float64", "boolean": "Bool"}
_CANNOT_BE_NULLABLE = ("Array(", "Map(", "LowCardinality(Nullable", "Nullable(")


def scalar_type(avro: Any) -> str:
    """ClickHouse type of a non-record Avro type."""
    if isinstance(avro, list):
        branches = [t for t in avro if t != "null"]
        if len(branches) != 1:
            return "String"  # multi-branch unions are stored as their JSON text
        inner = scalar_type(branches[0])
        return nullable(inner) if "null" in avro else inner
    if isinstance(avro, str):
        return _PRIMITIVES.get(avro, "String")
    logical = avro.get("logicalType")
    kind = avro["type"]
    if logical == "date":
        return "Date32"
    if logical in ("timestamp-millis", "local-timestamp-millis"):
        return "DateTime64(3, 'UTC')"
    if logical in ("timestamp-micros", "local-timestamp-micros"):
        return "DateTime64(6, 'UTC')"
    if logical == "decimal":
        return f"Decimal({avro['precision']}, {avro.get('scale', 0)})"
    if kind == "enum":
        return "LowCardinality(String)"
    if kind == "fixed":
        return f"FixedString({avro['size']})"
    if kind == "array":
        return f"Array({scalar_type(avro['items'])})"
    if kind == "map":
        return f"Map(String, {scalar_type(avro['values'])})"
    return scalar_type(kind)


def nullable(ch_type: str) -> str:
    if ch_type.startswith(_CANNOT_BE_NULLABLE):
        return ch_type
    if ch_type.startswith("LowCardinality("):
        return f"LowCardinality(Nullable({ch_type[len('LowCardinality('):-1]}))"
    return f"Nullable({ch_type})"


def _record_of(avro: Any) -> dict[str, Any] | None:
    if isinstance(avro, dict) and avro.get("type") == "record":
        return avro
    if isinstance(avro, list):
        records = [t for t in avro if isinstance(t, dict) and t.get("type") == "record"]
        if len(records) == 1 and len(avro) == 2 and "null" in avro:
            return records[0]
    return None


def record_columns(record: dict[str, Any], path: tuple[str, ...] = ("after",)) -> list[Column]:
    """Flattened, Nullable columns of an Avro record schema."""
    columns: list[Column] = []
    for field in record["fields"]:
        sub = _record_of(field["type"])
        field_path = (*path, field["name"])
        if sub is not None:
            columns += record_columns(sub, field_path)
        else:
            name = "_".join(field_path[1:])
            columns.append(Column(name, nullable(scalar_type(field["type"])), field_path))
    return columns


def history_columns(dataset: Dataset) -> list[Column]:
    return [*KAFKA_COLUMNS, *ENVELOPE_COLUMNS, *record_columns(dataset.record_schema)]


def history_table(dataset: Dataset) -> str:
    return f"{dataset.table_stem}_history"


def create_history_table(database: str, dataset: Dataset, dedup_window: int = 10_000) -> str:
    """Every change event of the dataset, one row each; inserts deduplicated by token."""
    cols = ",\n  ".join(f"`{c.name}` {c.type}" for c in history_columns(dataset))
    return (f"CREATE TABLE IF NOT EXISTS `{database}`.`{history_table(dataset)}` (\n  {cols},\n"
            f"  `_sink_time` DateTime64(3, 'UTC') DEFAULT now64(3)\n)\n"
            f"ENGINE = MergeTree\nORDER BY (key, event_time, _partition, _offset)\n"
            f"SETTINGS non_replicated_deduplication_window = {dedup_window}")
