"""Each partition's records in offset order (streams.partition_order.InOrder)."""

from __future__ import annotations

from streams.partition_order import InOrder

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
