"""Runs every stage in one go and writes the report (``python -m bench --events N``)."""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from bench import stages
from bench.report import markdown
from bench.workload import build
from hub import wire
from hub.catalogue import load_catalogue
from hub.local.kafka import LocalKafka
from hub.local.stack import Stack
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings, RegistrySettings
from hub.sql import run_query
from hub.topics import ensure_topics
from hub.wire import SchemaCache
from producers.envelope import Source, envelope
from monitor.settings import MonitorSettings
from producers.gateway.settings import GatewaySettings
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    versions = {p: metadata.version(p) for p in ("confluent-kafka", "faust-streaming", "fastavro",
                                                  "clickhouse-connect", "chdb")}
    return {"host": socket.gethostname(), "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "kafka": KafkaSettings().version, **versions}


def freshness(stack: Stack, rate: int, seconds: int, schema_id: int) -> dict[str, Any]:
    """Produce at a steady ``rate`` for ``seconds``; latency from event time to the row's insert time."""
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
        event = envelope(dataset, change.op, change.key, change.record, Source("BCA", "fresh", sent),
                         event_time=now, event_id=f"fresh-{sent}", now=now)
        producer.produce(topic, key=change.key.encode(), value=wire.encode(schema_id, dataset.parsed_envelope, event))
        producer.poll(0)
        sent += 1
    producer.flush()
    achieved = sent / (time.perf_counter() - start)
    table = f"{stack.clickhouse.database}.population_citizen_history"

    def landed() -> int:
        stack.check_alive()
        return int(run_query(stack.hub, stack.clickhouse,
                             f"SELECT count() FROM {table} WHERE source_system = 'fresh'")[1][0][0])

    stages.wait_for(landed, sent, 300)
    _, rows = run_query(stack.hub, stack.clickhouse,
                        "SELECT quantiles(0.5, 0.95, 0.99)(dateDiff('millisecond', event_time, _sink_time)), "
                        f"max(dateDiff('millisecond', event_time, _sink_time)) FROM {table} "
                        "WHERE source_system = 'fresh'")
    p50, p95, p99 = rows[0][0]
    return {"target_rate": rate, "achieved_rate": round(achieved, 1), "seconds": seconds, "events": sent,
            "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "max_ms": rows[0][1]}


def run(events: int, fresh_rate: int, fresh_seconds: int, out_dir: Path) -> Path:
    catalogue = load_catalogue()
    dataset = catalogue.get("population.citizen")
    report: dict[str, Any] = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              "machine": machine(), "events": events}
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp_name:
        tmp = Path(tmp_name)
        kafka = KafkaSettings(port=_free_port(), controller_port=_free_port(), partitions=4)
        broker = LocalKafka(kafka, HubSettings(data_dir=tmp / "kafka"))
        broker.start()
        try:
            external = KafkaSettings(bootstrap=kafka.bootstrap_servers, partitions=4)
            store = KafkaSchemaStore(external.bootstrap_servers)
            cache = SchemaCache(store.schema)
            schema_id = store.register("bench.population.citizen.raw-value", dataset.envelope_schema)
            work = build(dataset, schema_id, events)
            print(f"workload: {events} events encoded", flush=True)
            r: dict[str, Any] = {}
            r["bare_produce"] = stages.bare_produce(external, "bench.bare", work)
            print(f"bare produce {r['bare_produce']}", flush=True)
            ensure_topics(external, [dataset.topics("benchsdk").raw])
            r["sdk_produce"] = stages.sdk_produce(external, "benchsdk", catalogue, store, work)
            print(f"sdk produce {r['sdk_produce']}", flush=True)
            r["consume_decode_ceiling"] = stages.consume_decode(external, "bench.bare", cache, events)
            print(f"ceiling {r['consume_decode_ceiling']}", flush=True)
            writer = stages.local_writer(tmp / "bench-chdb", "bench", catalogue)
            r["chdb_columnar_insert"] = stages.chdb_insert(writer, work, cache)
            print(f"chdb insert {r['chdb_columnar_insert']}", flush=True)
            clean_topic = dataset.topics("benchsink").clean
            ensure_topics(external, [d.topics("benchsink").clean for d in catalogue] +
                          [d.topics("benchsink").dlq for d in catalogue])
            stages.bare_produce(external, clean_topic, work)
            r["sink_alone"] = stages.sink_alone(external, "benchsink", catalogue, writer,
                                                SchemaCache(store.schema, raw_times=True), events)
            print(f"sink alone {r['sink_alone']}", flush=True)

            stack = Stack(HubSettings(data_dir=tmp / "stack", namespace="e2e", sql_port=_free_port()), external,
                          ClickHouseSettings(), RegistrySettings(port=_free_port()),
                          GatewaySettings(port=_free_port()),
                          MonitorSettings(port=_free_port(), probe_interval_s=0), catalogue)
            os.environ.update(HUB_SINK_METRICS_PORT=str(_free_port()), HUB_MONITOR_PROBE_INTERVAL_S="0")
            raw_topic = dataset.topics("e2e").raw
            ensure_topics(external, [raw_topic])
            stages.bare_produce(external, raw_topic, work)
            try:
                t0 = time.perf_counter()
                stack.up()
                table = f"{stack.clickhouse.database}.population_citizen_history"

                def landed() -> int:
                    stack.check_alive()  # a dead service fails the run instead of stalling it
                    return int(run_query(stack.hub, stack.clickhouse, f"SELECT count() FROM {table}")[1][0][0])

                elapsed = stages.wait_for(landed, events, 1800)
                r["end_to_end"] = {**stages._rate(events, elapsed), "including_startup_s": round(
                    time.perf_counter() - t0, 1)}
                print(f"end to end {r['end_to_end']}", flush=True)
                r["freshness"] = freshness(stack, fresh_rate, fresh_seconds, schema_id)
                print(f"freshness {r['freshness']}", flush=True)
                r["peak_rss_mb"] = {name: stages.peak_rss_mb(stack._proc(name).pid() or -1)
                                    for name, _ in stack.SERVICES}
            finally:
                stack.down()
            r["peak_rss_mb"]["bench (producers, sink alone, chdb insert)"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
            report["results"] = r
        finally:
            broker.stop()
    report["ratios"] = {
        "end_to_end / consume_decode_ceiling": round(r["end_to_end"]["per_second"]
                                                     / r["consume_decode_ceiling"]["per_second"], 3),
        "sdk / bare_produce": round(r["sdk_produce"]["per_second"] / r["bare_produce"]["per_second"], 3),
        "sink / chdb_columnar_insert": round(r["sink_alone"]["per_second"]
                                             / r["chdb_columnar_insert"]["per_second"], 3),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{report['date'][:10]}-{report['machine']['host']}-{events}"
    (out_dir / f"{stem}.json").write_text(json.dumps(report, indent=2))
    (out_dir / f"{stem}.md").write_text(markdown(report))
    return out_dir / f"{stem}.md"


