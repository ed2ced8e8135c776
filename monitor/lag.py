"""Lag reports: each group's partitions with offsets, lag in messages and seconds, and a status (pure).

The status comes from :func:`monitor.evaluator.evaluate` over the partition's window of observations; lag
in seconds is the newest message's timestamp minus the timestamp of the message at the committed offset
(the oldest one the group has not consumed), so a single unconsumed message reads 0 s and the figure
stays put while nothing is produced — the status (STALL/STOP) is what tells a stuck consumer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from monitor.evaluator import Observation, Status, evaluate, group_status
from monitor.offsets import PartitionSample, Snapshot

Key = tuple[str, str, int]


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    log_end: int
    lag: int
    lag_seconds: float
    status: Status
    owner: str | None
    observations: int

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "partition": self.partition, "committed": self.committed,
                "log_end": self.log_end, "lag": self.lag, "lag_seconds": self.lag_seconds,
                "status": self.status.value, "owner": self.owner, "observations": self.observations}


@dataclass(frozen=True)
class GroupLag:
    group: str
    status: Status
    lag: int
    lag_seconds: float
    complete: float
    """Share of partitions whose window is full (their status is judged on the whole window)."""
    partitions: tuple[PartitionLag, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "status": self.status.value, "lag": self.lag,
                "lag_seconds": self.lag_seconds, "complete": self.complete,
                "partitions": [p.to_dict() for p in self.partitions]}


@dataclass(frozen=True)
class LagReport:
    at_ms: int
    window: int
    groups: tuple[GroupLag, ...]

    def group(self, name: str) -> GroupLag | None:
        return next((g for g in self.groups if g.group == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``hub lag --json`` and of the monitor's ``/api/lag``."""
        at = datetime.fromtimestamp(self.at_ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")
        return {"at": at, "at_ms": self.at_ms, "window": self.window, "groups": [g.to_dict() for g in self.groups]}


def _partition(sample: PartitionSample, window: Sequence[Observation]) -> PartitionLag:
    return PartitionLag(sample.topic, sample.partition, sample.committed, sample.log_end, sample.lag,
                        round(sample.lag_seconds, 3), evaluate(window), sample.owner, len(window))


def build_report(snapshot: Snapshot, windows: Mapping[Key, Sequence[Observation]], window: int) -> LagReport:
    """The report of ``snapshot``, each partition judged on its stored window (or on the snapshot alone)."""
    by_group: dict[str, list[PartitionLag]] = {}
    for s in snapshot.partitions:
        own = Observation(snapshot.at_ms, s.position, s.lag, s.owner is not None)
        observed = list(windows.get((s.group, s.topic, s.partition), ()))
        if not observed or observed[-1].at_ms < snapshot.at_ms:
            observed = [*observed, own][-window:]
        by_group.setdefault(s.group, []).append(_partition(s, observed))
    groups = []
    for name, parts in sorted(by_group.items()):
        complete = sum(1 for p in parts if p.observations >= window) / len(parts)
        groups.append(GroupLag(name, group_status(p.status for p in parts), sum(p.lag for p in parts),
                               max(p.lag_seconds for p in parts), round(complete, 3), tuple(parts)))
    return LagReport(snapshot.at_ms, window, tuple(groups))
