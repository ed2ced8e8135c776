"""Each partition's records reach the agents in offset order, with none skipped (pure; fed by
:mod:`streams.faust_seeks`).

The agents rely on it: a record's key state and golden-source state say which version came last, so a record
delivered after a later one of the same partition is taken as late (its golden contributions are not sent)
although its source published it in order. faust 0.15 can skip records at a rebalance (records it dropped
from a fetch, or from its queues, while the fetcher went on), and what it hands over next is further on; the
skipped records came back only later, after their successors. :class:`InOrder` knows the next offset each
partition must deliver and, on a jump past it, asks to seek back there instead of delivering.

A jump can also be real: transaction markers and compacted records take offsets that no record is read at.
The hub's agent topics have neither; should one ever have them, a jump seen again right after its seek back
(the fetch from the missing offset jumps to the same place) is delivered rather than sought back forever.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable


class InOrder:
    """Per partition, the next offset to deliver."""

    def __init__(self) -> None:
        self._next: dict[Hashable, int] = {}
        self._sought_back: dict[Hashable, int] = {}  # partition → the offset last sought back to

    def check(self, tp: Hashable, offset: int) -> int | None:
        """None to deliver the record at ``offset``; else the offset to seek ``tp`` back to, dropping it."""
        expected = self._next.get(tp)
        if expected is None or offset <= expected:
            return None
        if self._sought_back.get(tp) == expected:  # read again from there, and the jump stays: offsets without records
            del self._sought_back[tp]
            return None
        self._sought_back[tp] = expected
        return expected

    def delivered(self, tp: Hashable, offset: int) -> None:
        """The record at ``offset`` was handed over (one before the next offset was dropped as read already)."""
        if offset >= self._next.get(tp, offset):
            self._next[tp] = offset + 1
            self._sought_back.pop(tp, None)

    def forget(self, partitions: Iterable[Hashable]) -> None:
        """``partitions`` were revoked: whatever this worker read of them, their next owner may have read on."""
        for tp in partitions:
            self._next.pop(tp, None)
            self._sought_back.pop(tp, None)

    def sought(self, tp: Hashable, offset: int | None) -> None:
        """``tp`` reads next from ``offset`` (None: unknown, anything goes until a record is delivered)."""
        if offset is None:
            self._next.pop(tp, None)
        else:
            self._next[tp] = offset
