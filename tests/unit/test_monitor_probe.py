"""The probe's bookkeeping with a list-backed emitter and scripted landings (the seams), and percentiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from monitor.probe import CanaryProbe, Pending, percentile
from hub.probe_marks import is_canary
from monitor.state import ProbeStats


@dataclass
class ListEmitter:
    """Keeps what the probe emits; ids are predictable."""

    sent: list[tuple[str, str, str, Any]] = field(default_factory=list)

    def emit(self, dataset_name: str, op: str, key: str, record: dict[str, Any] | None, event_time: Any = None,
             event_id: str | None = None, position: int | None = None) -> str:
        self.sent.append((dataset_name, op, key, record))
        return f"id-{len(self.sent)}"

    def flush(self, timeout_s: float | None = None) -> None:
        return None

    def close(self, timeout_s: float | None = None) -> None:
        return None


@dataclass
class ScriptedLandings:
    """event id → (ingest ms, sink ms) of canaries that are 'visible'."""

    visible: dict[str, tuple[int, int]] = field(default_factory=dict)
    asked: list[list[str]] = field(default_factory=list)

    def landed(self, pending: Sequence[Pending]) -> dict[str, tuple[int, int]]:
        self.asked.append(sorted(p.event_id for p in pending))
        return {p.event_id: self.visible[p.event_id] for p in pending if p.event_id in self.visible}


@pytest.mark.parametrize(("values", "q", "expected"), [
    ([], 0.5, None), ([3.0], 0.99, 3.0), ([5.0, 1.0, 3.0, 2.0, 4.0], 0.5, 3.0),
    ([float(v) for v in range(1, 101)], 0.99, 99.0), ([float(v) for v in range(1, 101)], 0.5, 50.0),
])
def test_percentile_nearest_rank(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def test_canaries_are_deletes_with_rotating_keys_then_matched_or_lost() -> None:
    emitter, landings = ListEmitter(), ScriptedLandings()
    probe = CanaryProbe(emitter, landings, ["population.citizen", "land.parcel"], partitions=2, timeout_s=60)
    probe.send_round(now_ms=0)
    probe.send_round(now_ms=10_000)
    probe.send_round(now_ms=20_000)
    assert emitter.sent == [
        ("population.citizen", "d", "hub-probe-0", None), ("land.parcel", "d", "hub-probe-0", None),
        ("population.citizen", "d", "hub-probe-1", None), ("land.parcel", "d", "hub-probe-1", None),
        ("population.citizen", "d", "hub-probe-0", None), ("land.parcel", "d", "hub-probe-0", None)]
    landings.visible = {"id-1": (1_000, 1_250), "id-3": (11_000, 11_400), "id-2": (1_000, 1_900)}
    probe.check(now_ms=30_000)
    assert probe.stats() == (ProbeStats("population.citizen", 3, 2, 0, 0.25, 0.4, 0.4),
                             ProbeStats("land.parcel", 3, 1, 0, 0.9, 0.9, 0.9))
    # Canaries still missing past the timeout are lost; landed ones are never asked for again.
    probe.check(now_ms=75_000)
    assert landings.asked[-1] == ["id-4", "id-5", "id-6"]
    assert probe.stats() == (ProbeStats("population.citizen", 3, 2, 0, 0.25, 0.4, 0.4),
                             ProbeStats("land.parcel", 3, 1, 1, 0.9, 0.9, 0.9))
    probe.check(now_ms=90_000)
    assert probe.stats() == (ProbeStats("population.citizen", 3, 2, 1, 0.25, 0.4, 0.4),
                             ProbeStats("land.parcel", 3, 1, 2, 0.9, 0.9, 0.9))


def test_canary_mark() -> None:
    assert [is_canary({"source": {"system": s}}) for s in ("hub-probe", "dancu-core")] + [is_canary({})] == [
        True, False, False]
