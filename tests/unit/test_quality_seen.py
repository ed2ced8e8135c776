"""What a quality observer has already counted (streams.quality.seen)."""

from __future__ import annotations

from streams.quality.seen import Seen

RAW0, RAW1 = ("hub.population.citizen.raw", 0), ("hub.population.citizen.raw", 1)


def test_messages_never_counted_are_fresh_once_each() -> None:
    assert Seen().fresh([(RAW0, 5), (RAW1, 5), (RAW0, 6), (RAW0, 5)]) == [True, True, True, False]


def test_counted_messages_read_again_are_not_fresh_others_are() -> None:
    seen = Seen()
    seen.counted([(RAW0, 5), (RAW0, 6)], {RAW0: 5})
    assert seen.fresh([(RAW0, 5), (RAW0, 6), (RAW0, 7), (RAW1, 6)]) == [False, False, True, True]


def test_a_hole_read_again_after_a_seek_is_counted_the_rest_not() -> None:
    seen = Seen()
    seen.counted([(RAW0, 10), (RAW0, 11), (RAW0, 13), (RAW0, 14)], {RAW0: 10})  # 12 was skipped
    assert seen.fresh([(RAW0, o) for o in range(10, 16)]) == [False, False, True, False, False, True]


def test_offsets_behind_the_committed_one_are_dropped_once_there_are_many() -> None:
    seen = Seen(prune_above=4)
    seen.counted([(RAW0, o) for o in range(4)], {RAW0: 2})
    assert seen.held(RAW0) == 4  # not above the limit yet
    seen.counted([(RAW0, 4)], {RAW0: 3})
    assert seen.held(RAW0) == 2  # 3 and 4: nothing before the committed offset is read again
    seen.counted([(RAW1, o) for o in range(9)], {})
    assert seen.held(RAW1) == 9  # no committed offset known: all kept
