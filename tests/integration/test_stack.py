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

        manifest_file = tmp_path / "manifest.json"
        simulate = hub("simulate", "--count", "1500", "--seed", "9", "--dirt", "0.1", "--manifest",
                       str(manifest_file), env=env)
        assert simulate.returncode == 0, simulate.stdout + simulate.stderr
        assert "acknowledged: 1500" in simulate.stdout
        truth = json.loads(manifest_file.read_text())["datasets"]
        rejected = sum(len(t["rejected"]) for t in truth.values())

        def current(dataset: str) -> int:
            table = f"hub.{dataset.replace('.', '_')}_current"
            answer = hub("sql", f"SELECT count() AS n FROM {table} FINAL", "--json", env=env)
            assert answer.returncode == 0, answer.stdout + answer.stderr
            return int(json.loads(answer.stdout)[0]["n"])

        def dead() -> int:
            answer = hub("sql", "SELECT count() AS n FROM hub.dead_letters", "--json", env=env)
            return int(json.loads(answer.stdout)[0]["n"])

        def dead_by(reason: str) -> int:
            answer = hub("sql", f"SELECT count() AS n FROM hub.dead_letters WHERE reason = '{reason}'", "--json",
                         env=env)
            return int(json.loads(answer.stdout)[0]["n"])

        expected = {d: len(t["state"]) for d, t in truth.items()}
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if dead() >= rejected - 10 and all(current(d) >= n for d, n in expected.items()):
                break
            time.sleep(1)
        time.sleep(3)
        # A death processed before its subject's citizen record cannot be checked against the date of birth
        # and is accepted (documented in streams/app.py); in one mixed stream that happens to a few of them.
        unchecked = sum(1 for r in truth["civil_status.event"]["rejected"].values() if r == "death_before_birth") \
            - dead_by("death_before_birth")
        expected["civil_status.event"] += unchecked
        # Otherwise the current-state tables equal the simulator's ground truth under FINAL, deletes included,
        # and every other rejected event is a dead letter.
        assert {d: current(d) for d in truth} == expected
        assert dead() == rejected - unchecked

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
    assert {name: after[name]["pid"] for name in ("registry", "streams", "sink", "gateway", "monitor")} == dict.fromkeys(
        ("registry", "streams", "sink", "gateway", "monitor"))
