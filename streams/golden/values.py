"""The values passed between the golden-record stages (frozen)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from datetime import datetime
from typing import Any, NamedTuple

from streams.golden.rules import KEY_ATTRIBUTES, Version

Fields = tuple[tuple[str, Any], ...]
"""Attribute or field name → value pairs, in a fixed order."""


@dataclass(frozen=True)
class Provenance:
    """The ministry event a golden attribute's value comes from."""

    dataset: str
    event_id: str
    event_time: datetime


@dataclass(frozen=True)
class SourceEvent:
    """One accepted change event of a dataset's clean topic."""

    dataset: str
    key: str
    event_id: str
    event_time: datetime
    position: int
    record: dict[str, Any] | None
    """The full record after the change; None for a delete."""

    @property
    def version(self) -> Version:
        return (self.event_time, self.position)

    @classmethod
    def from_envelope(cls, dataset: str, envelope: dict[str, Any]) -> SourceEvent:
        """From a decoded change envelope (``event_id, op, key, after, source, event_time, …``)."""
        return cls(dataset, envelope["key"], envelope["event_id"], envelope["event_time"],
                   int(envelope["source"]["position"]), envelope["after"])


@dataclass(frozen=True)
class Contribution:
    """What one source record says about one golden record — or, with ``fields`` None, that it no longer
    says anything (a retraction, kept as a tombstone so that older news cannot bring it back).

    ``relayed_by`` is set on a death relayed by the deceased's golden record to the spouse it widows; its
    ``position`` is then the relaying record's sequence number, not the source position."""

    entity: str
    key: str
    dataset: str
    source_key: str
    event_time: datetime
    position: int
    event_id: str
    fields: Fields | None
    relayed_by: str | None = None

    @property
    def version(self) -> Version:
        return (self.event_time, self.position)

    @property
    def slot(self) -> tuple[str, str, str]:
        """Where a golden record keeps this contribution: one per source record (and relay)."""
        return (self.dataset, self.source_key, self.relayed_by or "")

    @property
    def target(self) -> tuple[str, str]:
        return (self.entity, self.key)

    @property
    def live(self) -> bool:
        return self.fields is not None

    @cached_property
    def provenance(self) -> Provenance:
        return Provenance(self.dataset, self.event_id, self.event_time)

    @cached_property
    def values(self) -> dict[str, Any]:
        """``fields`` as a dict (empty for a retraction)."""
        return dict(self.fields or ())

    def value(self, name: str) -> Any:
        return self.values[name]


class Attribute(NamedTuple):
    """One attribute of a golden record (a named tuple: a record makes about twenty of them per merge)."""

    value: Any
    provenance: Provenance | None
    """None when no record of the authority gives the attribute."""


@dataclass(frozen=True)
class GoldenRecord:
    """A golden record as published: every attribute with its value and provenance."""

    entity: str
    key: str
    attributes: tuple[tuple[str, Attribute], ...]

    def values(self) -> dict[str, Any]:
        """Key and attribute values (lists for list attributes), as the simulator's manifest has them."""
        return {KEY_ATTRIBUTES[self.entity]: self.key,
                **{n: list(a.value) if isinstance(a.value, tuple) else a.value for n, a in self.attributes}}

    def provenance(self) -> dict[str, Provenance | None]:
        return {n: a.provenance for n, a in self.attributes}

    def to_avro(self) -> dict[str, Any]:
        """The record in the shape of ``schemas/golden/<entity>.avsc``."""
        return {**self.values(), "provenance": {
            n: None if p is None else {"dataset": p.dataset, "event_id": p.event_id, "event_time": p.event_time}
            for n, p in self.provenance().items()}}


@dataclass(frozen=True)
class GoldenChange:
    """A change of a golden record, to publish: the record after it (None once the register deleted it)."""

    entity: str
    key: str
    revision: int
    """How many changes the golden record has had: the change's position in the record's history."""
    event_time: datetime
    """The latest event time among the news the golden record has merged."""
    record: GoldenRecord | None
    created: bool
    """True when the record (re)appears: the register created it."""

    @property
    def op(self) -> str:
        return "d" if self.record is None else "c" if self.created else "u"
