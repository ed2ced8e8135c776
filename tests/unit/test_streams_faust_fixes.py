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


def test_a_hole_with_acknowledgements_arriving_past_it_is_sought_back_to_the_committed_offset() -> None:
    watch = HoleWatch()
    assert watch.check({RAW: (30, 37)}, {RAW: 40}, {}) == []
    assert watch.check({RAW: (30, 37)}, {RAW: 45}, {}) == [(RAW, 30)]


def test_a_hole_without_progress_past_it_waits_its_messages_may_still_be_queued() -> None:
    watch = HoleWatch(stale_checks=4)
    assert [watch.check({RAW: (30, 37)}, {RAW: 40}, {}) for _ in range(3)] == [[], [], []]
    # ... until it has stayed the same for stale_checks checks: a skip at the tail of a quiet partition
    assert watch.check({RAW: (30, 37)}, {RAW: 40}, {}) == [(RAW, 30)]


def test_a_hole_with_a_message_in_flight_inside_it_is_left_alone() -> None:
    watch = HoleWatch()
    watch.check({RAW: (30, 37)}, {RAW: 40}, {RAW: [31]})
    assert watch.check({RAW: (30, 37)}, {RAW: 45}, {RAW: [31]}) == []
    # in flight outside the hole does not count
    assert watch.check({RAW: (30, 37)}, {RAW: 45}, {RAW: [46]}) == []
    assert watch.check({RAW: (30, 37)}, {RAW: 50}, {RAW: [51]}) == [(RAW, 30)]


def test_a_hole_whose_messages_stay_in_flight_is_sought_back_after_twice_the_stale_checks() -> None:
    watch = HoleWatch(stale_checks=3)
    assert [watch.check({RAW: (30, 37)}, {RAW: 40 + i}, {RAW: [31]}) for i in range(5)] == [[]] * 5
    assert watch.check({RAW: (30, 37)}, {RAW: 46}, {RAW: [31]}) == [(RAW, 30)]


def test_a_hole_that_moved_between_checks_starts_over() -> None:
    watch = HoleWatch()
    watch.check({RAW: (30, 37), OTHER: (5, 9)}, {RAW: 40, OTHER: 12}, {})
    assert watch.check({RAW: (33, 37), OTHER: (5, 9)}, {RAW: 41, OTHER: 13}, {}) == [(OTHER, 5)]
    assert watch.check({RAW: (33, 37)}, {RAW: 42}, {}) == [(RAW, 33)]


def test_a_hole_that_closed_is_forgotten() -> None:
    watch = HoleWatch()
    watch.check({RAW: (30, 37)}, {RAW: 40}, {})
    watch.check({}, {}, {})
    assert watch.check({RAW: (30, 37)}, {RAW: 45}, {}) == []


def test_an_idle_partition_is_sought_back_once_it_stayed_idle_at_the_same_offset_for_the_stale_checks() -> None:
    watch = HoleWatch(stale_checks=3)
    assert [watch.check({}, {}, {}, {RAW: 60}) for _ in range(2)] == [[], []]
    assert watch.check({}, {}, {}, {RAW: 60}) == [(RAW, 60)]


def test_an_idle_partition_that_moved_on_or_got_busy_starts_over() -> None:
    watch = HoleWatch(stale_checks=3)
    watch.check({}, {}, {}, {RAW: 60, OTHER: 7})
    watch.check({}, {}, {}, {RAW: 61, OTHER: 7})  # committed moved: RAW starts over
    assert watch.check({}, {}, {}, {RAW: 61}) == []  # OTHER not idle (a message reached its agent): forgotten
    assert watch.check({}, {}, {}, {RAW: 61, OTHER: 7}) == [(RAW, 61)]
    assert watch.check({}, {}, {}, {OTHER: 7}) == []
