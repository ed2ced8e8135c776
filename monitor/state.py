"""What the monitor knows at one instant: frozen values the metrics, the API and the dashboard render."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from monitor.lag import LagReport

STAGES = ("raw", "clean", "dlq", "stored")
"""Pipeline stages counted per dataset: messages written to the raw, clean and dead-letter topics (log-end
offsets, canaries included) and rows stored in the dataset's history table (canaries excluded)."""


@dataclass(frozen=True)
class StageCounts:
    dataset: str
    raw: int
    clean: int
    dlq: int
    stored: int | None
    """None while ClickHouse cannot be read."""

    def get(self, stage: str) -> int | None:
        value: int | None = getattr(self, stage)
        return value


@dataclass(frozen=True)
class TableFreshness:
    table: str
    dataset: str
    rows: int
    event_time_lag_s: float | None
    """Now minus the newest ``event_time`` (None for an empty table)."""
    sink_time_lag_s: float | None
    """Now minus the newest ``_sink_time``: how long since the sink last landed a row."""


@dataclass(frozen=True)
class DeadLetterCount:
    dataset: str
    reason: str
    count: int


@dataclass(frozen=True)
class DeadLetterRow:
    """One recent dead letter, without its key or bytes (they may hold personal data)."""

    dataset: str
    reason: str
    field: str
    source_topic: str
    source_partition: int
    source_offset: int
    rejected_at_ms: int


@dataclass(frozen=True)
class QualityScore:
    dataset: str
    measure: str
    score: float
    source: str
    """``table`` (the data-quality table) or ``topics`` (clean ÷ (clean + dead letters) from offsets)."""


@dataclass(frozen=True)
class ProbeStats:
    dataset: str
    sent: int
    landed: int
    lost: int
    p50_s: float | None
    p99_s: float | None
    last_s: float | None


@dataclass(frozen=True)
class MonitorState:
    at_ms: int
    namespace: str
    lag: LagReport | None = None
    stages: tuple[StageCounts, ...] = ()
    freshness: tuple[TableFreshness, ...] = ()
    dead_letters: tuple[DeadLetterCount, ...] = ()
    latest_dead_letters: tuple[DeadLetterRow, ...] = ()
    quality: tuple[QualityScore, ...] = ()
    probe: tuple[ProbeStats, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)
    """Source (``kafka``, ``clickhouse``, ``probe``) → the last error reading it; absent when it answered."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "at_ms": self.at_ms, "namespace": self.namespace,
            "lag": self.lag.to_dict() if self.lag is not None else None,
            "stages": [asdict(s) for s in self.stages],
            "freshness": [asdict(f) for f in self.freshness],
            "dead_letters": [asdict(d) for d in self.dead_letters],
            "latest_dead_letters": [asdict(d) for d in self.latest_dead_letters],
            "quality": [asdict(q) for q in self.quality],
            "probe": [asdict(p) for p in self.probe],
            "errors": dict(self.errors),
        }
