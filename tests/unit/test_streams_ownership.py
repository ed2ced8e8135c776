"""Which partitions of a batch a worker still owns when it writes the batch's state (streams.ownership)."""

from __future__ import annotations

from streams.ownership import lost_partitions


def test_partitions_still_assigned_are_not_lost() -> None:
    assert lost_partitions({("raw", 1), ("raw", 2)}, [("raw", 1), ("raw", 2), ("raw", 3)]) == set()


def test_a_partition_that_moved_is_lost_even_if_another_topic_has_its_number() -> None:
    assert lost_partitions({("raw", 1), ("clean", 2)}, [("raw", 2), ("clean", 2)]) == {("raw", 1)}
