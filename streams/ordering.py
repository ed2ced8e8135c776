"""Per-key state for dropping duplicates and recognising late events (pure).

Each key of a dataset (a CCCD, a tax code…) has one :class:`KeyState`: the version of its current event
and the ids of its most recently accepted events.

* **Version** — ``(event_time in ms, source position)``, the same order as the sink's ReplacingMergeTree
  version (:func:`sinks.ddl.version`): a later event time wins and, at equal times, the later position in
  the source system. An accepted event whose version is not newer than the key's current one is *late*:
  it still goes to the clean topic (it is part of the history) but does not become current.
* **Dedup window** — the ids of the last :data:`DEDUP_WINDOW` accepted events of the key. An event whose id
  is among them is a duplicate and is dropped before anything else. The bound is per key, not per time:
  a re-delivery is recognised as long as fewer than :data:`DEDUP_WINDOW` other events of the same key were
  accepted since the original, however long ago that was. An older re-delivery is not dropped: it is
  older than the current version, so it goes to the clean topic marked late (one extra history row, no
  change to the current state). Storage is one small record per key: at most ~1.3 kB with 36-character
  UUIDs, and far less for the typical key with a handful of events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson

Version = tuple[int, int]
"""(event time in milliseconds since the epoch, source position)."""

DEDUP_WINDOW = 32


def version_of(event_time: datetime, position: int) -> Version:
    """The version of an event, as the sink computes it: event time in whole milliseconds, source position."""
    return int(event_time.timestamp() * 1000), int(position)


@dataclass(frozen=True)
class KeyState:
    """What the processor remembers about one key."""

    version: Version
    """Version of the key's current event (the newest accepted so far, a delete included)."""
    recent_ids: tuple[str, ...]
    """Ids of the key's last accepted events, newest first, at most :data:`DEDUP_WINDOW`."""

    def seen(self, event_id: str) -> bool:
        return event_id in self.recent_ids

    def is_newer(self, version: Version) -> bool:
        """Whether an event of this ``version`` would become current (strictly newer than the current one)."""
        return version > self.version

    def accept(self, event_id: str, version: Version) -> KeyState:
        """The state after accepting an event (current or late)."""
        return KeyState(max(self.version, version), (event_id, *self.recent_ids[:DEDUP_WINDOW - 1]))

    @staticmethod
    def first(event_id: str, version: Version) -> KeyState:
        """The state of a key after its first accepted event."""
        return KeyState(version, (event_id,))

    def to_bytes(self) -> bytes:
        return orjson.dumps({"v": self.version, "ids": self.recent_ids})

    @staticmethod
    def from_bytes(data: bytes) -> KeyState:
        raw = orjson.loads(data)
        return KeyState((int(raw["v"][0]), int(raw["v"][1])), tuple(raw["ids"]))
