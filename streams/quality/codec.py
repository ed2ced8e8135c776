"""Bytes of the quality stage's table and internal topic (JSON). Decoding raises
:class:`~streams.quality.errors.CorruptQualityState` for bytes this module did not write."""

from __future__ import annotations

from typing import Any

import orjson

from streams.quality.aggregate import WindowStats
from streams.quality.errors import CorruptQualityState
from streams.quality.sketch import Sketch
from streams.quality.windows import QualityState, Tick, Window


def _stats(s: WindowStats) -> list[Any]:
    f = s.freshness
    return [s.dataset, s.system, s.start_ms, s.received, s.valid, s.rejected, s.records, s.present,
            [f.buckets, f.non_positive, f.maximum], s.last_ms]


def _from_stats(raw: list[Any]) -> WindowStats:
    dataset, system, start, received, valid, rejected, records, present, (buckets, non_positive, maximum), last = raw
    return WindowStats(dataset, system, start, received, valid, tuple(map(tuple, rejected)), records,
                       tuple(map(tuple, present)), Sketch(tuple(map(tuple, buckets)), non_positive, maximum), last)


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)  # compact UTF-8: what json.dumps(ensure_ascii=False, separators=(",", ":")) wrote


def encode_news(news: WindowStats | Tick) -> bytes:
    return _dumps({"tick": news.now_ms} if isinstance(news, Tick) else {"stats": _stats(news)})


def decode_news(data: bytes | None) -> WindowStats | Tick:
    try:
        raw = orjson.loads(data or b"")
        return Tick(raw["tick"]) if "tick" in raw else _from_stats(raw["stats"])
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptQualityState("quality news", type(exc).__name__) from exc


def encode_state(state: QualityState) -> bytes:
    windows = [[_stats(w.stats), w.revision, w.pending] for w in state.windows]
    return _dumps([state.watermark_ms, windows, state.applied])


def decode_state(data: bytes | None) -> QualityState:
    if data is None:
        return QualityState()
    try:
        watermark, windows, *applied = orjson.loads(data)  # states written before ``applied`` existed lack it
        return QualityState(watermark, tuple(Window(_from_stats(s), r, p) for s, r, p in windows),
                            applied[0] if applied else -1)
    except (ValueError, TypeError) as exc:
        raise CorruptQualityState("quality state", type(exc).__name__) from exc
