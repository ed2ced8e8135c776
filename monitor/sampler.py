"""Taking offset samples, keeping them in the observation store, and judging them.

The monitor service samples every ``HUB_MONITOR_SAMPLE_INTERVAL_S`` (5 s), so its windows cover
``window × interval`` (50 s by default). ``hub lag`` is a one-shot command: when the store holds a sample
younger than three service intervals (the service is running) it adds one fresh sample and judges the
stored window; otherwise it takes ``samples`` samples ``interval`` seconds apart (5 × 1 s by default)
and judges those, keeping them for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.lag import LagReport, build_report
from monitor.offsets import OffsetReader, Snapshot
from monitor.store import ObservationStore


@dataclass
class LagSampler:
    reader: OffsetReader
    store: ObservationStore
    namespace: str
    window: int
    max_age_s: float
    """Observations older than this are left out of windows (a gap in sampling starts a new window)."""
    topics: Sequence[str] = ()
    """The namespace's own topics, whose log-end totals every snapshot carries (per-stage counts)."""

    def sample(self) -> tuple[Snapshot, LagReport]:
        """One snapshot, stored, and the report judged on the stored windows including it."""
        snapshot = self.reader.snapshot(self.namespace, self.topics)
        self.store.append(snapshot.at_ms, snapshot.partitions)
        windows = self.store.windows(self.window, snapshot.at_ms - int(self.max_age_s * 1000))
        return snapshot, build_report(snapshot, windows, self.window)

    def one_shot(self, samples: int, interval_s: float, fresh_within_s: float,
                 sleep: Callable[[float], None] = time.sleep) -> LagReport:
        """The report for a one-shot command: one sample on top of fresh history, else ``samples`` samples."""
        latest = self.store.latest_at_ms()
        fresh = latest is not None and time.time() * 1000 - latest <= fresh_within_s * 1000
        report: LagReport | None = None
        for i in range(1 if fresh else max(1, samples)):
            if i:
                sleep(interval_s)
            _, report = self.sample()
        assert report is not None
        return report
