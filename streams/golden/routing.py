"""First stage of the golden merge: from a dataset's change events to contributions per golden record (pure).

A change event cannot be merged into a golden record directly: a delete carries only the source key, and an
update may move a record to another golden record (a parcel changes hands, a participation's person is
corrected). So each source record keeps a :class:`SourceState` — the contributions its latest version made
and the last retraction sent to every golden record it no longer contributes to — keyed like its dataset's
topic. :func:`route` turns an event into the contributions to send, re-keyed by golden key.

An event older than the state (by event time, then source position) changes nothing; the same event again
(a redelivery after a restart) re-sends everything the state says, so news lost in a crash between writing
the state and sending is sent again. Golden records ignore what they already have, so this is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streams.golden.rules import CIVIL_STATUS, COPIED, LAND, REGISTERS, Version, civil_parties, holder_of
from streams.golden.values import Contribution, Fields, SourceEvent

CIVIL_FIELDS = ("civil_event_id", "event_type", "subject_cccd", "second_party_cccd", "event_date")


@dataclass(frozen=True)
class SourceState:
    """What one source record has told the golden records so far."""

    event_id: str
    event_time: datetime
    position: int
    current: tuple[Contribution, ...]
    """The live contributions of the latest version (none once deleted)."""
    former: tuple[Contribution, ...] = ()
    """The last retraction sent to each golden record the source record no longer contributes to."""

    @property
    def version(self) -> Version:
        return (self.event_time, self.position)


@dataclass(frozen=True)
class Routed:
    state: SourceState | None
    send: tuple[Contribution, ...]


def route(state: SourceState | None, event: SourceEvent) -> Routed:
    """The source record's state after ``event`` and the contributions to send to golden records."""
    if state is not None and event.version <= state.version:
        replayed = event.version == state.version and event.event_id == state.event_id
        return Routed(state, state.current + state.former if replayed else ())
    current = contributions_of(event)
    targets = {c.target for c in current}
    previous = {c.target for c in state.current} if state is not None else set()
    retracted = tuple(_retraction(event, entity, key) for entity, key in sorted(previous | _implied(event))
                      if (entity, key) not in targets)
    gone = {c.target for c in retracted}
    former = tuple(f for f in (state.former if state is not None else ()) if f.target not in targets | gone)
    new = SourceState(event.event_id, event.event_time, event.position, current, former + retracted)
    return Routed(new, current + retracted)


def contributions_of(event: SourceEvent) -> tuple[Contribution, ...]:
    """The live contributions of one record version (none for a delete), one per golden record it concerns."""
    record = event.record
    if record is None:
        return ()
    found: dict[tuple[str, str], Fields] = {}
    for copied in COPIED:
        key = copied.key_of(record) if copied.dataset == event.dataset else None
        if key is not None:
            found[(copied.entity, key)] = tuple((a, record[f]) for a, f in copied.fields.items())
    if event.dataset == CIVIL_STATUS:
        fields = civil_fields(record, event.position)
        found.update({("citizen", party): fields for party in civil_parties(record)})
    if event.dataset == LAND:
        holder = holder_of(record)
        if holder is not None:
            found[holder] = (("parcel_id", record["parcel_id"]),)
    return tuple(Contribution(entity, key, event.dataset, event.key, event.event_time, event.position,
                              event.event_id, fields) for (entity, key), fields in sorted(found.items()))


def civil_fields(record: dict[str, Any], position: int) -> Fields:
    """What a golden record keeps of a civil-status event: enough to replay its civil history in order."""
    return (*((name, record[name]) for name in CIVIL_FIELDS), ("source_position", position))


def _implied(event: SourceEvent) -> set[tuple[str, str]]:
    """A register's record is its golden record's, even when a delete arrives before anything else."""
    return {(entity, event.key) for entity, register in REGISTERS.items() if register == event.dataset}


def _retraction(event: SourceEvent, entity: str, key: str) -> Contribution:
    return Contribution(entity, key, event.dataset, event.key, event.event_time, event.position, event.event_id,
                        None)


