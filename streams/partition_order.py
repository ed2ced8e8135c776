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

    def next(self, tp: Hashable) -> int | None:
        """The next offset ``tp`` must deliver (None: unknown)."""
        return self._next.get(tp)

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


class ProcessedInOrder:
    """Per partition, the next offset an agent must process, in the current consumer generation.

    :class:`InOrder` keeps what faust's fetcher loop hands over in order; between there and an agent's batch,
    faust's channels, queues and ``take_events`` buffer could still lose a record while its successors go on
    (a SIGKILL test once saw the record at the committed offset of nine partitions processed 30 s after its
    successors). This is the check where the order matters, for each agent: a record past the next offset (or,
    first in a generation, past the committed offset the partition was sought to) is not processed, and its
    partition is sought back to the missing offset, once. Should the missing offsets still not come
    ``give_up_s`` after that seek (records deleted by retention before they were read), the jump is taken and
    listed in :attr:`given_up`."""

    def __init__(self, give_up_s: float = 30.0) -> None:
        self._give_up_s = give_up_s
        self._next: dict[Hashable, tuple[int, int]] = {}  # partition → (generation, next offset)
        self._sought: dict[Hashable, tuple[int, int, float]] = {}  # partition → (generation, offset, when)
        self.given_up: list[tuple[Hashable, int, int]] = []  # (partition, first missing offset, offset taken)

    def admit(self, tp: Hashable, generation: int, offset: int, committed: int | None, now: float) -> int | None:
        """None to process the record at ``offset`` (again, if below the next one); else the missing offset
        to read ``tp`` again from. ``committed``: the partition's committed offset now (None: unknown)."""
        known = self._next.get(tp)
        expected = known[1] if known is not None and known[0] == generation else committed
        if expected is not None and offset > expected:
            sought = self._sought.get(tp)
            if sought is None or sought[:2] != (generation, expected) or now - sought[2] < self._give_up_s:
                return expected
            self.given_up.append((tp, expected, offset))
        self._next[tp] = (generation, offset + 1 if expected is None else max(expected, offset + 1))
        return None

    def seek_due(self, tp: Hashable, generation: int, missing: int, now: float) -> bool:
        """Whether to seek ``tp`` back to ``missing``: not if already sought there in this generation (the
        records fetched before that seek still drain from the agent's queue)."""
        sought = self._sought.get(tp)
        if sought is not None and sought[:2] == (generation, missing):
            return False
        self._sought[tp] = (generation, missing, now)
        return True
