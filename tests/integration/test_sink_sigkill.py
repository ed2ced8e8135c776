"""SIGKILL the sink process at random points, restart it each time: the tables end exactly as undisturbed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer

from hub import wire
from hub.catalogue import load_catalogue
from hub.settings import HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics
from producers.envelope import Source, envelope
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore
from sinks.ddl import version
from tests.conftest import free_port

EVENTS = 12_000
KILLS = 6


def test_sigkill_at_random_points(kafka: KafkaSettings, hub_settings: HubSettings, tmp_path: Path) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    dataset = catalogue.get("population.citizen")
    topic = dataset.topics(ns).clean
    store = KafkaSchemaStore(kafka.bootstrap_servers, f"_schemas_{ns}")
    schema_id = store.register(f"{topic}-value", dataset.envelope_schema)
    changes = list(PopulationSimulator(seed=17, update_ratio=0.4).changes(EVENTS))
    events = [envelope(dataset, c.op, c.key, c.record, Source("BCA", "t", i), event_time=c.event_time,
                       event_id=f"ev-{i}") for i, c in enumerate(changes)]
    for i in range(0, EVENTS, 97):  # some deletes too
        events[i] = dict(events[i], op="d", after=None)

    port = free_port()
    env = dict(os.environ, HUB_KAFKA_BOOTSTRAP=kafka.bootstrap_servers, HUB_NAMESPACE=ns,
               HUB_DATA_DIR=str(tmp_path / "hub"), HUB_CLICKHOUSE_URL=f"chdb://{tmp_path / 'chdb'}",
               HUB_CLICKHOUSE_DATABASE="hub", HUB_REGISTRY_TOPIC=f"_schemas_{ns}", HUB_SQL_PORT=str(port),
               HUB_SINK_BATCH_SIZE="400", HUB_SINK_BATCH_TIMEOUT_S="0.05")
    log = open(tmp_path / "sink.log", "ab")

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "sinks"], env=env, stdout=log, stderr=subprocess.STDOUT)

    def query(sql: str) -> list[list[Any]]:
        answer = httpx.post(f"http://127.0.0.1:{port}/", params={"default_format": "JSONCompact"},
                            content=sql.encode(), timeout=30)
        answer.raise_for_status()
        return answer.json()["data"]  # type: ignore[no-any-return]

    def wait_serving(proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"sink exited: {(tmp_path / 'sink.log').read_text()[-2000:]}"
            try:
                httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("sink did not serve its endpoint")

    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True})
    rng = random.Random(99)
    chunk = EVENTS // KILLS
    proc = start()
    try:
        for k in range(KILLS):
            for e in events[k * chunk:(k + 1) * chunk]:
                producer.produce(topic, key=e["key"].encode(), value=wire.encode(schema_id, dataset.parsed_envelope, e))
            assert producer.flush(30) == 0
            wait_serving(proc)
            time.sleep(rng.uniform(0.2, 1.5))
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            proc = start()
        wait_serving(proc)
        deadline = time.monotonic() + 120
        while query("SELECT count() FROM hub.population_citizen_history")[0][0] < EVENTS:
            assert time.monotonic() < deadline, "sink did not catch up"
            time.sleep(0.3)
        time.sleep(1.5)
        history = query("SELECT event_id FROM hub.population_citizen_history ORDER BY _partition, _offset")
        current = query("SELECT key, event_id FROM hub.population_citizen_current FINAL ORDER BY key")
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()

    assert sorted(row[0] for row in history) == sorted(e["event_id"] for e in events)
    latest: dict[str, dict[str, Any]] = {}
    for e in events:
        if e["key"] not in latest or version(e) >= version(latest[e["key"]]):
            latest[e["key"]] = e
    expected = sorted([k, e["event_id"]] for k, e in latest.items() if e["op"] != "d")
    assert current == expected
