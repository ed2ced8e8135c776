"""Each partition's records in offset order (streams.partition_order: InOrder where faust hands them over,
ProcessedInOrder where an agent processes them)."""

from __future__ import annotations

from streams.partition_order import InOrder, ProcessedInOrder

RAW = ("hub.land.parcel.raw", 2)


def test_records_in_order_are_delivered() -> None:
    order = InOrder()
    for offset in (46, 47, 48):
        assert order.check(RAW, offset) is None
        order.delivered(RAW, offset)


def test_a_jump_asks_to_seek_back_to_the_next_offset() -> None:
    order = InOrder()
    order.delivered(RAW, 46)
    assert order.check(RAW, 68) == 47


def test_a_record_read_already_is_not_a_jump_and_does_not_move_the_next_offset_back() -> None:
    order = InOrder()
    order.delivered(RAW, 46)
    assert order.check(RAW, 40) is None
    order.delivered(RAW, 40)
    assert order.check(RAW, 48) == 47


def test_a_seek_sets_the_next_offset_back_or_forth() -> None:
    order = InOrder()
    order.delivered(RAW, 46)
    order.sought(RAW, 30)
    assert order.check(RAW, 31) == 30
    order.sought(RAW, 90)
    assert order.check(RAW, 90) is None


def test_nothing_is_a_jump_before_the_next_offset_is_known() -> None:
    order = InOrder()
    assert order.check(RAW, 500) is None
    order.delivered(RAW, 46)
    order.sought(RAW, None)
    assert order.check(RAW, 500) is None


def test_the_same_jump_after_seeking_back_is_delivered_once_then_order_holds_again() -> None:
    order = InOrder()
    order.delivered(RAW, 46)
    assert order.check(RAW, 50) == 47
    order.sought(RAW, 47)
    assert order.check(RAW, 50) is None  # read again from 47, the first record is at 50: 47..49 hold none
    order.delivered(RAW, 50)
    assert order.check(RAW, 53) == 51


def test_partitions_are_independent() -> None:
    order = InOrder()
    other = (RAW[0], 3)
    order.delivered(RAW, 46)
    order.delivered(other, 7)
    assert order.check(other, 8) is None
    assert order.check(RAW, 49) == 47


def test_a_revoked_partition_is_forgotten_its_next_owner_may_have_read_on() -> None:
    order = InOrder()
    other = (RAW[0], 3)
    order.delivered(RAW, 36)
    order.delivered(other, 7)
    order.forget([RAW])
    assert order.check(RAW, 55) is None  # back from the other worker, which read up to 54
    assert order.check(other, 9) == 8


# --- ProcessedInOrder: where an agent processes them ------------------------------------------------------

def _admit_all(order: ProcessedInOrder, offsets: list[int], generation: int = 3, committed: int | None = 46,
               now: float = 0.0) -> list[int | None]:
    return [order.admit(RAW, generation, o, committed, now) for o in offsets]


def test_an_agent_processes_a_partition_from_its_committed_offset_on() -> None:
    order = ProcessedInOrder()
    assert _admit_all(order, [46, 47, 48]) == [None, None, None]


def test_a_first_record_past_the_committed_offset_is_held_back_until_the_missing_one_comes() -> None:
    order = ProcessedInOrder()
    assert _admit_all(order, [47, 48]) == [46, 46]
    assert order.seek_due(RAW, 3, 46, now=0.0)
    assert not order.seek_due(RAW, 3, 46, now=1.0)  # records fetched before the seek still drain
    assert _admit_all(order, [49, 46, 47, 48], now=2.0) == [46, None, None, None]


def test_a_jump_within_a_generation_is_held_back_records_read_again_are_processed() -> None:
    order = ProcessedInOrder()
    assert _admit_all(order, [46, 47, 49], committed=None) == [None, None, 48]
    assert _admit_all(order, [46, 47, 48, 49], committed=None) == [None, None, None, None]
    assert _admit_all(order, [51], committed=None) == [50]


def test_a_new_generation_starts_again_from_the_committed_offset() -> None:
    order = ProcessedInOrder()
    assert _admit_all(order, [46, 47, 48, 49]) == [None, None, None, None]
    assert _admit_all(order, [50], generation=4, committed=48) == [48]
    assert _admit_all(order, [48, 49, 50], generation=4, committed=48) == [None, None, None]


def test_without_a_committed_offset_the_first_record_sets_the_order() -> None:
    order = ProcessedInOrder()
    assert _admit_all(order, [900, 901, 903], committed=None) == [None, None, 902]


def test_offsets_that_never_come_back_after_the_seek_are_taken_as_deleted_and_listed() -> None:
    order = ProcessedInOrder(give_up_s=30.0)
    assert _admit_all(order, [60], now=0.0) == [46]
    assert order.seek_due(RAW, 3, 46, now=0.0)
    assert _admit_all(order, [60], now=29.0) == [46]
    assert order.given_up == []
    assert _admit_all(order, [60, 61, 63], now=30.0) == [None, None, 62]
    assert order.given_up == [(RAW, 46, 60)]


def test_giving_up_needs_a_seek_back_to_the_same_offset_in_the_same_generation() -> None:
    order = ProcessedInOrder(give_up_s=30.0)
    assert order.seek_due(RAW, 2, 46, now=0.0)
    assert _admit_all(order, [60], generation=3, now=100.0) == [46]
    assert order.given_up == []


def test_an_agents_partitions_are_independent() -> None:
    order = ProcessedInOrder()
    other = ("hub.land.parcel.raw", 3)
    assert order.admit(RAW, 3, 46, 46, 0.0) is None
    assert order.admit(other, 3, 10, 12, 0.0) is None  # below the committed one: read again, processed
    assert order.admit(other, 3, 13, 12, 0.0) == 12
    assert order.admit(RAW, 3, 47, 46, 0.0) is None
