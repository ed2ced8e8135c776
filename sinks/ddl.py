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

Record columns of change envelopes are Nullable because a delete event carries no record; arrays and
maps, which cannot be Nullable in ClickHouse, are empty instead. Quality windows, which are never deleted,
keep the nullability of their Avro types. Which tables a topic gets: :mod:`sinks.targets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.catalogue import Dataset
from sinks.targets import CHANGE_VERSION_SQL, Shape, Target, as_target


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
    kind = avro["type"]
    special = logical_type(avro)
    if special is not None:
        return special
    if kind == "enum":
        return "LowCardinality(String)"
    if kind == "array":
        return f"Array({scalar_type(avro['items'])})"
    if kind == "map":
        return f"Map(String, {scalar_type(avro['values'])})"
    return scalar_type(kind)


def logical_type(avro: dict[str, Any]) -> str | None:
    """ClickHouse type of an Avro logical type or ``fixed`` (the same in the tables and in the sink's staging
    decode, :mod:`sinks.encoded`), or None for any other type."""
    logical = avro.get("logicalType")
    if logical == "date":
        return "Date32"
    if logical in ("timestamp-millis", "local-timestamp-millis"):
        return "DateTime64(3, 'UTC')"
    if logical in ("timestamp-micros", "local-timestamp-micros"):
        return "DateTime64(6, 'UTC')"
    if logical == "decimal":
        return f"Decimal({avro['precision']}, {avro.get('scale', 0)})"
    if avro["type"] == "fixed":
        return f"FixedString({avro['size']})"
    return None


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


def record_columns(record: dict[str, Any], path: tuple[str, ...] = ("after",), all_nullable: bool = True) -> list[Column]:
    """Flattened columns of an Avro record schema found at ``path`` of the decoded value; names join the
    field names below ``path`` with ``_``. ``all_nullable``: every column Nullable (a change envelope's
    record is absent from deletes); otherwise as nullable as the Avro type."""
    return _flatten(record, path, len(path), all_nullable)


def _flatten(record: dict[str, Any], path: tuple[str, ...], root: int, all_nullable: bool) -> list[Column]:
    columns: list[Column] = []
    for field in record["fields"]:
        sub = _record_of(field["type"])
        field_path = (*path, field["name"])
        if sub is not None:
            columns += _flatten(sub, field_path, root, all_nullable)
        else:
            ch_type = scalar_type(field["type"])
            columns.append(Column("_".join(field_path[root:]), nullable(ch_type) if all_nullable else ch_type,
                                  field_path))
    return columns


CURRENT_COLUMNS = (
    Column("_version", "UInt128", ()),
    Column("_is_deleted", "UInt8", ()),
)


def after_record(envelope_schema: dict[str, Any]) -> dict[str, Any]:
    """The dataset record inside an envelope schema (the non-null branch of ``after``)."""
    for field in envelope_schema["fields"]:
        if field["name"] == "after":
            record = _record_of(field["type"])
            if record is not None:
                return record
    raise ValueError("envelope schema has no record-typed 'after' field")


def envelope_columns(envelope_schema: dict[str, Any]) -> list[Column]:
    """History columns of events written with ``envelope_schema`` (a writer schema from the registry)."""
    return [*KAFKA_COLUMNS, *ENVELOPE_COLUMNS, *record_columns(after_record(envelope_schema))]


def value_columns(table: Target | Dataset, value_schema: dict[str, Any]) -> list[Column]:
    """History columns of ``table``'s values written with ``value_schema`` (the hub's, or a writer's)."""
    if as_target(table).shape is Shape.WINDOWS:
        return [*KAFKA_COLUMNS, *record_columns(value_schema, (), all_nullable=False)]
    return envelope_columns(value_schema)


def history_columns(table: Target | Dataset) -> list[Column]:
    return value_columns(table, as_target(table).value_schema)


def current_columns(columns: list[Column]) -> list[Column]:
    """The current-state table has the history columns plus the replacing version and delete flag."""
    return [*columns, *CURRENT_COLUMNS]


def history_table(table: Target | Dataset) -> str:
    return f"{table.table_stem}_history"


def current_table(table: Target | Dataset) -> str:
    return f"{table.table_stem}_current"


def _column_list(columns: list[Column]) -> str:
    return ",\n  ".join(f"`{c.name}` {c.type}" for c in columns)


MERGE_SETTINGS = {"vertical_merge_algorithm_min_rows_to_activate": 1}
"""Table settings for the engine's background merges. The default merges parts of fewer than 131,072 rows
horizontally: every column of the new part is written at once, each stream with its own buffers, and on
the golden tables (70-78 columns) one such merge held 550-700 MB. A vertical merge writes one column at a
time; on the same table and rows its largest merge held about 25 MB. Tables under 11 columns stay
horizontal (``vertical_merge_algorithm_min_columns_to_activate``)."""


def _settings(dedup_window: int) -> str:
    return ", ".join([f"non_replicated_deduplication_window = {dedup_window}",
                      *(f"{name} = {value}" for name, value in MERGE_SETTINGS.items())])


def apply_merge_settings(database: str, table: str) -> str:
    """The statement giving a table made before :data:`MERGE_SETTINGS` those settings (idempotent)."""
    return (f"ALTER TABLE `{database}`.`{table}` MODIFY SETTING "
            + ", ".join(f"{name} = {value}" for name, value in MERGE_SETTINGS.items()))


def create_history_table(database: str, table: Target | Dataset, dedup_window: int = 10_000) -> str:
    """Every message of the topic, one row each; inserts deduplicated by token."""
    target = as_target(table)
    return (f"CREATE TABLE IF NOT EXISTS `{database}`.`{history_table(target)}` (\n"
            f"  {_column_list(history_columns(target))},\n"
            f"  `_sink_time` DateTime64(3, 'UTC') DEFAULT now64(3)\n)\n"
            f"ENGINE = MergeTree\nORDER BY ({', '.join(target.history_order)})\n"
            f"SETTINGS {_settings(dedup_window)}")


def create_current_table(database: str, table: Target | Dataset, dedup_window: int = 10_000) -> str:
    """One row per key: the latest by the target's version; deletes vanish under FINAL."""
    target = as_target(table)
    return (f"CREATE TABLE IF NOT EXISTS `{database}`.`{current_table(target)}` (\n"
            f"  {_column_list(current_columns(history_columns(target)))},\n"
            f"  `_sink_time` DateTime64(3, 'UTC') DEFAULT now64(3)\n)\n"
            f"ENGINE = ReplacingMergeTree(_version, _is_deleted)\nORDER BY ({', '.join(target.current_key)})\n"
            f"SETTINGS {_settings(dedup_window)}")


def current_view(table: Target | Dataset) -> str:
    return f"{table.table_stem}_current_mv"


VERSION_SQL = CHANGE_VERSION_SQL


def create_current_view(database: str, table: Target | Dataset, columns: list[Column]) -> list[str]:
    """The materialized view that fills the current-state table from every insert into the history table,
    inside ClickHouse: the sink inserts each batch once. Re-created when columns are added."""
    target = as_target(table)
    names = ", ".join(f"`{c.name}`" for c in columns)
    return [f"DROP VIEW IF EXISTS `{database}`.`{current_view(target)}`",
            f"CREATE MATERIALIZED VIEW `{database}`.`{current_view(target)}` TO `{database}`.`{current_table(target)}` "
            f"AS SELECT {names}, {target.version_sql} AS _version, {target.deleted_sql} AS _is_deleted "
            f"FROM `{database}`.`{history_table(target)}`"]


def add_columns(database: str, table: str, missing: list[Column]) -> list[str]:
    """``ALTER TABLE … ADD COLUMN`` statements for columns a newer writer schema brought (pure)."""
    return [f"ALTER TABLE `{database}`.`{table}` ADD COLUMN IF NOT EXISTS `{c.name}` {c.type}" for c in missing]


def version(event: dict[str, Any]) -> int:
    """ReplacingMergeTree version: event time (ms) in the high 64 bits, source position in the low 64 bits,
    so a later event wins and, at equal times, the later position in the source system."""
    when = event["event_time"]
    millis = when if isinstance(when, int) else int(when.timestamp() * 1000)
    return (millis << 64) | (int(event["source"]["position"]) & 0xFFFF_FFFF_FFFF_FFFF)
