"""`hub up` / `hub simulate` / `hub sql` / `hub status` / `hub down` as a user runs them, on the session broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from hub.settings import KafkaSettings
from tests.conftest import free_port


def hub(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_up_simulate_query_down(kafka: KafkaSettings, tmp_path: Path, namespace: str) -> None:
    env = dict(os.environ, HUB_KAFKA_BOOTSTRAP=kafka.bootstrap_servers, HUB_DATA_DIR=str(tmp_path / "hub"),
               HUB_NAMESPACE=namespace, HUB_SQL_PORT=str(free_port()), HUB_REGISTRY_PORT=str(free_port()),
               HUB_REGISTRY_TOPIC=f"_schemas_{namespace}", HUB_KAFKA_PARTITIONS="2",
               HUB_GATEWAY_PORT=str(free_port()), HUB_MONITOR_PORT=str(free_port()),
               HUB_SINK_METRICS_PORT=str(free_port()), HUB_MONITOR_PROBE_INTERVAL_S="0")
    up = hub("up", env=env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        status = json.loads(hub("status", env=env).stdout)
        assert {name: bool(status[name]["pid"]) for name in ("registry", "streams", "sink", "gateway", "monitor")} == {
            "registry": True, "streams": True, "sink": True, "gateway": True, "monitor": True}
        assert status["monitor"]["answers"] is True
        assert status["gateway"]["answers"] is True
        assert (status["kafka"]["answers"], status["registry"]["answers"], status["sink"]["answers"]) == (
            True, True, True)

        simulate = hub("simulate", "--count", "500", "--seed", "9", env=env)
        assert simulate.returncode == 0, simulate.stdout + simulate.stderr
        assert "acknowledged: 500" in simulate.stdout

        query = "SELECT count() AS n, uniqExact(event_id) AS ids FROM hub.population_citizen_history"
        deadline = time.monotonic() + 120
        rows: list[dict[str, int]] = []
        while time.monotonic() < deadline:
            answer = hub("sql", query, "--json", env=env)
            assert answer.returncode == 0, answer.stdout + answer.stderr
            rows = json.loads(answer.stdout)
            if rows[0]["n"] >= 500:
                break
            time.sleep(0.5)
        assert rows == [{"n": 500, "ids": 500}]

        # The registry holds the subject the SDK registered, through Confluent's REST API.
        subjects = httpx.get(f"http://127.0.0.1:{env['HUB_REGISTRY_PORT']}/subjects").json()
        assert f"{namespace}.population.citizen.raw-value" in subjects

        refused = hub("sql", "DROP TABLE hub.population_citizen_history", env=env)
        assert refused.returncode == 2
        assert "read-only endpoint: DROP statements are not allowed" in refused.stderr
    finally:
        down = hub("down", env=env)
    assert down.returncode == 0
    assert "stopped: monitor, gateway, sink, streams, registry" in down.stdout
    after = json.loads(hub("status", env=env).stdout)
    assert [after[name]["pid"] for name in ("registry", "streams", "sink", "gateway")] == [None, None, None, None]
