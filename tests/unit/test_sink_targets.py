"""Which tables the golden and quality topics get (pure DDL)."""

from __future__ import annotations

from hub.catalogue import load_catalogue
from sinks.ddl import create_current_table, create_current_view, create_history_table, history_columns
from sinks.targets import all_targets, dlq_topics, golden_target, quality_target, topic_targets

CATALOGUE = load_catalogue()


def test_every_topic_of_rows_has_a_target() -> None:
    assert {t: target.name for t, target in topic_targets(CATALOGUE, "ns").items()} == {
        **{f"ns.{d.name}.clean": d.name for d in CATALOGUE},
        "ns.golden.citizen": "golden.citizen", "ns.golden.enterprise": "golden.enterprise", "ns.quality": "quality"}
    assert sorted(dlq_topics(CATALOGUE, "ns")) == sorted(f"ns.{d.name}.dlq" for d in CATALOGUE)
    assert [t.table_stem for t in all_targets(CATALOGUE)][-3:] == ["golden_citizen", "golden_enterprise",
                                                                    "quality_window"]


def test_golden_tables_keep_provenance_queryable_and_replace_by_revision() -> None:
    target = golden_target("citizen")
    columns = {c.name: c.type for c in history_columns(target)}
    assert {n: columns[n] for n in ("key", "cccd", "full_name", "land_holdings", "provenance_full_name_dataset",
                                    "provenance_full_name_event_id", "provenance_full_name_event_time")} == {
        "key": "String", "cccd": "Nullable(String)", "full_name": "Nullable(String)", "land_holdings": "Array(String)",
        "provenance_full_name_dataset": "Nullable(String)", "provenance_full_name_event_id": "Nullable(String)",
        "provenance_full_name_event_time": "Nullable(DateTime64(3, 'UTC'))"}
    assert "ENGINE = ReplacingMergeTree(_version, _is_deleted)\nORDER BY (key)" in create_current_table("hub", target)
    view = create_current_view("hub", target, history_columns(target))[1]
    assert "toUInt128(reinterpretAsUInt64(source_position)) AS _version, toUInt8(op = 'd') AS _is_deleted" in view


def test_quality_windows_are_keyed_by_dataset_source_and_minute_and_replace_by_revision() -> None:
    target = quality_target()
    columns = {c.name: c.type for c in history_columns(target)}
    assert columns == {
        "_topic": "LowCardinality(String)", "_partition": "UInt32", "_offset": "UInt64", "dataset": "String",
        "source_system": "String", "window_start": "DateTime64(3, 'UTC')", "window_end": "DateTime64(3, 'UTC')",
        "revision": "Int32", "received": "Int64", "valid": "Int64", "rejected": "Int64",
        "rejected_by_reason": "Map(String, Int64)", "records": "Int64", "completeness": "Map(String, Float64)",
        "freshness_count": "Int64", "freshness_p50_ms": "Nullable(Int64)", "freshness_p95_ms": "Nullable(Int64)",
        "freshness_max_ms": "Nullable(Int64)"}
    assert "ORDER BY (dataset, source_system, window_start)" in create_current_table("hub", target)
    assert "ORDER BY (dataset, source_system, window_start, _partition, _offset)" in create_history_table("hub", target)
    view = create_current_view("hub", target, history_columns(target))[1]
    assert "toUInt128(revision) AS _version, toUInt8(0) AS _is_deleted" in view


def test_dataset_tables_are_unchanged_by_targets() -> None:
    dataset = CATALOGUE.get("population.citizen")
    assert "ORDER BY (key, event_time, _partition, _offset)" in create_history_table("hub", dataset)
    view = create_current_view("hub", dataset, history_columns(dataset))[1]
    assert ("bitOr(bitShiftLeft(toUInt128(toUnixTimestamp64Milli(event_time)), 64), "
            "toUInt128(reinterpretAsUInt64(source_position))) AS _version") in view
