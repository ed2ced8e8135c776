"""Where the sink resumes a partition it is assigned, and the deduplication token of a topic's insert (pure)."""

from __future__ import annotations

from sinks.consumer import batch_token, resume_points

A0, A1, A2, B0 = ("a", 0), ("a", 1), ("a", 2), ("b", 0)


def test_resumes_after_what_clickhouse_holds_when_the_commit_is_behind_it() -> None:
    starts, behind = resume_points([A0, A1, A2, B0], committed={A0: 10, A1: -1001, A2: 50, B0: 7},
                                   stored={A0: 19, A1: 4, A2: 30})
    assert starts == {A0: 20, A1: 5, A2: 50, B0: 7}
    assert behind == {A0: 20, A1: 5}  # to be committed: the group's lag then matches what landed


def test_nothing_stored_keeps_the_group_position() -> None:
    starts, behind = resume_points([A0, B0], committed={A0: -1001, B0: 3}, stored={})
    assert (starts, behind) == ({A0: -1001, B0: 3}, {})


def test_a_commit_at_the_stored_end_needs_no_catch_up() -> None:
    assert resume_points([A0], committed={A0: 20}, stored={A0: 19}) == ({A0: 20}, {})


def test_a_topic_insert_token_names_each_partition_range_in_partition_order() -> None:
    assert batch_token("ns.t", {3: (40, 49), 0: (7, 7), 1: (100, 180)}) == "ns.t/0:7-7/1:100-180/3:40-49"
    assert batch_token("ns.t", {1: (100, 180), 0: (7, 7)}) == batch_token("ns.t", {0: (7, 7), 1: (100, 180)})
