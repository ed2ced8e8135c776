"""A golden record's published form, computed from the contributions it holds (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from streams.golden.rules import (CIVIL_STATUS, COPIED, LAND, REGISTERS, CivilHistory, attributes, civil_history,
                                  civil_order)
from streams.golden.values import Attribute, Contribution, GoldenRecord

Slot = tuple[str, str, str]
_NONE = Attribute(None, None)


def record_of(entity: str, key: str, slots: Iterable[Contribution]) -> GoldenRecord | None:
    """The golden record, or None while its register has no live record of ``key``."""
    slots = tuple(slots)
    register_dataset = REGISTERS[entity]
    register: Contribution | None = None
    latest: dict[str, Contribution] = {}  # the latest live contribution of every other dataset
    for s in slots:
        if s.fields is None:
            continue
        if s.dataset == register_dataset:
            if register is None and s.source_key == key:
                register = s
        else:
            held = latest.get(s.dataset)
            if held is None or _version(s) > _version(held):
                latest[s.dataset] = s
    if register is None:
        return None
    found: dict[str, Attribute] = {}
    for dataset, fields in _copied(entity):
        winner = register if dataset == register_dataset else latest.get(dataset)
        if winner is None:
            found.update(dict.fromkeys(fields, _NONE))
            continue
        values, provenance = winner.values, winner.provenance
        for name in fields:
            found[name] = Attribute(values[name], provenance)
    if entity == "citizen":
        found.update(_civil_attributes(key, slots, civil_of(slots)))
    found["land_holdings"] = _land_holdings(slots)
    return GoldenRecord(entity, key, tuple([(name, found[name]) for name in attributes(entity)]))


@cache
def _copied(entity: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The datasets ``entity``'s attributes are copied from, with those attributes."""
    return tuple((c.dataset, tuple(c.fields)) for c in COPIED if c.entity == entity)


def _version(c: Contribution) -> tuple[Any, ...]:
    return c.version


def civil_of(slots: Iterable[Contribution]) -> CivilHistory[Slot]:
    """The civil history of the live civil-status events a golden record holds (its own and relayed)."""
    events = []
    for s in slots:
        if s.live and s.dataset == CIVIL_STATUS:
            fields = s.values
            events.append((civil_order(fields, (s.event_time, fields["source_position"])), fields, s.slot))
    return civil_history(events)


def _civil_attributes(key: str, slots: tuple[Contribution, ...], history: CivilHistory[Slot]) -> dict[str, Attribute]:
    by_slot = {s.slot: s for s in slots}
    if key in history.status:
        decided = by_slot[history.status_by[key]].provenance
        status, spouse = Attribute(history.status[key], decided), Attribute(history.spouse.get(key), decided)
    else:
        status = spouse = _NONE
    died: date | None = history.died.get(key)
    death = Attribute(died, by_slot[history.died_by[key]].provenance) if died is not None else _NONE
    return {"marital_status": status, "spouse_cccd": spouse, "date_of_death": death}


def _land_holdings(slots: tuple[Contribution, ...]) -> Attribute:
    """Sorted live parcels; the provenance is the latest land event that changed the holdings."""
    land = [s for s in slots if s.dataset == LAND]
    latest = max(land, key=_version, default=None)
    return Attribute(tuple(sorted(s.value("parcel_id") for s in land if s.live)),
                     latest.provenance if latest is not None else None)
