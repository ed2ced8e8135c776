"""The simulator's output: one change event of one dataset, before the SDK wraps it in the envelope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Change:
    """One simulated change event.

    ``record`` is the full record after the change (None exactly for deletes, op ``d``), as the source sends
    it: dirty when ``dirt`` names a kind of dirt (see ``RULES.md``). ``event_id`` is deterministic from the
    seed; a duplicate re-sends an earlier change with the same ``event_id`` and ``source_position``.
    ``source_position`` is the change's sequence number in its dataset's source system.
    """

    dataset: str
    op: str
    key: str
    record: dict[str, Any] | None
    event_time: datetime
    dirt: str | None = None
    source_position: int = 0
    event_id: str = ""
