"""Which partitions of a batch a worker still owns when it writes the batch's state (streams.ownership)."""

from __future__ import annotations

from faust.types import TP

from streams.ownership import ABANDONED, lost_partitions, owned_filter


def test_partitions_still_assigned_are_not_lost() -> None:
    assert lost_partitions({("raw", 1), ("raw", 2)}, [("raw", 1), ("raw", 2), ("raw", 3)]) == set()


def test_a_partition_that_moved_is_lost_even_if_another_topic_has_its_number() -> None:
    assert lost_partitions({("raw", 1), ("clean", 2)}, [("raw", 2), ("clean", 2)]) == {("raw", 1)}


class _Flow:
    def __init__(self, active: bool) -> None:
        self.active = active

    def is_active(self) -> bool:
        return self.active


class _Consumer:
    def __init__(self, assigned: set[TP]) -> None:
        self.assigned = assigned

    def assignment(self) -> set[TP]:
        return self.assigned


class _App:
    def __init__(self, active: bool, assigned: set[TP]) -> None:
        self.flow_control, self.consumer = _Flow(active), _Consumer(assigned)


class _Message:
    def __init__(self, topic: str, partition: int) -> None:
        self.topic, self.partition = topic, partition


class _Event:
    def __init__(self, app: _App, message: _Message) -> None:
        self.app, self.message = app, message


def test_a_revocation_in_progress_still_leaves_the_batch_its_partitions() -> None:
    app = _App(active=False, assigned=set())  # faust waits for this batch before it hands anything over
    assert owned_filter([_Event(app, _Message("raw", 1))]) == {("raw", 1)}


def test_messages_a_revocation_gave_up_on_lose_their_partition() -> None:
    app = _App(active=False, assigned={TP("raw", 1), TP("raw", 2)})
    given_up = _Message("raw", 1)
    ABANDONED.add(given_up)
    assert owned_filter([_Event(app, given_up), _Event(app, _Message("raw", 2))]) == {("raw", 2)}


def test_once_the_flow_runs_again_only_assigned_partitions_are_owned() -> None:
    app = _App(active=True, assigned={TP("raw", 2)})
    assert owned_filter([_Event(app, _Message("raw", 1)), _Event(app, _Message("raw", 2))]) == {("raw", 2)}
