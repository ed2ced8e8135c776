"""The dashboard in a real browser during a running pipeline: what it shows is what the monitor's API and
`hub lag --json` say, its charts render, it switches between Vietnamese and English, and it is screenshotted.

The stack is started as a user starts it (``hub up`` on the session broker) plus the monitor service
(``python -m monitor``); the probe sends canaries to ``land.parcel`` only, so that the population topics
stand still once the simulated events are in and figures can be compared whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer
from playwright.sync_api import Browser, Page

from hub.local.process import Proc
from hub.settings import KafkaSettings
from tests.conftest import free_port

SCREENSHOTS = Path(os.environ.get("HUB_SCREENSHOT_DIR", "")) if os.environ.get("HUB_SCREENSHOT_DIR") else None
DATASET = "population.citizen"


def run(module: str, *args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", module, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{module} {args}: {done.stdout}{done.stderr}"
    return done


def wait_for(url: str, ok: Callable[[dict[str, Any]], bool], what: str, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == 200:
                body = response.json()
                if ok(body):
                    return body
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last state: {json.dumps(body)[:3000]}")


def js_number(value: float | int) -> str:
    """How the page's String(x) prints a JSON number."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def stage(state: dict[str, Any], dataset: str) -> dict[str, Any]:
    return next(s for s in state["stages"] if s["dataset"] == dataset)


def group(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(g for g in (doc["lag"] if "lag" in doc else doc)["groups"] if g["group"] == name)


def shown_lag(page: Page) -> list[dict[str, str]]:
    return page.eval_on_selector_all("#groups tbody tr[data-group]", """rows => rows.map(r => {
        const out = {group: r.dataset.group, topic: r.dataset.topic || "", partition: r.dataset.partition || ""};
        r.querySelectorAll("td[data-field]").forEach(td => { out[td.dataset.field] = td.textContent; });
        return out; })""")


def expected_lag(doc: dict[str, Any]) -> list[dict[str, str]]:
    """The lag table as the page must print it in English, from /api/state or `hub lag --json`."""
    rows = []
    for g in (doc["lag"] if "lag" in doc else doc)["groups"]:
        rows.append({"group": g["group"], "topic": "", "partition": "", "lag": f"{g['lag']:,}",
                     "lag_seconds": js_number(g["lag_seconds"]), "status": g["status"]})
        for p in g["partitions"]:
            if p["lag"] or p["status"] != "OK":
                rows.append({"group": g["group"], "topic": p["topic"], "partition": str(p["partition"]),
                             "committed": "—" if p["committed"] is None else f"{p['committed']:,}",
                             "log_end": f"{p['log_end']:,}", "lag": f"{p['lag']:,}",
                             "lag_seconds": js_number(p["lag_seconds"]), "status": p["status"]})
    return rows


def shown_stages(page: Page) -> dict[str, dict[str, str]]:
    return page.eval_on_selector_all("#stages tbody tr[data-dataset]", """rows => Object.fromEntries(rows.map(r =>
        [r.dataset.dataset, Object.fromEntries([...r.querySelectorAll("td[data-stage]")].map(
            td => [td.dataset.stage, td.textContent]))]))""")


def chart_points(page: Page) -> dict[str, int]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll("canvas")].map(c =>
        [c.id, Chart.getChart(c).data.datasets.reduce((n, d) => n + d.data.filter(p => p.y !== null).length, 0)]))""")


def open_dashboard(page: Page, url: str) -> dict[str, Any]:
    """Load the page in English; returns the /api/state document it rendered (intercepted)."""
    page.add_init_script("localStorage.setItem('hub-monitor-lang', 'en')")
    with page.expect_response(lambda r: r.url.endswith("/api/state") and r.status == 200) as response:
        page.goto(f"{url}/?refresh=600000")  # render once; the test reloads when it wants new figures
    state: dict[str, Any] = response.value.json()
    page.wait_for_function(f"document.body.dataset.atMs === '{state['at_ms']}'")
    return state


POPULATION_ONLY = ("--datasets", DATASET, "--dirt", "0")  # every event valid: exact counts to compare


def test_dashboard_during_a_running_pipeline(kafka: KafkaSettings, browser: Browser, tmp_path: Path,
                                             namespace: str) -> None:
    data_dir = tmp_path / "hub"
    monitor_port = free_port()
    env = dict(os.environ, HUB_KAFKA_BOOTSTRAP=kafka.bootstrap_servers, HUB_DATA_DIR=str(data_dir),
               HUB_NAMESPACE=namespace, HUB_SQL_PORT=str(free_port()), HUB_REGISTRY_PORT=str(free_port()),
               HUB_GATEWAY_PORT=str(free_port()), HUB_REGISTRY_TOPIC=f"_schemas_{namespace}",
               HUB_KAFKA_PARTITIONS="2", HUB_MONITOR_PORT=str(monitor_port), HUB_MONITOR_SAMPLE_INTERVAL_S="1",
               HUB_MONITOR_PROBE_INTERVAL_S="1", HUB_MONITOR_PROBE_DATASETS="land.parcel")
    url = f"http://127.0.0.1:{monitor_port}"
    sink = Proc("sink", data_dir / "run", data_dir / "logs")
    shots = SCREENSHOTS or tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    try:
        run("hub.cli", "up", env=env)
        run("hub.cli", "simulate", "--count", "400", "--seed", "5", *POPULATION_ONLY, env=env)
        bad = Producer({"bootstrap.servers": kafka.bootstrap_servers})
        for value in (b"", b"not avro at all"):
            bad.produce(f"{namespace}.{DATASET}.raw", key=b"bad", value=value)
        assert bad.flush(30) == 0
        run("hub.cli", "simulate", "--count", "600", "--seed", "6", *POPULATION_ONLY, env=env)
        landed = wait_for(f"{url}/api/state", lambda s: any(s["stages"]) and stage(s, DATASET)["stored"] == 1000
                          and len(s["dead_letters"]) == 2 and s["probe"][0]["landed"] >= 5
                          and len(s["history"]["t"]) >= 10, "1000 rows, 2 dead letters and 5 landed canaries")
        assert (stage(landed, DATASET), landed["errors"]) == (
            {"dataset": DATASET, "raw": 1002, "clean": 1000, "dlq": 2, "stored": 1000}, {})

        # 1. Everything running: the page shows the API's figures, its charts have points; screenshot.
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        state = open_dashboard(page, url)
        assert shown_lag(page) == expected_lag(state)
        assert shown_stages(page)[DATASET] == {k: f"{stage(state, DATASET)[k]:,}" for k in ("raw", "clean", "dlq",
                                                                                              "stored")}
        points = chart_points(page)
        assert {c: points[c] > 0 for c in points} == {"chart-throughput": True, "chart-lag": True,
                                                      "chart-lag-seconds": True, "chart-probe": True}
        page.click("#lang")
        assert (page.text_content("#lag h2"), page.text_content("#stages th:nth-child(5)")) == (
            "Độ trễ tiêu thụ theo nhóm", "Đã lưu (ClickHouse)")
        page.screenshot(path=str(shots / "dashboard-running.png"), full_page=True)
        page.click("#lang")
        assert page.text_content("#lag h2") == "Consumer lag by group"

        # 2. The sink stops while events keep coming: the page, the API and `hub lag --json` agree.
        sink.stop()
        run("hub.cli", "simulate", "--count", "300", "--seed", "7", *POPULATION_ONLY, env=env)
        sink_group = f"{namespace}-sink"
        clean_topic = f"{namespace}.{DATASET}.clean"

        def stopped(s: dict[str, Any]) -> bool:
            parts = [p for p in group(s, sink_group)["partitions"] if p["topic"] == clean_topic]
            return sum(p["lag"] for p in parts) == 300 and {p["status"] for p in parts} == {"STOP"}

        wait_for(f"{url}/api/state", stopped, "300 messages of sink lag judged STOP")
        state = open_dashboard(page, url)
        assert shown_lag(page) == expected_lag(state)
        assert group(state, sink_group)["status"] == "ERR"
        cli = json.loads(run("monitor.cli", "lag", "--json", env=env).stdout)

        def population(doc: dict[str, Any]) -> list[dict[str, Any]]:
            return [{k: p[k] for k in ("topic", "partition", "committed", "log_end", "lag", "lag_seconds", "status")}
                    for p in group(doc, sink_group)["partitions"] if p["topic"] == clean_topic]

        assert population(cli) == population(state)
        shown = [r for r in shown_lag(page) if r["topic"] == clean_topic]
        assert shown == [r for r in expected_lag(cli) if r["topic"] == clean_topic]
        page.screenshot(path=str(shots / "dashboard-sink-stopped.png"), full_page=True)

        # 3. The sink resumes and catches up: OK again on the page.
        run("hub.cli", "up", env=env)
        wait_for(f"{url}/api/state", lambda s: stage(s, DATASET)["stored"] == 1300
                 and all(p["lag"] == 0 for p in group(s, sink_group)["partitions"] if p["topic"] == clean_topic),
                 "the sink to catch up")
        state = open_dashboard(page, url)
        assert [r for r in shown_lag(page) if r["topic"] == clean_topic] == []
        assert shown_stages(page)[DATASET]["stored"] == "1,300"
        page.close()
    finally:
        run("hub.cli", "down", env=env)  # `hub up` started the monitor with this env's settings
