"""What the stream processor decides for one raw message: the values between the pure core and the faust shell.

::

    raw bytes ─ decode ─┬─ Rejected (undecodable, or not an event of this dataset)      → DLQ topic
                        └─ Event ─ judge ─┬─ Duplicate (event id seen for this key)   → dropped
                                          ├─ Rejected (a rule of streams.rules)       → DLQ topic
                                          └─ Accepted (clean bytes, late or current) → clean topic
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streams.ordering import KeyState, Version, version_of
from streams.rules.base import Rejection


@dataclass(frozen=True)
class Event:
    """A decoded raw change event, written with schema ``schema_id``."""

    schema_id: int
    envelope: dict[str, Any]

    @property
    def event_id(self) -> str:
        """The envelope's event id ("" if the writer schema had none)."""
        return str(self.envelope.get("event_id") or "")

    @property
    def key(self) -> str:
        return str(self.envelope["key"])

    @property
    def record(self) -> dict[str, Any] | None:
        after = self.envelope.get("after")
        return after if isinstance(after, dict) else None

    @property
    def system(self) -> str | None:
        """The envelope's source system (None if the writer schema had none)."""
        source = self.envelope.get("source")
        system = source.get("system") if isinstance(source, dict) else None
        return None if system is None else str(system)

    @property
    def event_time(self) -> datetime:
        value = self.envelope["event_time"]
        assert isinstance(value, datetime), "timestamp-millis decodes to an aware datetime"
        return value

    @property
    def version(self) -> Version:
        return version_of(self.event_time, self.envelope["source"]["position"])


@dataclass(frozen=True)
class Duplicate:
    """An event id already accepted for this key: dropped."""

    event_id: str


@dataclass(frozen=True)
class Rejected:
    """Set aside to the dead-letter topic with the raw bytes unchanged."""

    rejection: Rejection
    event_id: str | None = None
    """The envelope's event id when the message could be decoded (not personal data; helps replay)."""
    system: str | None = None
    """The envelope's source system when the message could be decoded (for the quality metrics)."""


@dataclass(frozen=True)
class Accepted:
    """Cleaned and valid: ``value`` (framed with the clean schema id) goes to the clean topic.

    ``late`` when an event of the key with a newer-or-equal version was accepted before it: it is history,
    not the current state. ``state`` is the key's state after it; ``current`` is the cleaned record when the
    event became the key's current version (None for a delete, and for a late event ``current`` is unused)."""

    value: bytes
    event_id: str
    late: bool
    state: KeyState
    current: dict[str, Any] | None
    envelope: dict[str, Any] | None = None
    """The envelope ``value`` encodes, as handed to the encoder (see
    :meth:`streams.processor.DatasetProcessor.clean_envelope`)."""


Outcome = Duplicate | Rejected | Accepted
