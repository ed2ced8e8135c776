"""When a minute's metrics are published, and what the published record holds (pure).

The metrics of one dataset and source system are combined in one :class:`QualityState`. A window is
published once its end plus ``grace_ms`` has passed: by the watermark (the latest message timestamp seen)
or by the wall clock of a tick, so that a quiet source's last minute is published too. News for a published
window (a lagging partition, a backlog after an outage) publishes it again with the next revision, as long as
the window is kept: until the watermark is ``retain_ms`` past its end. News for a window no longer kept is
returned as late, for the caller to report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from streams.quality.aggregate import WINDOW_MS, WindowStats

GRACE_MS = 10_000
RETAIN_MS = 15 * WINDOW_MS


@dataclass(frozen=True)
class Window:
    stats: WindowStats
    revision: int = 0
    """Records published for the window so far."""
    pending: bool = True
    """The window has news not yet published."""


@dataclass(frozen=True)
class QualityState:
    """The windows of one dataset and source system still kept."""

    watermark_ms: int = 0
    windows: tuple[Window, ...] = ()
    applied: int = -1
    """The offset of the last news merged into this state (a key's news all go to one partition of the news
    topic, in order): news read again after a crash or a seek is not counted twice (:func:`apply_news`)."""


@dataclass(frozen=True)
class Freshness:
    count: int
    p50_ms: int | None
    p95_ms: int | None
    max_ms: int | None


@dataclass(frozen=True)
class QualityRecord:
    """The published metrics of one window."""

    dataset: str
    source_system: str
    window_start_ms: int
    window_end_ms: int
    revision: int
    received: int
    valid: int
    rejected: int
    rejected_by_reason: tuple[tuple[str, int], ...]
    records: int
    completeness: tuple[tuple[str, float], ...]
    freshness: Freshness


@dataclass(frozen=True)
class Tick:
    """The wall clock, sent to every state now and then so that quiet sources' windows get published."""

    now_ms: int


@dataclass(frozen=True)
class Accepted:
    state: QualityState
    publish: tuple[QualityRecord, ...]
    late: WindowStats | None = None
    """News for a window no longer kept: not counted anywhere, to be reported."""


def accept(state: QualityState, news: WindowStats | Tick, paths: Iterable[str], grace_ms: int = GRACE_MS,
           retain_ms: int = RETAIN_MS) -> Accepted:
    """Merge ``news`` (stats, or a tick of the clock) and publish the windows that are due.

    ``paths`` are the dataset's field paths, the keys of ``completeness``."""
    windows = {w.stats.start_ms: w for w in state.windows}
    if isinstance(news, Tick):
        watermark, clock = state.watermark_ms, max(state.watermark_ms, news.now_ms)
    else:
        watermark = clock = max(state.watermark_ms, news.last_ms)
    late = None
    if isinstance(news, WindowStats):
        held = windows.get(news.start_ms)
        if held is not None:
            windows[news.start_ms] = Window(held.stats.merge(news), held.revision)
        elif news.start_ms + WINDOW_MS + retain_ms < watermark:
            late = news
        else:
            windows[news.start_ms] = Window(news)
    published = []
    for start, window in sorted(windows.items()):
        if window.pending and start + WINDOW_MS + grace_ms <= clock:
            window = windows[start] = replace(window, revision=window.revision + 1, pending=False)
            published.append(record(window.stats, window.revision, paths))
    kept = tuple(w for s, w in sorted(windows.items()) if w.pending or s + WINDOW_MS + retain_ms >= watermark)
    return Accepted(QualityState(watermark, kept, state.applied), tuple(published), late)


def apply_news(state: QualityState, offset: int, news: WindowStats | Tick, paths: Iterable[str],
               grace_ms: int = GRACE_MS) -> Accepted | None:
    """:func:`accept` the news at ``offset`` of the news topic, or None if ``state`` already holds it."""
    if offset <= state.applied:
        return None
    accepted = accept(state, news, paths, grace_ms)
    return replace(accepted, state=replace(accepted.state, applied=offset))


def record(stats: WindowStats, revision: int, paths: Iterable[str]) -> QualityRecord:
    """The published form of a window's stats."""
    present = dict(stats.present)
    names = sorted(set(paths) | set(present))
    completeness = tuple((n, present.get(n, 0) / stats.records) for n in names) if stats.records else ()
    freshness = stats.freshness
    return QualityRecord(
        stats.dataset, stats.system, stats.start_ms, stats.start_ms + WINDOW_MS, revision, stats.received,
        stats.valid, sum(n for _, n in stats.rejected), stats.rejected, stats.records, completeness,
        Freshness(freshness.count, freshness.quantile(0.5), freshness.quantile(0.95), freshness.maximum))
