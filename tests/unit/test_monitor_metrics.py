"""Every metric the ops files use is exported, and the exported values are the state's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from monitor.evaluator import Status
from monitor.lag import GroupLag, LagReport, PartitionLag
from monitor.metrics import METRICS, SinkMetrics, monitor_registry
from monitor.state import (DeadLetterCount, MonitorState, ProbeStats, QualityScore, StageCounts,
                           TableFreshness)
from sinks.consumer import SinkStats

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\bhub_[a-z0-9_]+\b")
TOPIC = "hub.population.citizen.clean"


def full_state() -> MonitorState:
    """A state with every kind of figure present, so that every metric family has samples."""
    lag = LagReport(1_000, 10, (GroupLag("hub-sink", Status.ERR, 40, 8.5, 1.0, (
        PartitionLag(TOPIC, 0, 10, 50, 40, 8.5, Status.STOP, None, 10),)),))
    return MonitorState(
        at_ms=1_000, namespace="hub", lag=lag,
        stages=(StageCounts("population.citizen", 103, 100, 3, 100),),
        freshness=(TableFreshness("population_citizen_history", "population.citizen", 100, 12.5, 0.75),),
        dead_letters=(DeadLetterCount("population.citizen", "bad_magic", 3),),
        quality=(QualityScore("population.citizen", "valid_ratio", 0.970874, "topics"),),
        probe=(ProbeStats("population.citizen", 9, 8, 1, 0.25, 0.5, 0.3),),
        errors={"clickhouse": "no query endpoint"})


def exposition() -> str:
    registry: CollectorRegistry = monitor_registry(full_state)
    sink = SinkMetrics(registry)
    sink.observe(TOPIC, 500, 0.04)
    sink.watch(SinkStats(retries=7, in_flight=1200))
    return generate_latest(registry).decode()


def samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(exposition()) for s in family.samples}


def exported_names() -> set[str]:
    return {name for name, _ in samples()}


def ops_expressions() -> list[str]:
    rules = yaml.safe_load((ROOT / "ops/prometheus/alerts.yml").read_text())
    exprs = [str(r["expr"]) for g in rules["groups"] for r in g["rules"]]
    dashboard: dict[str, Any] = json.loads((ROOT / "ops/grafana/dashboard.json").read_text())
    return exprs + [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def test_every_metric_of_the_ops_files_is_exported() -> None:
    referenced = {name for expr in ops_expressions() for name in NAME.findall(expr)}
    assert sorted(referenced - exported_names()) == []


def test_every_declared_metric_is_exported_and_used() -> None:
    exported = exported_names()
    declared = {m.name for m in METRICS}
    families = {re.sub(r"_(total|bucket|sum|count|created)$", "", n) for n in exported}
    assert sorted(declared - families) == []
    used = " ".join(ops_expressions())
    assert sorted(m.name for m in METRICS if m.name not in used) == []


def test_rules_are_well_formed() -> None:
    rules = yaml.safe_load((ROOT / "ops/prometheus/alerts.yml").read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert sorted(set(rule) - {"for"}) == ["alert", "annotations", "expr", "labels"], rule["alert"]
            assert rule["labels"]["severity"] in ("info", "warning", "critical")


def test_values_are_the_states() -> None:
    got = samples()
    part = (("group", "hub-sink"), ("partition", "0"), ("topic", TOPIC))
    expected = {
        ("hub_consumer_lag_messages", part): 40.0,
        ("hub_consumer_lag_seconds", part): 8.5,
        ("hub_consumer_group_lag_messages", (("group", "hub-sink"),)): 40.0,
        ("hub_consumer_group_lag_seconds", (("group", "hub-sink"),)): 8.5,
        ("hub_consumer_group_status", (("group", "hub-sink"), ("status", "ERR"))): 1.0,
        ("hub_consumer_group_status", (("group", "hub-sink"), ("status", "OK"))): 0.0,
        ("hub_consumer_partition_status", (*part[:2], ("status", "STOP"), part[2])): 1.0,
        ("hub_consumer_partition_status", (*part[:2], ("status", "WARN"), part[2])): 0.0,
        ("hub_stage_events_total", (("dataset", "population.citizen"), ("stage", "dlq"))): 3.0,
        ("hub_stage_events_total", (("dataset", "population.citizen"), ("stage", "stored"))): 100.0,
        ("hub_dead_letters_total", (("dataset", "population.citizen"), ("reason", "bad_magic"))): 3.0,
        ("hub_table_rows", (("table", "population_citizen_history"),)): 100.0,
        ("hub_table_freshness_seconds", (("clock", "event_time"), ("table", "population_citizen_history"))): 12.5,
        ("hub_quality_score", (("dataset", "population.citizen"), ("measure", "valid_ratio"),
                               ("source", "topics"))): 0.970874,
        ("hub_probe_latency_seconds", (("dataset", "population.citizen"), ("quantile", "0.99"))): 0.5,
        ("hub_probe_canaries_total", (("dataset", "population.citizen"), ("outcome", "lost"))): 1.0,
        ("hub_monitor_source_up", (("source", "clickhouse"),)): 0.0,
        ("hub_monitor_source_up", (("source", "kafka"),)): 1.0,
        ("hub_sink_batch_rows_sum", (("topic", TOPIC),)): 500.0,
        ("hub_sink_insert_seconds_count", (("topic", TOPIC),)): 1.0,
        ("hub_sink_in_flight_messages", ()): 1200.0,
        ("hub_sink_insert_retries_total", ()): 7.0,
    }
    assert {k: got.get(k) for k in expected} == expected


def test_nothing_is_exported_before_the_first_sample() -> None:
    assert generate_latest(monitor_registry(lambda: None)) == b""

