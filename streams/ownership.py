"""Which partitions of a batch this worker still owns when the batch is ready to write its state.

A batch writes its state only after its output is acknowledged, and that wait can outlast a rebalance: faust's
revocation stops waiting for unacknowledged messages after a while (:mod:`streams.faust_fixes`) and hands
the partitions over. Had the batch then written the state of a partition that moved, the write would reach
the table's changelog after the new owner had restored it, and would come back, stale, the next time the
partition is restored from that changelog. So a batch first waits for any rebalance in progress to end,
then writes the state of the partitions it still owns only; the events of the others were not committed, and
their new owner reads them again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger("hub.streams")

REBALANCE_POLL_S = 0.05


def lost_partitions(batch: Iterable[tuple[str, int]], assigned: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    """The (topic, partition) pairs of ``batch`` that are not in ``assigned``."""
    owned = {(topic, partition) for topic, partition in assigned}
    return {tp for tp in batch if tp not in owned}


async def owned_filter(events: list[Any]) -> set[tuple[str, int]]:
    """The (topic, partition) pairs of ``events`` whose state this worker may write now (waits while a
    rebalance is in progress)."""
    if not events:
        return set()
    app = events[0].app
    while not app.flow_control.is_active():
        await asyncio.sleep(REBALANCE_POLL_S)
    batch = {(e.message.topic, e.message.partition) for e in events}
    lost = lost_partitions(batch, ((tp.topic, tp.partition) for tp in app.consumer.assignment()))
    if lost:
        log.warning("a batch outlived its assignment of %s: their state is left to their new owner, who reads "
                    "their events again", ", ".join(f"{t}[{p}]" for t, p in sorted(lost)))
    return batch - lost
