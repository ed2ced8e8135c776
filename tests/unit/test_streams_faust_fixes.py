"""The offset-hole rules that keep faust from committing offsets it never processed (streams.faust_fixes)."""

from __future__ import annotations

from faust.types import TP

from streams.faust_fixes import HoleWatch, hole

RAW = TP("hub.land.parcel.raw", 2)
OTHER = TP("hub.land.parcel.raw", 3)


def test_no_hole_when_acknowledged_offsets_start_at_the_committed_one() -> None:
    assert hole([12, 10, 11], 10) is None


def test_a_hole_of_one_offset_is_a_hole() -> None:
    # faust itself commits across a hole of exactly one offset; the patched commit waits
    assert hole([11, 12], 10) == (10, 11)


def test_hole_spans_committed_to_first_acknowledged_whatever_the_ack_order() -> None:
    assert hole([40, 37, 38], 30) == (30, 37)


def test_nothing_known_is_no_hole() -> None:
    assert hole([], 10) is None
    assert hole([5, 6], None) is None


def test_a_hole_seen_twice_with_nothing_in_flight_is_sought_back_to_the_committed_offset() -> None:
    watch = HoleWatch()
    assert watch.check({RAW: (30, 37)}, {}) == []
    assert watch.check({RAW: (30, 37)}, {}) == [(RAW, 30)]


def test_a_hole_with_a_message_in_flight_inside_it_is_left_alone() -> None:
    watch = HoleWatch()
    watch.check({RAW: (30, 37)}, {RAW: [31]})
    assert watch.check({RAW: (30, 37)}, {RAW: [31]}) == []
    # in flight outside the hole does not count
    assert watch.check({RAW: (30, 37)}, {RAW: [40]}) == []
    assert watch.check({RAW: (30, 37)}, {RAW: [40]}) == [(RAW, 30)]


def test_a_hole_that_moved_between_checks_starts_over() -> None:
    watch = HoleWatch()
    watch.check({RAW: (30, 37), OTHER: (5, 9)}, {})
    assert watch.check({RAW: (33, 37), OTHER: (5, 9)}, {}) == [(OTHER, 5)]
    assert watch.check({RAW: (33, 37)}, {}) == [(RAW, 33)]


def test_a_hole_that_closed_is_forgotten() -> None:
    watch = HoleWatch()
    watch.check({RAW: (30, 37)}, {})
    watch.check({}, {})
    assert watch.check({RAW: (30, 37)}, {}) == []
