"""`hub lag` without a broker: how a one-shot run gets its window, and the human table."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from monitor.evaluator import Status
from monitor.lag import GroupLag, LagReport, PartitionLag
from monitor.offsets import OffsetReader, PartitionSample, Snapshot
from monitor.render import lag_table
from monitor.sampler import LagSampler
from monitor.store import ObservationStore


@dataclass
class ScriptedReader:
    """Snapshots of one partition whose consumer is gone and whose log keeps growing."""

    taken: list[int] = field(default_factory=list)

    def snapshot(self, namespace: str, topics: object = ()) -> Snapshot:
        n = len(self.taken)
        at_ms = int(time.time() * 1000) + n  # distinct instants even within one millisecond
        self.taken.append(at_ms)
        return Snapshot(at_ms, (PartitionSample("hub-sink", "hub.population.citizen.clean", 0, 10, 0, 20 + n, None,
                                                1_000, 2_000 + n * 1000),))


def sampler(tmp_path: Path, reader: ScriptedReader) -> LagSampler:
    fake: OffsetReader = reader  # type: ignore[assignment]  (a scripted reader stands in for Kafka)
    return LagSampler(fake, ObservationStore(tmp_path / "lag.sqlite3"), "hub", window=10, max_age_s=600)


def test_without_history_a_run_takes_several_samples_then_one_on_top_of_fresh_history(tmp_path: Path) -> None:
    reader, slept = ScriptedReader(), []
    lag = sampler(tmp_path, reader)
    first = lag.one_shot(samples=4, interval_s=1.0, fresh_within_s=15, sleep=slept.append)
    assert (len(reader.taken), slept) == (4, [1.0, 1.0, 1.0])
    assert first.groups[0].partitions[0] == PartitionLag("hub.population.citizen.clean", 0, 10, 23, 13, 4.0,
                                                         Status.STOP, None, 4)
    second = lag.one_shot(samples=4, interval_s=1.0, fresh_within_s=15, sleep=slept.append)
    assert (len(reader.taken), second.groups[0].partitions[0].observations) == (5, 5)


def test_table_shows_groups_and_the_partitions_that_matter() -> None:
    report = LagReport(0, 10, (GroupLag("hub-sink", Status.ERR, 40, 8.5, 1.0, (
        PartitionLag("hub.population.citizen.clean", 0, 10, 50, 40, 8.5, Status.STOP, None, 10),
        PartitionLag("hub.population.citizen.clean", 1, 70, 70, 0, 0.0, Status.OK, "rdkafka@h", 10))),))
    console = Console(record=True, width=160)
    console.print(lag_table(report))
    lines = [" ".join(line.replace("│", " ").split()) for line in console.export_text().splitlines()]
    assert [line for line in lines if line.startswith(("hub-sink", "hub.population"))] == [
        "hub-sink 40 8.5 ERR window 100% full",
        "hub.population.citizen.clean 0 10 50 40 8.5 STOP —"]
