"""Runs every stage in one go and writes the report (``hub bench`` / ``python -m bench``).

Two workloads, each encoded once and used by every stage that compares against it:

* the **stage workload** (``stage_events`` simulated citizens): bare produce vs the SDK, and chdb's columnar
  insert vs the sink alone — the same records on both sides of each ratio;
* the **end-to-end workload** (``events`` changes of the five ministries with dirt, from the simulator): it
  is pre-loaded on the raw topics; the ceiling consumes and decodes exactly those messages, then the stack
  starts on them and the run lasts until everything has landed (:mod:`bench.e2e`). Memory is sampled at
  half the events and at the end: with the default 2M events, that is the 1M vs 2M comparison.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from bench import e2e, stages
from bench.profile import summarize, to_text
from bench.report import markdown, ratios
from bench.workload import build
from hub import wire
from hub.catalogue import load_catalogue
from hub.errors import ClickHouseError
from hub.local.kafka import LocalKafka
from hub.local.stack import Stack
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, RegistrySettings
from hub.sql import run_query
from hub.topics import ensure_topics
from hub.wire import SchemaCache
from monitor.settings import MonitorSettings
from producers.envelope import Source, envelope
from producers.gateway.settings import GatewaySettings
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore


@dataclass(frozen=True)
class Options:
    events: int = 1_000_000
    """End-to-end events (simulator mix); memory is compared at half of them and at the end."""
    stage_events: int = 200_000
    """Events of the produce and insert stages."""
    fresh_rate: int = 5000
    fresh_seconds: int = 60
    light_rate: int = 300
    """Events/s of a second freshness stage, at a load the pipeline keeps up with (0: none): its latency when it
    is not working through a backlog. Run before the one at ``fresh_rate``, which leaves a backlog behind."""
    light_seconds: int = 30
    partitions: int = 4
    stream_workers: int = 1
    """Stream worker processes of the end-to-end stack. On 2 cores a second one did not help: at 30k events 557
    against 588-595 events/s, its CPU going to a second fetch loop and a second copy of the global table while
    the broker and the sink kept the other core busy. More pay where cores are spare (at most one per partition)."""
    profile_seconds: int = 30
    produce_rounds: int = 3
    """Bare and SDK producing alternate this many times; the report keeps each one's median round."""
    seed: int = 1
    out: Path = Path("benchmarks")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    versions = {p: metadata.version(p) for p in ("confluent-kafka", "faust-streaming", "fastavro",
                                                  "clickhouse-connect", "chdb")}
    return {"host": socket.gethostname(), "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "kafka": KafkaSettings().version, **versions}


LAND_TIMEOUT_S = 600


ENGINE_SQL = ("SELECT toFloat64((SELECT value FROM system.metrics WHERE metric = 'MemoryTracking')), "
              "(SELECT argMax(tuple(table, num_parts, memory_usage), memory_usage) FROM system.merges)")


def engine_sample(stack: Stack) -> e2e.EngineSample | None:
    """The memory the sink's ClickHouse engine tracks (its ``MemoryTracking`` metric) and its largest merge in
    flight; None if the query fails (the figures are informative, the run goes on)."""
    try:
        _, rows = run_query(stack.hub, stack.clickhouse, ENGINE_SQL)
    except ClickHouseError:
        return None
    if not rows:
        return None
    tracked, (table, parts, merge_bytes) = rows[0]
    merge = (str(table), int(parts), float(merge_bytes) / 1e6) if table else None
    return e2e.EngineSample(float(tracked) / 1e6, merge)


def freshness_stages(options: Options) -> list[tuple[str, int, int, str]]:
    """The freshness stages to run, in order, as (report key, events/s, seconds, source system): the light
    load first; a rate or a length of 0 leaves a stage out."""
    stages = [("freshness_light", options.light_rate, options.light_seconds, "fresh-light"),
              ("freshness", options.fresh_rate, options.fresh_seconds, "fresh")]
    return [stage for stage in stages if stage[1] > 0 and stage[2] > 0]


def freshness(stack: Stack, rate: int, seconds: int, schema_id: int, system: str = "fresh") -> dict[str, Any]:
    """Produce at a steady ``rate`` for ``seconds``; latency from event time to the row's insert time, over
    the events landed within :data:`LAND_TIMEOUT_S` after the last was sent (``landed`` of ``events``: the
    quantiles leave out those still on the way, so they flatter a pipeline that did not keep up). The events
    carry ``system`` as their source system (and event id prefix): each stage measures only its own."""
    dataset = stack.catalogue.get("population.citizen")
    topic = dataset.topics(stack.hub.namespace).raw
    producer = Producer({"bootstrap.servers": stack.kafka.bootstrap_servers, **stages.PRODUCER, "linger.ms": 1})
    changes = PopulationSimulator(seed=99).changes(rate * seconds)
    start = time.perf_counter()
    sent = 0
    for change in changes:
        due = start + sent / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        now = datetime.now(timezone.utc)
        event = envelope(dataset, change.op, change.key, change.record, Source("BCA", system, sent),
                         event_time=now, event_id=f"{system}-{sent}", now=now)
        producer.produce(topic, key=change.key.encode(), value=wire.encode(schema_id, dataset.parsed_envelope, event))
        producer.poll(0)
        sent += 1
    producer.flush()
    achieved = sent / (time.perf_counter() - start)
    table = f"{stack.clickhouse.database}.population_citizen_history"

    def landed() -> int:
        stack.check_alive()
        return int(run_query(stack.hub, stack.clickhouse,
                             f"SELECT count() FROM {table} WHERE source_system = '{system}'")[1][0][0])

    try:
        stages.wait_for(landed, sent, LAND_TIMEOUT_S)
    except TimeoutError:  # a pipeline slower than the rate: report the latencies of what landed
        pass
    count = landed()
    _, rows = run_query(stack.hub, stack.clickhouse,
                        "SELECT quantiles(0.5, 0.95, 0.99)(dateDiff('millisecond', event_time, _sink_time)), "
                        f"max(dateDiff('millisecond', event_time, _sink_time)) FROM {table} "
                        f"WHERE source_system = '{system}'")
    p50, p95, p99 = rows[0][0]
    return {"target_rate": rate, "achieved_rate": round(achieved, 1), "seconds": seconds, "events": sent,
            "landed": count, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "max_ms": rows[0][1]}


def table_rows(stack: Stack) -> dict[str, int]:
    """Rows of every table of the analysts' database (active parts: what a count() sees)."""
    _, rows = run_query(stack.hub, stack.clickhouse,
                        "SELECT table, sum(rows) FROM system.parts WHERE database = currentDatabase() AND active "
                        "GROUP BY table ORDER BY table")
    return {str(t): int(n) for t, n in rows}


def _stages(external: KafkaSettings, tmp: Path, options: Options, store: KafkaSchemaStore,
            results: dict[str, Any]) -> int:
    """The produce and insert stages; returns the stage workload's schema id (the freshness stage uses it)."""
    catalogue = load_catalogue()
    dataset = catalogue.get("population.citizen")
    schema_id = store.register("bench.population.citizen.raw-value", dataset.envelope_schema)
    work = build(dataset, schema_id, options.stage_events)
    ensure_topics(external, [dataset.topics("benchsdk").raw])
    bare, sdk = [], []
    for _ in range(options.produce_rounds):  # alternated: this machine's speed drifts within minutes
        bare.append(stages.bare_produce(external, "bench.bare", work))
        sdk.append(stages.sdk_produce(external, "benchsdk", catalogue, store, work))
    results["bare_produce"], results["sdk_produce"] = stages.median_round(bare), stages.median_round(sdk)
    print(f"bare produce {results['bare_produce']}", flush=True)
    print(f"sdk produce {results['sdk_produce']}", flush=True)
    results["sdk_encode"] = stages.sdk_encode(work, schema_id)
    print(f"sdk encode {results['sdk_encode']}", flush=True)
    writer = stages.local_writer(tmp / "bench-chdb", "bench", catalogue)
    results["chdb_columnar_insert"] = stages.chdb_insert(writer, work, SchemaCache(store.schema))
    print(f"chdb insert {results['chdb_columnar_insert']}", flush=True)
    ensure_topics(external, [d.topics("benchsink").clean for d in catalogue] +
                  [d.topics("benchsink").dlq for d in catalogue])
    stages.bare_produce(external, dataset.topics("benchsink").clean, work)
    results["sink_alone"] = stages.sink_alone(external, "benchsink", catalogue, writer,
                                              SchemaCache(store.schema, raw_times=True), len(work.encoded))
    print(f"sink alone {results['sink_alone']}", flush=True)
    writer.client.close()
    return schema_id


def report_stem(out: Path, base: str) -> str:
    """``base`` (date-host-events), or ``base-2``, ``base-3``… when an earlier run of the day wrote it already."""
    stem, n = base, 1
    while (out / f"{stem}.json").exists() or (out / f"{stem}.md").exists():
        n += 1
        stem = f"{base}-{n}"
    return stem


def run(options: Options) -> Path:
    catalogue = load_catalogue()
    report: dict[str, Any] = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              "machine": machine(), "events": options.events, "stage_events": options.stage_events,
                              "partitions": options.partitions, "stream_workers": options.stream_workers}
    r: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp_name:
        tmp = Path(tmp_name)
        kafka = KafkaSettings(port=_free_port(), controller_port=_free_port(), partitions=options.partitions)
        broker = LocalKafka(kafka, HubSettings(data_dir=tmp / "kafka"))
        broker.start()
        try:
            external = KafkaSettings(bootstrap=kafka.bootstrap_servers, partitions=options.partitions)
            store = KafkaSchemaStore(external.bootstrap_servers)
            stack = Stack(HubSettings(data_dir=tmp / "stack", namespace="e2e", sql_port=_free_port(),
                                      stream_workers=options.stream_workers), external,
                          ClickHouseSettings(), RegistrySettings(port=_free_port()),
                          GatewaySettings(port=_free_port()),
                          MonitorSettings(port=_free_port(), probe_interval_s=0), catalogue)
            raw_topics = e2e.ensure_raw_topics(stack)
            t = time.perf_counter()
            r["preload"] = e2e.preload(external.bootstrap_servers, "e2e", catalogue, store, options.events,
                                       options.seed)
            print(f"pre-loaded {options.events} simulated changes in {time.perf_counter() - t:.0f} s", flush=True)
            r["consume_decode_ceiling"] = stages.consume_decode(external, raw_topics, SchemaCache(store.schema),
                                                                options.events)
            print(f"ceiling {r['consume_decode_ceiling']}", flush=True)
            schema_id = _stages(external, tmp, options, store, r)

            os.environ.update(HUB_SINK_METRICS_PORT=str(_free_port()), HUB_MONITOR_PROBE_INTERVAL_S="0")
            raw_ends = e2e.log_ends(external.bootstrap_servers, raw_topics)
            try:
                r["end_to_end"] = e2e.end_to_end(stack, raw_ends, 0.1, options.profile_seconds, tmp / "profiles",
                                                 broker_pid=broker.proc.pid(), engine=lambda: engine_sample(stack))
                r["tables"] = table_rows(stack)
                print(f"end to end {_short(r['end_to_end'])}", flush=True)
                for key, rate, seconds, system in freshness_stages(options):
                    r[key] = freshness(stack, rate, seconds, schema_id, system)
                    print(f"{key} {r[key]}", flush=True)
                r["peak_rss_mb"] = {name: stages.peak_rss_mb(stack._proc(name).pid() or -1)
                                    for name, _ in stack.services}
            finally:
                stack.down()
            r["peak_rss_mb"]["bench (producers, sink alone, chdb insert)"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        finally:
            broker.stop()
    stem = report_stem(options.out, f"{report['date'][:10]}-{report['machine']['host']}-{options.events}")
    profiles = r["end_to_end"].pop("profiles")
    profile_dir = options.out / "profiles"
    profile_dir.mkdir(parents=True, exist_ok=True)
    r["end_to_end"]["profiles"], r["end_to_end"]["profile_top"] = {}, {}
    for name, collapsed in profiles.items():
        path = profile_dir / f"{stem}-{name}.txt"
        summary = summarize(collapsed)
        path.write_text(to_text(f"{name} during end to end ({stem})", summary))
        r["end_to_end"]["profiles"][name] = str(path)
        r["end_to_end"]["profile_top"][name] = summary.self_share[:12]
    report["results"] = r
    report["ratios"] = ratios(r)
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / f"{stem}.json").write_text(json.dumps(report, indent=2))
    (options.out / f"{stem}.md").write_text(markdown(report))
    return options.out / f"{stem}.md"


def _short(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if k != "profiles"}
