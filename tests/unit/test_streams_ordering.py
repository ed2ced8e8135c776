from __future__ import annotations

from datetime import datetime, timezone

from sinks.ddl import version
from streams.ordering import DEDUP_WINDOW, KeyState, version_of

T0 = datetime(2026, 3, 1, 5, 0, 0, 123_000, tzinfo=timezone.utc)


def test_the_version_orders_like_the_sinks_current_table() -> None:
    versions = [(T0, 2), (T0, 10), (datetime(2026, 3, 1, 5, 0, 1, tzinfo=timezone.utc), 1)]
    sink = [version({"event_time": t, "source": {"position": p}}) for t, p in versions]
    ours = [version_of(t, p) for t, p in versions]
    assert (sorted(ours) == ours, sorted(sink) == sink) == (True, True)
    assert [(ms << 64) | p for ms, p in ours] == sink


def test_the_dedup_window_keeps_the_last_ids_of_a_key() -> None:
    state = KeyState.first("e0", (1, 0))
    for n in range(1, DEDUP_WINDOW + 5):
        state = state.accept(f"e{n}", (1, n))
    assert len(state.recent_ids) == DEDUP_WINDOW
    assert (state.seen(f"e{DEDUP_WINDOW + 4}"), state.seen("e5"), state.seen("e4"), state.seen("e0")) == (
        True, True, False, False)


def test_a_late_event_joins_the_window_but_not_the_version() -> None:
    state = KeyState.first("new", (2000, 5)).accept("old", (1000, 9))
    assert state == KeyState((2000, 5), ("old", "new"))
    assert (state.is_newer((2000, 5)), state.is_newer((2000, 6)), state.is_newer((1999, 99))) == (False, True, False)


def test_state_round_trips_through_bytes() -> None:
    state = KeyState((1_772_341_200_000, 42), ("a", "b"))
    assert KeyState.from_bytes(state.to_bytes()) == state
    assert state.to_bytes() == b'{"v":[1772341200000,42],"ids":["a","b"]}'
