"""Both merge stages in one process, over events in memory (pure): what the faust agents compute, without
Kafka. Used to rebuild golden records from clean events and as the tests' reference topology."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from streams.golden.merge import Golden, apply
from streams.golden.routing import SourceState, route
from streams.golden.values import GoldenChange, GoldenRecord, SourceEvent


@dataclass
class Folded:
    """Source states, golden records and every published change, after some events."""

    sources: dict[tuple[str, str], SourceState] = field(default_factory=dict)
    golden: dict[tuple[str, str], Golden] = field(default_factory=dict)
    changes: list[GoldenChange] = field(default_factory=list)

    def add(self, event: SourceEvent) -> None:
        """Route ``event`` and merge everything it causes, relays included."""
        routed = route(self.sources.get((event.dataset, event.key)), event)
        if routed.state is not None:
            self.sources[(event.dataset, event.key)] = routed.state
        queue = deque(routed.send)
        while queue:
            contribution = queue.popleft()
            applied = apply(self.golden.get(contribution.target), contribution)
            self.golden[contribution.target] = applied.golden
            queue.extend(applied.relays)
            if applied.change is not None and not applied.replayed:
                self.changes.append(applied.change)

    def records(self, entity: str) -> dict[str, GoldenRecord]:
        """The published golden records of ``entity`` by key."""
        found = {key: g.record() for (e, key), g in self.golden.items() if e == entity}
        return {key: record for key, record in sorted(found.items()) if record is not None}


def fold(events: Iterable[SourceEvent]) -> Folded:
    folded = Folded()
    for event in events:
        folded.add(event)
    return folded
