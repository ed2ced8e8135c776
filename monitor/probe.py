"""The end-to-end probe: a canary per dataset at a steady interval, timed from produce to visible in ClickHouse.

Every round sends one canary (see :mod:`hub.probe_marks`) to each dataset's raw topic through the SDK;
it crosses the stream processors and the sink like any event. Its latency is ``_sink_time − ingest_time``
of its row: ``ingest_time`` is stamped by the SDK when the event is produced, ``_sink_time`` by ClickHouse
when the sink's insert lands it (both UTC milliseconds; on several hosts their clocks must agree, as for
any freshness figure). The probe looks for its canaries on every check; one not found within
``timeout_s`` counts as lost. Keys rotate over ``hub-probe-0 … hub-probe-<partitions-1>`` so the
rounds cover the topics' partitions. p50 and p99 are over each dataset's last :data:`KEEP` latencies.
"""

from __future__ import annotations

import math
import re
import threading
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hub.catalogue import Catalogue
from hub.probe_marks import LANDINGS_TABLE, PROBE_KEY_PREFIX, PROBE_SYSTEM
from monitor.state import ProbeStats
from monitor.tables import SqlSource
from sinks.ddl import history_table

KEEP = 200
_EVENT_ID = re.compile(r"^[0-9a-f-]{36}$")


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of ``values``; None when empty (pure)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


class Emitter(Protocol):
    """What the probe needs of the SDK (:class:`producers.sdk.HubProducer` is one)."""

    def emit(self, dataset_name: str, op: str, key: str, record: dict[str, Any] | None,
             event_time: Any = None, event_id: str | None = None, position: int | None = None) -> str: ...

    def flush(self, timeout_s: float | None = None) -> Any: ...

    def close(self, timeout_s: float | None = None) -> Any: ...


@dataclass(frozen=True)
class Pending:
    dataset: str
    event_id: str
    sent_ms: int


class Landings(Protocol):
    """Where the probe looks for its canaries (:class:`LandingReader` reads ClickHouse)."""

    def landed(self, pending: Sequence[Pending]) -> dict[str, tuple[int, int]]: ...


class LandingReader:
    """Finds landed canaries: in ``probe_landings`` when the sink routes them there, else in history tables."""

    def __init__(self, sql: SqlSource, catalogue: Catalogue) -> None:
        self._sql = sql
        self._catalogue = catalogue
        self._routed = False

    def landed(self, pending: Sequence[Pending]) -> dict[str, tuple[int, int]]:
        """event id → (ingest ms, sink ms) of the pending canaries that are visible now."""
        ids = [p.event_id for p in pending if _EVENT_ID.match(p.event_id)]
        if not ids:
            return {}
        db = self._sql.database
        if not self._routed:
            exists = self._sql.rows(f"EXISTS TABLE `{db}`.`{LANDINGS_TABLE}`")
            self._routed = bool(exists and int(exists[0][0]))
        listed = ", ".join(f"'{i}'" for i in ids)
        cols = "event_id, toUnixTimestamp64Milli(ingest_time), toUnixTimestamp64Milli(_sink_time)"
        if self._routed:
            sql = f"SELECT {cols} FROM `{db}`.`{LANDINGS_TABLE}` WHERE event_id IN ({listed})"
        else:
            datasets = sorted({p.dataset for p in pending})
            sql = " UNION ALL ".join(
                f"SELECT {cols} FROM `{db}`.`{history_table(self._catalogue.get(d))}` "
                f"WHERE startsWith(key, '{PROBE_KEY_PREFIX}') AND source_system = '{PROBE_SYSTEM}' "
                f"AND event_id IN ({listed})" for d in datasets)
        return {str(e): (int(i), int(s)) for e, i, s in self._sql.rows(sql)}


class CanaryProbe:
    """Sends canary rounds and matches their landings (from one thread); :meth:`stats` from any thread."""

    def __init__(self, emitter: Emitter, landings: Landings, datasets: Sequence[str], partitions: int,
                 timeout_s: float) -> None:
        self._emitter = emitter
        self._landings = landings
        self._datasets = tuple(datasets)
        self._partitions = max(1, partitions)
        self._timeout_ms = int(timeout_s * 1000)
        self._round = 0
        self._pending: dict[str, Pending] = {}
        self._latencies = {d: deque[float](maxlen=KEEP) for d in self._datasets}
        self._counts = {d: {"sent": 0, "landed": 0, "lost": 0} for d in self._datasets}
        self._lock = threading.Lock()

    def send_round(self, now_ms: int) -> None:
        """One canary per dataset (raises what the SDK raises; nothing is counted as sent then)."""
        key = f"{PROBE_KEY_PREFIX}{self._round % self._partitions}"
        self._round += 1
        sent = []
        for dataset in self._datasets:
            event_id = self._emitter.emit(dataset, "d", key, None, event_id=str(uuid.uuid4()))
            sent.append(Pending(dataset, event_id, now_ms))
        self._emitter.flush(10.0)
        with self._lock:
            for p in sent:
                self._pending[p.event_id] = p
                self._counts[p.dataset]["sent"] += 1

    def check(self, now_ms: int) -> None:
        """Match pending canaries with their rows; count the ones past the timeout as lost."""
        if not self._pending:
            return
        landed = self._landings.landed(list(self._pending.values()))
        with self._lock:
            for event_id, (ingest_ms, sink_ms) in landed.items():
                p = self._pending.pop(event_id, None)
                if p is not None:
                    self._latencies[p.dataset].append(max(0, sink_ms - ingest_ms) / 1000)
                    self._counts[p.dataset]["landed"] += 1
            for p in [p for p in self._pending.values() if now_ms - p.sent_ms > self._timeout_ms]:
                del self._pending[p.event_id]
                self._counts[p.dataset]["lost"] += 1

    def close(self) -> None:
        self._emitter.close(10.0)

    def stats(self) -> tuple[ProbeStats, ...]:
        out = []
        for d in self._datasets:
            with self._lock:
                values, c = list(self._latencies[d]), dict(self._counts[d])
            out.append(ProbeStats(d, c["sent"], c["landed"], c["lost"], percentile(values, 0.5),
                                  percentile(values, 0.99), values[-1] if values else None))
        return tuple(out)
