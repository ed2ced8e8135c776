"""Data-quality metrics: observations, window stats, quantiles, publication of windows, the Avro record."""

from __future__ import annotations

import copy
import math
from datetime import datetime, timezone

import fastavro
import pytest

from hub import wire
from hub.catalogue import load_catalogue
from streams.quality import publish
from streams.quality.aggregate import (UNKNOWN_SYSTEM, WINDOW_MS, Observation, WindowStats, field_paths,
                                       observe_envelope, present_paths, summarize)
from streams.quality.codec import decode_news, decode_state, encode_news, encode_state
from streams.quality.errors import CorruptQualityState
from streams.quality.sketch import Sketch, bucket, estimate
from streams.quality.windows import (Freshness, QualityRecord, QualityState, Tick, Window, accept, apply_news,
                                    record)

CATALOGUE = load_catalogue()
CITIZEN_PATHS = ("cccd", "full_name", "date_of_birth", "sex", "place_of_origin", "permanent_address.line",
                 "permanent_address.ward_code", "permanent_address.province_code", "ethnicity", "nationality", "phone")
T0 = 1_790_000_040_000  # 2026-09-21 14:14:00 UTC, the start of a minute
D = "population.citizen"


def at(seconds: float) -> int:
    return T0 + int(seconds * 1000)


def test_field_paths_are_the_leaves_of_the_record() -> None:
    assert field_paths(CATALOGUE.get(D).record_schema) == CITIZEN_PATHS


def test_present_paths_are_the_non_null_leaves() -> None:
    record = {"cccd": "001190000011", "full_name": "Trần Thị Mai", "place_of_origin": None,
              "permanent_address": {"line": "Số 1 Tràng Tiền", "ward_code": None, "province_code": "01"}}
    assert present_paths(record, CITIZEN_PATHS) == {"cccd", "full_name", "permanent_address.line",
                                                    "permanent_address.province_code"}
    assert present_paths({"permanent_address": None}, ("permanent_address.line",)) == frozenset()


def test_observing_an_envelope_per_stage() -> None:
    envelope = {"source": {"ministry": "BCA", "system": "dancu-hn", "position": 3},
                "event_time": datetime.fromtimestamp(at(-2.5) / 1000, timezone.utc),
                "after": {"cccd": "001190000011", "full_name": None}}
    assert [observe_envelope(D, "clean", at(1), envelope, ("cccd", "full_name")),
            observe_envelope(D, "clean", at(1), {**envelope, "after": None}, ("cccd",)),
            observe_envelope(D, "raw", at(0), envelope),
            observe_envelope(D, "dlq", at(2), None, reason="bad_magic")] == [
        Observation(D, "dancu-hn", "clean", at(1), freshness_ms=3500, present=frozenset({"cccd"})),
        Observation(D, "dancu-hn", "clean", at(1), freshness_ms=3500, present=None),
        Observation(D, "dancu-hn", "raw", at(0)),
        Observation(D, UNKNOWN_SYSTEM, "dlq", at(2), reason="bad_magic")]


OBSERVATIONS = [
    Observation(D, "a", "raw", at(1)), Observation(D, "a", "raw", at(2)), Observation(D, "a", "raw", at(3)),
    Observation(D, "a", "clean", at(4), freshness_ms=3000, present=frozenset({"cccd", "full_name"})),
    Observation(D, "a", "clean", at(5), freshness_ms=1000, present=frozenset({"cccd"})),
    Observation(D, "a", "clean", at(6), freshness_ms=2000, present=None),
    Observation(D, "a", "dlq", at(7), reason="cccd_inconsistent"),
    Observation(D, "a", "raw", at(61)),
    Observation(D, "b", "dlq", at(8), reason="cccd_inconsistent"), Observation(D, "b", "dlq", at(9), reason="empty"),
]


def test_observations_add_up_per_dataset_system_and_minute() -> None:
    assert summarize(OBSERVATIONS) == (
        WindowStats(D, "a", T0, received=3, valid=3, rejected=(("cccd_inconsistent", 1),), records=2,
                    present=(("cccd", 2), ("full_name", 1)), freshness=Sketch.of([3000, 1000, 2000]), last_ms=at(7)),
        WindowStats(D, "a", T0 + WINDOW_MS, received=1, last_ms=at(61)),
        WindowStats(D, "b", T0, rejected=(("cccd_inconsistent", 1), ("empty", 1)), last_ms=at(9)),
    )


def test_stats_of_parts_merge_into_the_stats_of_the_whole() -> None:
    whole = summarize(OBSERVATIONS)[0]
    first, second = summarize(OBSERVATIONS[:4])[0], summarize(OBSERVATIONS[4:7])[0]
    assert first.merge(second) == second.merge(first) == whole
    with pytest.raises(ValueError):
        whole.merge(summarize(OBSERVATIONS)[2])


def test_quantiles_are_within_one_percent_and_the_maximum_exact() -> None:
    values = [v * v % 100_003 + 1 for v in range(1, 5000)]
    sketch = Sketch.of(values)
    ordered = sorted(values)
    for q in (0.0, 0.25, 0.5, 0.95, 0.99, 1.0):
        exact = ordered[max(1, math.ceil(q * len(values))) - 1]
        got = sketch.quantile(q)
        assert got is not None and abs(got - exact) <= 0.01 * exact + 1, (q, got, exact)
    assert (sketch.maximum, sketch.count) == (max(values), len(values))
    assert Sketch.of(values[:1000]).merge(Sketch.of(values[1000:])) == sketch


def test_quantiles_of_nothing_and_of_clock_skew() -> None:
    assert (Sketch().quantile(0.5), Sketch().maximum, Sketch().count) == (None, None, 0)
    skewed = Sketch.of([-40, 0, 0, 1000])
    assert (skewed.quantile(0.5), skewed.quantile(1.0), skewed.maximum) == (0, 1000, 1000)


def stats(start: int, last: int, received: int = 1) -> WindowStats:
    return WindowStats(D, "a", start, received=received, last_ms=last)


def test_a_window_is_published_once_the_watermark_passes_its_end_and_grace() -> None:
    first = accept(QualityState(), stats(T0, at(30)), CITIZEN_PATHS)
    assert (first.publish, first.state) == ((), QualityState(at(30), (Window(stats(T0, at(30))),)))
    due = accept(first.state, stats(T0 + WINDOW_MS, at(70)), CITIZEN_PATHS)
    assert due.publish == (record(stats(T0, at(30)), 1, CITIZEN_PATHS),)
    assert due.state.windows == (Window(stats(T0, at(30)), 1, pending=False), Window(stats(T0 + WINDOW_MS, at(70))))


def test_a_tick_publishes_a_quiet_sources_last_window_but_does_not_make_news_late() -> None:
    state = accept(QualityState(), stats(T0, at(30)), CITIZEN_PATHS).state
    assert accept(state, Tick(at(69)), CITIZEN_PATHS).publish == ()
    ticked = accept(state, Tick(at(3600)), CITIZEN_PATHS)
    assert ticked.publish == (record(stats(T0, at(30)), 1, CITIZEN_PATHS),)
    assert ticked.state.watermark_ms == at(30)
    late = accept(ticked.state, stats(T0, at(40)), CITIZEN_PATHS)
    assert (late.late, late.publish) == (None, ())


def test_news_for_a_published_window_republishes_it_and_news_past_retention_is_late() -> None:
    state = accept(QualityState(), stats(T0, at(30)), CITIZEN_PATHS).state
    state = accept(state, stats(T0 + 2 * WINDOW_MS, at(130)), CITIZEN_PATHS).state
    republished = accept(state, stats(T0, at(31), received=4), CITIZEN_PATHS)
    assert republished.publish == (record(WindowStats(D, "a", T0, received=5, last_ms=at(31)), 2, CITIZEN_PATHS),)
    assert accept(republished.state, Tick(at(185)), CITIZEN_PATHS).publish == ()
    far = accept(republished.state, stats(T0 + 30 * WINDOW_MS, at(30 * 60 + 5)), CITIZEN_PATHS)
    assert far.publish == (record(stats(T0 + 2 * WINDOW_MS, at(130)), 1, CITIZEN_PATHS),)
    assert [w.stats.start_ms for w in far.state.windows] == [T0 + 30 * WINDOW_MS]  # the others are past retention
    too_late = accept(far.state, stats(T0, at(32)), CITIZEN_PATHS)
    assert (too_late.late, too_late.publish, too_late.state) == (stats(T0, at(32)), (), far.state)


def test_news_read_again_is_not_counted_twice() -> None:
    first = apply_news(QualityState(), 7, stats(T0, at(30), received=3), CITIZEN_PATHS)
    assert first is not None and first.state.applied == 7
    assert apply_news(first.state, 7, stats(T0, at(30), received=3), CITIZEN_PATHS) is None
    assert apply_news(first.state, 5, Tick(at(3600)), CITIZEN_PATHS) is None
    second = apply_news(first.state, 8, stats(T0, at(31), received=2), CITIZEN_PATHS)
    assert second is not None and second.state.applied == 8
    assert second.state.windows == (Window(WindowStats(D, "a", T0, received=5, last_ms=at(31))),)


def test_accepting_news_keeps_the_offset_of_the_last_applied() -> None:
    assert accept(QualityState(applied=41), Tick(at(1)), CITIZEN_PATHS).state.applied == 41


def test_the_published_record_of_a_window() -> None:
    whole = summarize(OBSERVATIONS)[0]
    p50 = round(estimate(bucket(2000)))  # the middle of the 1000, 2000, 3000 ms; the 95th is the maximum
    assert record(whole, 1, ("cccd", "full_name", "phone")) == QualityRecord(
        D, "a", T0, T0 + WINDOW_MS, 1, received=3, valid=3, rejected=1, rejected_by_reason=(("cccd_inconsistent", 1),),
        records=2, completeness=(("cccd", 1.0), ("full_name", 0.5), ("phone", 0.0)),
        freshness=Freshness(3, p50, 3000, 3000))
    assert abs(p50 - 2000) <= 20
    assert record(summarize(OBSERVATIONS)[2], 1, ("cccd",)).completeness == ()


def test_states_and_news_survive_their_bytes() -> None:
    state = accept(QualityState(), summarize(OBSERVATIONS)[0], CITIZEN_PATHS).state
    assert decode_state(encode_state(state)) == state
    assert decode_state(None) == QualityState()
    applied = QualityState(state.watermark_ms, state.windows, applied=12)
    assert decode_state(encode_state(applied)) == applied
    assert decode_state(encode_state(state)[:-4] + b"]") == state  # written before states held ``applied``
    news: list[WindowStats | Tick] = [*summarize(OBSERVATIONS), Tick(5)]
    assert [decode_news(encode_news(n)) for n in news] == news
    with pytest.raises(CorruptQualityState):
        decode_news(b"\x00\x00\x00\x00\x01")


def test_the_record_in_avro_round_trips_through_the_wire_format() -> None:
    schema = publish.schema()
    parsed = fastavro.parse_schema(copy.deepcopy(schema))
    value = publish.to_avro(record(summarize(OBSERVATIONS)[0], 2, CITIZEN_PATHS))
    assert wire.SchemaCache(lambda _: schema).decode(wire.encode(3, parsed, value)) == (3, value)
    assert (value["window_start"], value["revision"], value["rejected_by_reason"], value["completeness"]["cccd"]) == (
        datetime.fromtimestamp(T0 / 1000, timezone.utc), 2, {"cccd_inconsistent": 1}, 1.0)
    assert publish.message_key(record(summarize(OBSERVATIONS)[0], 2, ())) == f"{D}|a|{T0}".encode()
    assert (publish.quality_topic("hub"), publish.subject("hub")) == ("hub.quality", "hub.quality-value")
