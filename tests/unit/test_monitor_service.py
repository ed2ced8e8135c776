"""The monitor's sampling round with fakes of Kafka and ClickHouse: a pipeline that keeps moving while the
round reads its sources must never show more rows stored than messages cleaned."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.catalogue import load_catalogue
from monitor.history import History
from monitor.lag import LagReport
from monitor.offsets import Snapshot
from monitor.service import Monitor
from monitor.state import StageCounts, TableFreshness

DATASET = "population.citizen"


@dataclass
class MovingPipeline:
    """Every read of either source lets 40 more messages be cleaned and the sink store the ones cleaned before."""

    clean: int = 900
    stored: int = 860
    reads: list[str] = field(default_factory=list)

    def tick(self, source: str) -> None:
        self.reads.append(source)
        self.stored = self.clean
        self.clean += 40


@dataclass
class FakeSampler:
    pipeline: MovingPipeline
    topic: str

    def sample(self) -> tuple[Snapshot, LagReport]:
        self.pipeline.tick("kafka")
        return (Snapshot(at_ms=1_000, partitions=(), topic_ends={self.topic: self.pipeline.clean}),
                LagReport(at_ms=1_000, window=10, groups=()))


@dataclass
class FakeTables:
    pipeline: MovingPipeline
    table: str

    def freshness(self) -> tuple[TableFreshness, ...]:
        self.pipeline.tick("clickhouse")
        return (TableFreshness(self.table, DATASET, self.pipeline.stored, 1.0, 1.0),)

    def dead_letter_counts(self) -> tuple[()]:
        return ()

    def latest_dead_letters(self) -> tuple[()]:
        return ()

    def quality(self) -> tuple[()]:
        return ()


def test_a_round_reads_the_tables_before_the_offsets_so_stored_never_exceeds_clean() -> None:
    catalogue = load_catalogue()
    ns = "t1"
    pipeline = MovingPipeline()
    monitor = Monitor(ns, catalogue, FakeSampler(pipeline, catalogue.get(DATASET).topics(ns).clean),  # type: ignore[arg-type]
                      FakeTables(pipeline, "population_citizen_history"), History(10),  # type: ignore[arg-type]
                      sample_interval_s=1.0)
    states = [monitor.collect_once() for _ in range(3)]
    counts = [next(c for c in s.stages if c.dataset == DATASET) for s in states]
    assert pipeline.reads == ["clickhouse", "kafka"] * 3
    assert [(c.clean, c.stored) for c in counts] == [(980, 900), (1060, 980), (1140, 1060)]
    assert all(isinstance(c, StageCounts) and c.stored is not None and c.stored <= c.clean for c in counts)
