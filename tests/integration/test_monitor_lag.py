"""Done-when of `hub lag`: a stopped sink and a running producer → growing lag and a status that leaves OK;
the sink resumes and catches up → OK again. Real broker, faust worker, sink and ClickHouse engine; the
command runs as a user runs it (``python -m monitor.cli lag`` is what ``hub lag`` mounts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from hub.catalogue import load_catalogue
from hub.clickhouse import connect
from hub.settings import ClickHouseSettings, HubSettings, KafkaSettings
from hub.topics import ensure_topics, hub_topics
from monitor.offsets import OffsetReader
from producers.sdk import HubProducer
from producers.simulator import PopulationSimulator
from registry.store import KafkaSchemaStore
from sinks.clickhouse import ClickHouseWriter
from tests.integration.pipeline import drain_until, make_sink, streams_worker


def hub_lag(kafka: KafkaSettings, hub: HubSettings, *args: str) -> dict[str, Any]:
    env = dict(os.environ, HUB_KAFKA_BOOTSTRAP=kafka.bootstrap_servers, HUB_NAMESPACE=hub.namespace,
               HUB_DATA_DIR=str(hub.data_dir))
    done = subprocess.run([sys.executable, "-m", "monitor.cli", "lag", "--json", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def group(report: dict[str, Any], name: str) -> dict[str, Any]:
    found = [g for g in report["groups"] if g["group"] == name]
    assert len(found) == 1, [g["group"] for g in report["groups"]]
    return found[0]


class SteadyProducer:
    """Emits simulated citizens at a steady pace on a thread until stopped."""

    def __init__(self, producer: HubProducer, per_tick: int = 20, tick_s: float = 0.2) -> None:
        self._producer, self._per_tick, self._tick_s = producer, per_tick, tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.sent = 0

    def _run(self) -> None:
        changes = PopulationSimulator(seed=21).changes(1_000_000)
        while not self._stop.is_set():
            for _ in range(self._per_tick):
                c = next(changes)
                self._producer.emit(c.dataset, c.op, c.key, c.record)
                self.sent += 1
            self._producer.flush(10)
            self._stop.wait(self._tick_s)

    def __enter__(self) -> SteadyProducer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)
        report = self._producer.close(30)
        assert (report.failed, report.pending, report.backlog) == ({}, 0, 0)


def test_lag_grows_while_the_sink_is_stopped_and_returns_to_ok(kafka: KafkaSettings, hub_settings: HubSettings,
                                                                 chdb_url: str, database: str) -> None:
    catalogue = load_catalogue()
    ns = hub_settings.namespace
    ensure_topics(kafka, hub_topics(catalogue, ns))
    writer = ClickHouseWriter(connect(ClickHouseSettings(url=chdb_url, database=database), hub_settings), database,
                              catalogue)
    writer.ensure_tables()

    def rows() -> int:
        return int(writer.client.query(f"SELECT count() FROM {database}.population_citizen_history").result_rows[0][0])

    producer = HubProducer(kafka.bootstrap_servers, ns, catalogue, KafkaSchemaStore(kafka.bootstrap_servers))
    with streams_worker(kafka, hub_settings) as worker:
        alive = lambda: worker.poll() is None  # noqa: E731
        sink = make_sink(kafka, hub_settings, writer)
        with SteadyProducer(producer) as steady:
            drain_until(sink, lambda: rows() >= 200, alive=alive)
            sink.close()  # the sink stops; the producer goes on
            waited_s = until_behind(kafka, ns, f"{ns}-sink")
            first = group(hub_lag(kafka, hub_settings, "--samples", "3", "--interval", "1"), f"{ns}-sink")
            time.sleep(2)
            second = group(hub_lag(kafka, hub_settings), f"{ns}-sink")
        assert (first["status"], second["status"]) == ("ERR", "ERR"), (waited_s, first, second)
        assert {p["status"] for p in second["partitions"] if p["lag"] > 0} == {"STOP"}
        assert (second["lag"] > first["lag"] > 0, second["lag_seconds"] > first["lag_seconds"] > 0) == (True, True)

        sink = make_sink(kafka, hub_settings, writer)  # the sink resumes and catches up
        try:
            drain_until(sink, lambda: rows() >= steady.sent, alive=alive)
            after = catch_up(sink, lambda: group(hub_lag(kafka, hub_settings), f"{ns}-sink"))
        finally:
            sink.close()
    assert rows() == steady.sent
    assert (after["status"], after["lag"], after["lag_seconds"]) == ("OK", 0, 0.0)


def until_behind(kafka: KafkaSettings, ns: str, group_id: str, timeout_s: float = 60.0) -> float:
    """Seconds until ``group_id`` has lag on some partition: the worker wrote on after the stopped sink's last
    commit. Before that, every partition's first observation has no lag, and a window holding an observation
    without lag is OK by rule 1."""
    reader = OffsetReader(kafka.bootstrap_servers)
    start = time.monotonic()
    try:
        while not any(p.group == group_id and p.lag > 0 for p in reader.snapshot(ns).partitions):
            assert time.monotonic() - start < timeout_s, f"{group_id} had no lag within {timeout_s}s"
            time.sleep(0.2)
    finally:
        reader.close()
    return time.monotonic() - start


def catch_up(sink: Any, lag: Callable[[], dict[str, Any]], timeout_s: float = 180.0) -> dict[str, Any]:
    """Keep the sink consuming until ``lag()`` reports no lag; returns that report. Besides the citizens, the
    sink reads the golden changes and quality windows the worker goes on publishing after the producer
    stopped (a window once its minute and grace are over), so its lag reaches zero a little later."""
    deadline = time.monotonic() + timeout_s
    while True:
        until = time.monotonic() + 2
        while time.monotonic() < until:
            sink.poll_batch()
        report = lag()
        if report["lag"] == 0:
            return report
        assert time.monotonic() < deadline, f"the sink did not catch up within {timeout_s}s: {report}"
