"""The sink's own /metrics endpoint (real HTTP on loopback)."""

from __future__ import annotations

import httpx

from monitor.metrics import serve_sink_metrics
from sinks.consumer import SinkStats
from tests.conftest import free_port

TOPIC = "hub.population.citizen.clean"


def test_the_sink_serves_its_own_metrics() -> None:
    port = free_port()
    recorder = serve_sink_metrics("127.0.0.1", port)
    recorder.observe(TOPIC, 250, 0.02)
    stats = SinkStats()
    recorder.watch(stats)
    stats.in_flight, stats.retries = 900, 3  # read on each scrape
    lines = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text.splitlines()
    assert [line for line in (f'hub_sink_batch_rows_sum{{topic="{TOPIC}"}} 250.0',
                              f'hub_sink_insert_seconds_count{{topic="{TOPIC}"}} 1.0',
                              "hub_sink_in_flight_messages 900.0",
                              "hub_sink_insert_retries_total 3.0") if line not in lines] == []
    # A port already taken does not stop the sink: the recorder still records.
    serve_sink_metrics("127.0.0.1", port).observe(TOPIC, 1, 0.001)
