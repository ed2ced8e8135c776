"""Lag reports from snapshots and stored windows, and the observation store they come from."""

from __future__ import annotations

from pathlib import Path

from monitor.evaluator import Observation, Status
from monitor.lag import GroupLag, PartitionLag, build_report
from monitor.offsets import PartitionSample, Snapshot
from monitor.store import RETENTION_MS, ObservationStore


def sample(group: str, partition: int, committed: int | None, log_end: int, owner: str | None = "c@h",
           position_ts: int | None = None, latest_ts: int | None = None) -> PartitionSample:
    return PartitionSample(group, "hub.population.citizen.clean", partition, committed, 0, log_end, owner,
                           position_ts, latest_ts)


def test_lag_in_messages_and_seconds() -> None:
    assert (sample("g", 0, 90, 100, position_ts=1_000, latest_ts=4_500).lag,
            sample("g", 0, 90, 100, position_ts=1_000, latest_ts=4_500).lag_seconds) == (10, 3.5)
    # Nothing committed yet: the group reads from the log start.
    assert sample("g", 0, None, 40).lag == 40
    # Caught up: no lag, whatever the timestamps say.
    assert sample("g", 0, 100, 100, position_ts=1, latest_ts=9).lag_seconds == 0.0


def test_report_judges_each_partition_on_its_window() -> None:
    snapshot = Snapshot(30_000, (sample("hub-sink", 0, 10, 50, owner=None, position_ts=1_000, latest_ts=9_000),
                                 sample("hub-sink", 1, 70, 70)))
    windows = {("hub-sink", "hub.population.citizen.clean", 0): [
        Observation(10_000, 10, 20, True), Observation(20_000, 10, 35, False), Observation(30_000, 10, 40, False)]}
    report = build_report(snapshot, windows, window=3)
    assert report.groups == (GroupLag("hub-sink", Status.ERR, 40, 8.0, 0.5, (
        PartitionLag("hub.population.citizen.clean", 0, 10, 50, 40, 8.0, Status.STOP, None, 3),
        PartitionLag("hub.population.citizen.clean", 1, 70, 70, 0, 0.0, Status.OK, "c@h", 1),
    )),)
    assert report.to_dict()["groups"][0]["partitions"][0] == {
        "topic": "hub.population.citizen.clean", "partition": 0, "committed": 10, "log_end": 50, "lag": 40,
        "lag_seconds": 8.0, "status": "STOP", "owner": None, "observations": 3}


def test_store_keeps_the_last_observations_of_each_partition(tmp_path: Path) -> None:
    store = ObservationStore(tmp_path / "monitor" / "lag.sqlite3")
    for i in range(5):
        store.append(1_000_000 + i * 1000, [sample("g", 0, 10 + i, 20), sample("g", 1, 5, 5, owner=None)])
    assert store.windows(3, since_ms=0) == {
        ("g", "hub.population.citizen.clean", 0): [Observation(1_002_000, 12, 8, True),
                                                    Observation(1_003_000, 13, 7, True),
                                                    Observation(1_004_000, 14, 6, True)],
        ("g", "hub.population.citizen.clean", 1): [Observation(1_002_000, 5, 0, False),
                                                    Observation(1_003_000, 5, 0, False),
                                                    Observation(1_004_000, 5, 0, False)],
    }
    assert store.windows(3, since_ms=1_004_000) == {
        ("g", "hub.population.citizen.clean", 0): [Observation(1_004_000, 14, 6, True)],
        ("g", "hub.population.citizen.clean", 1): [Observation(1_004_000, 5, 0, False)],
    }
    assert store.latest_at_ms() == 1_004_000
    # A write drops what is older than the retention.
    store.append(1_004_000 + RETENTION_MS + 1, [sample("g", 0, 30, 30)])
    assert store.windows(10, since_ms=0) == {
        ("g", "hub.population.citizen.clean", 0): [Observation(1_004_000 + RETENTION_MS + 1, 30, 0, True)]}
    store.close()
    # Another process (here: another connection) sees the same windows.
    assert ObservationStore(tmp_path / "monitor" / "lag.sqlite3").latest_at_ms() == 1_004_000 + RETENTION_MS + 1
