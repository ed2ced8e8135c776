"""Which messages a quality observer has already counted (pure).

A message is read again when its partition is sought back to the committed offset (a hole, a rebalance that
kept the partition here): the observer must not count it twice. Only offsets at or after the committed one
can be read again, so that is all :class:`Seen` keeps: a partition's offsets are dropped once the committed
offset has passed them (checked when it holds more than :data:`PRUNE_ABOVE`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

PRUNE_ABOVE = 4096


class Seen:
    def __init__(self, prune_above: int = PRUNE_ABOVE) -> None:
        self._offsets: dict[Hashable, set[int]] = {}
        self._prune_above = prune_above

    def fresh(self, messages: Sequence[tuple[Hashable, int]]) -> list[bool]:
        """Per (partition, offset), whether it is counted neither already nor earlier in ``messages``."""
        found, batch = [], set()
        for tp, offset in messages:
            new = (tp, offset) not in batch and offset not in self._offsets.get(tp, ())
            batch.add((tp, offset))
            found.append(new)
        return found

    def counted(self, messages: Iterable[tuple[Hashable, int]], committed: Mapping[Hashable, int | None]) -> None:
        """Remember ``messages`` as counted (their output is acknowledged); ``committed`` is the committed
        offset per partition, below which nothing is read again."""
        touched = set()
        for tp, offset in messages:
            self._offsets.setdefault(tp, set()).add(offset)
            touched.add(tp)
        for tp in touched:
            offsets, floor = self._offsets[tp], committed.get(tp)
            if len(offsets) > self._prune_above and floor is not None:
                self._offsets[tp] = {o for o in offsets if o >= floor}

    def held(self, tp: Hashable) -> int:
        """How many offsets of ``tp`` are kept."""
        return len(self._offsets.get(tp, ()))
