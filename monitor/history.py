"""The recent past for the dashboard's charts: a bounded series of points derived from states (pure)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from monitor.state import STAGES, MonitorState


@dataclass(frozen=True)
class Point:
    at_ms: int
    lag: dict[str, int]
    lag_seconds: dict[str, float]
    throughput: dict[str, float]
    """Events per second per stage since the previous point (all datasets together)."""
    probe_p50: dict[str, float]
    probe_p99: dict[str, float]


def _totals(state: MonitorState) -> dict[str, int]:
    totals: dict[str, int] = {}
    for stage in STAGES:
        values = [c.get(stage) for c in state.stages]
        if values and all(v is not None for v in values):
            totals[stage] = sum(v for v in values if v is not None)
    return totals


class History:
    """The last ``size`` points; thread-safe enough for one writer and readers taking :meth:`to_dict`."""

    def __init__(self, size: int) -> None:
        self._points: deque[Point] = deque(maxlen=size)
        self._previous: tuple[int, dict[str, int]] | None = None

    def add(self, state: MonitorState) -> Point:
        totals = _totals(state)
        throughput: dict[str, float] = {}
        if self._previous is not None:
            at_ms, before = self._previous
            seconds = (state.at_ms - at_ms) / 1000
            if seconds > 0:
                throughput = {s: round(max(0, totals[s] - before[s]) / seconds, 3)
                              for s in totals if s in before}
        self._previous = (state.at_ms, totals)
        groups = state.lag.groups if state.lag is not None else ()
        point = Point(state.at_ms, {g.group: g.lag for g in groups}, {g.group: g.lag_seconds for g in groups},
                      throughput, {p.dataset: p.p50_s for p in state.probe if p.p50_s is not None},
                      {p.dataset: p.p99_s for p in state.probe if p.p99_s is not None})
        self._points.append(point)
        return point

    def to_dict(self) -> dict[str, Any]:
        """Columns for the charts: ``t`` (ms) and one list per series, None where a point lacks it."""
        points = list(self._points)

        def series(attr: str) -> dict[str, list[Any]]:
            names = sorted({k for p in points for k in getattr(p, attr)})
            return {n: [getattr(p, attr).get(n) for p in points] for n in names}

        return {"t": [p.at_ms for p in points], "lag": series("lag"), "lag_seconds": series("lag_seconds"),
                "throughput": series("throughput"), "probe_p50": series("probe_p50"),
                "probe_p99": series("probe_p99")}
