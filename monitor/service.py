"""The monitor service's moving parts: the sampler thread and the probe thread, and the state they keep.

Every ``sample_interval_s`` the sampler reads ClickHouse (freshness, dead letters, quality), then Kafka
(offsets → lag report, topic totals), and publishes one :class:`~monitor.state.MonitorState`. A source that
does not answer leaves its figures out and its error in ``state.errors``; the other sources still count.
The probe thread sends a canary round every ``probe_interval_s`` and looks for landed canaries every second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from hub.catalogue import Catalogue
from hub.errors import ClickHouseError, HubError
from hub.topics import hub_topics
from monitor.history import History
from monitor.lag import LagReport
from monitor.offsets import Snapshot
from monitor.probe import CanaryProbe
from monitor.sampler import LagSampler
from monitor.state import DeadLetterCount, DeadLetterRow, MonitorState, QualityScore, StageCounts, TableFreshness
from monitor.tables import TableReader, topic_quality

log = logging.getLogger("hub.monitor")


def stage_counts(catalogue: Catalogue, namespace: str, topic_ends: dict[str, int] | None,
                 freshness: Sequence[TableFreshness] | None) -> tuple[StageCounts, ...]:
    """Per-dataset counts from topic totals and history-table rows (pure)."""
    if topic_ends is None:
        return ()
    rows = {f.dataset: f.rows for f in freshness} if freshness is not None else {}
    out = []
    for d in catalogue:
        t = d.topics(namespace)
        out.append(StageCounts(d.name, topic_ends.get(t.raw, 0), topic_ends.get(t.clean, 0),
                               topic_ends.get(t.dlq, 0), rows.get(d.name)))
    return tuple(out)


@dataclass
class _TableFigures:
    freshness: tuple[TableFreshness, ...] | None = None
    dead_letters: tuple[DeadLetterCount, ...] = ()
    latest: tuple[DeadLetterRow, ...] = ()
    quality: tuple[QualityScore, ...] | None = None
    error: str | None = None


@dataclass
class Monitor:
    namespace: str
    catalogue: Catalogue
    sampler: LagSampler
    tables: TableReader
    history: History
    sample_interval_s: float
    probe: CanaryProbe | None = None
    probe_interval_s: float = 0.0
    _state: MonitorState | None = None
    _probe_error: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def topics(cls, catalogue: Catalogue, namespace: str) -> list[str]:
        return hub_topics(catalogue, namespace)

    @property
    def state(self) -> MonitorState | None:
        return self._state

    def lag(self) -> LagReport | None:
        state = self._state
        return state.lag if state is not None else None

    def _read_tables(self) -> _TableFigures:
        try:
            return _TableFigures(self.tables.freshness(), self.tables.dead_letter_counts(),
                                 self.tables.latest_dead_letters(), self.tables.quality())
        except ClickHouseError as exc:
            return _TableFigures(error=str(exc)[:500])

    def collect_once(self) -> MonitorState:
        """Read every source once and publish the new state."""
        errors: dict[str, str] = {}
        snapshot: Snapshot | None = None
        report: LagReport | None = None
        # ClickHouse before Kafka: rows are stored from the clean topics, so a table count taken before the
        # offsets can never exceed the clean count next to it (the other order let a slow sample show 1,000
        # rows stored out of 962 clean).
        figures = self._read_tables()
        if figures.error is not None:
            errors["clickhouse"] = figures.error
        try:
            snapshot, report = self.sampler.sample()
        except HubError as exc:
            errors["kafka"] = str(exc)[:500]
        if self._probe_error is not None:
            errors["probe"] = self._probe_error
        stages = stage_counts(self.catalogue, self.namespace,
                              dict(snapshot.topic_ends) if snapshot is not None else None, figures.freshness)
        quality = figures.quality if figures.quality is not None else topic_quality(stages)
        state = MonitorState(
            at_ms=snapshot.at_ms if snapshot is not None else int(time.time() * 1000), namespace=self.namespace,
            lag=report, stages=stages, freshness=figures.freshness or (), dead_letters=figures.dead_letters,
            latest_dead_letters=figures.latest, quality=quality,
            probe=self.probe.stats() if self.probe is not None else (), errors=errors)
        self.history.add(state)
        self._state = state
        return state

    def _sample_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.collect_once()
            except Exception:  # a bug must not silently stop the sampling: log it, try again next time
                log.exception("sampling failed")
            self._stop.wait(self.sample_interval_s)

    def _probe_loop(self) -> None:
        assert self.probe is not None
        next_round = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            try:
                if now >= next_round:
                    next_round = now + self.probe_interval_s
                    self.probe.send_round(int(time.time() * 1000))
                self.probe.check(int(time.time() * 1000))
                self._probe_error = None
            except HubError as exc:
                self._probe_error = str(exc)[:500]
            except Exception as exc:
                log.exception("probe failed")
                self._probe_error = repr(exc)[:500]
            self._stop.wait(1.0)

    def start(self) -> None:
        loops = [("monitor-sampler", self._sample_loop)]
        if self.probe is not None and self.probe_interval_s > 0:
            loops.append(("monitor-probe", self._probe_loop))
        for name, target in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def close(self) -> None:
        """Release the Kafka clients and the store (after :meth:`stop`)."""
        self.sampler.reader.close()
        self.sampler.store.close()
        if self.probe is not None:
            self.probe.close()
