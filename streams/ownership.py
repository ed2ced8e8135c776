"""Which partitions of a batch this worker still owns when the batch is ready to write its state.

A batch writes its state only after its output is acknowledged, and that wait can outlast a rebalance. While
faust revokes partitions it waits for the batches in flight (their partitions are still this worker's until
then), but :mod:`streams.faust_fixes` makes it stop waiting once acknowledgements stop coming, and hands the
partitions over: the messages it gave up on are put in :data:`ABANDONED`. Had such a batch then written the
state of a partition that moved, the write would reach the table's changelog after the new owner restored it,
and come back, stale, the next time the partition is restored from that changelog. So a batch skips the state
of partitions whose messages were abandoned, or that are no longer assigned; those messages were not
committed, and whoever owns their partition reads them again.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("hub.streams")

ABANDONED: weakref.WeakSet[Any] = weakref.WeakSet()
"""Messages a revocation stopped waiting for (filled by :mod:`streams.faust_fixes`)."""


def lost_partitions(batch: Iterable[tuple[str, int]], assigned: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    """The (topic, partition) pairs of ``batch`` that are not in ``assigned``."""
    owned = {(topic, partition) for topic, partition in assigned}
    return {tp for tp in batch if tp not in owned}


def owned_filter(events: list[Any]) -> set[tuple[str, int]]:
    """The (topic, partition) pairs of ``events`` whose state this worker may write now."""
    if not events:
        return set()
    app = events[0].app
    batch = {(e.message.topic, e.message.partition) for e in events}
    lost = {(e.message.topic, e.message.partition) for e in events if e.message in ABANDONED}
    if app.flow_control.is_active():  # no revocation in progress: the assignment is settled
        lost |= lost_partitions(batch, ((tp.topic, tp.partition) for tp in app.consumer.assignment()))
    if lost:
        log.warning("a batch outlived its assignment of %s: their state is left to their new owner, who reads "
                    "their events again", ", ".join(f"{t}[{p}]" for t, p in sorted(lost)))
    return batch - lost
