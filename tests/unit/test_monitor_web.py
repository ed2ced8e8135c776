"""The monitor's HTTP side on a fixed state: API documents, metrics, the page and its script."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.testclient import TestClient

from monitor.evaluator import Status
from monitor.history import History
from monitor.lag import GroupLag, LagReport, PartitionLag
from monitor.state import MonitorState, StageCounts
from monitor.web import create_web_app


@dataclass
class FixedSource:
    state: MonitorState | None
    history: History = field(default_factory=lambda: History(10))

    def lag(self) -> LagReport | None:
        return self.state.lag if self.state is not None else None


def state(at_ms: int, raw: int, stored: int, lag: int) -> MonitorState:
    report = LagReport(at_ms, 10, (GroupLag("hub-sink", Status.OK, lag, 0.0, 0.1, (
        PartitionLag("hub.population.citizen.clean", 0, 100, 100 + lag, lag, 0.0, Status.OK, "c@h", 1),)),))
    return MonitorState(at_ms, "hub", report, (StageCounts("population.citizen", raw, raw, 0, stored),))


def test_before_the_first_sample() -> None:
    client = TestClient(create_web_app(FixedSource(None)))
    assert [client.get(p).status_code for p in ("/healthz", "/api/state", "/api/lag", "/metrics")] == [
        503, 503, 503, 200]


def test_api_history_and_metrics() -> None:
    source = FixedSource(None)
    source.history.add(state(10_000, 100, 90, 10))
    source.state = state(12_000, 300, 250, 50)
    source.history.add(source.state)
    client = TestClient(create_web_app(source))
    body = client.get("/api/state").json()
    assert body["history"] == {
        "t": [10_000, 12_000], "lag": {"hub-sink": [10, 50]}, "lag_seconds": {"hub-sink": [0.0, 0.0]},
        "throughput": {"clean": [None, 100.0], "dlq": [None, 0.0], "raw": [None, 100.0], "stored": [None, 80.0]},
        "probe_p50": {}, "probe_p99": {}}
    assert body["stages"] == [{"dataset": "population.citizen", "raw": 300, "clean": 300, "dlq": 0, "stored": 250}]
    assert client.get("/api/lag").json() == source.state.lag.to_dict()  # type: ignore[union-attr]
    assert 'hub_consumer_group_lag_messages{group="hub-sink"} 50.0' in client.get("/metrics").text.splitlines()
    assert client.get("/healthz").text == "ok\n"


def test_page_and_assets_are_served_locally() -> None:
    client = TestClient(create_web_app(FixedSource(None)))
    page = client.get("/").text
    assert [src for src in ("/static/vendor/chart.umd.min.js", "/static/dashboard.js", "/static/dashboard.css")
            if src not in page] == []
    assert [client.get(p).status_code for p in ("/static/vendor/chart.umd.min.js", "/static/dashboard.js")] == [
        200, 200]
    assert client.get("/static/vendor/chart.umd.min.js").text.startswith("/*!\n * Chart.js v4.")
