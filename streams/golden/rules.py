"""Golden-record rules: which dataset gives which attribute, and how (pure).

Each attribute of a golden record comes only from the dataset the catalogue names as its authority
(``Dataset.authoritative``). :data:`COPIED` lists the attributes copied from one record of their authority
(the golden key read from the record, the record field behind each attribute); :data:`DERIVED` those
computed from several records: civil status (:func:`civil_history`) and land holdings (:func:`holder_of`).
Within an authority, the record version with the latest (event time, source position) wins. The golden
``citizen`` exists exactly while the population register has the CCCD, the golden ``enterprise`` exactly
while the business register has the tax code: deletes are honoured, attributes of unknown keys dropped.

Civil status is a history rather than a value: the live events are applied in order of their
``event_date`` (then event time, then ``civil_event_id``): a marriage makes both parties ``MARRIED`` with
each other as ``spouse_cccd``; a divorce makes both ``DIVORCED`` without spouse; a death sets the deceased's
``date_of_death`` and leaves the surviving spouse ``WIDOWED`` without spouse (the deceased keeps the status
held at death); births change no golden attribute. ``land_holdings`` is the sorted list of live parcels whose
holder is the citizen (``owner_kind`` CITIZEN) or the enterprise (ENTERPRISE).

:func:`merge_state` applies these rules to the final clean state of every dataset at once: it is the ground
truth of the simulator's manifest. :mod:`streams.golden.merge` applies the same rules one event at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, Generic, TypeVar

from hub.catalogue import GOLDEN_ENTITIES, Catalogue
from streams.golden.errors import RulesMismatch

Version = tuple[datetime, int]
"""(event time, source position): a later version of a record wins."""
Live = Mapping[str, tuple[Version, dict[str, Any]]]
"""A dataset's clean current state: key → (version, record)."""

POPULATION, ENTERPRISE, INSURANCE = "population.citizen", "enterprise.registration", "social_insurance.participant"
CIVIL_STATUS, LAND = "civil_status.event", "land.parcel"

REGISTERS = {"citizen": POPULATION, "enterprise": ENTERPRISE}
"""The dataset whose records a golden record exists for, per entity."""
KEY_ATTRIBUTES = {"citizen": "cccd", "enterprise": "tax_code"}
"""The name of each entity's key in the golden record."""


@dataclass(frozen=True)
class Copied:
    """Attributes copied from one record of their authority."""

    dataset: str
    entity: str
    key_of: Callable[[Mapping[str, Any]], str | None]
    fields: Mapping[str, str]
    """Golden attribute → record field."""


def _same(*names: str) -> dict[str, str]:
    return {n: n for n in names}


COPIED = (
    Copied(POPULATION, "citizen", lambda r: r["cccd"], _same(
        "full_name", "date_of_birth", "sex", "place_of_origin", "permanent_address", "ethnicity", "nationality",
        "phone")),
    Copied(INSURANCE, "citizen", lambda r: r["cccd"], {
        "social_insurance_code": "si_code", "employer_tax_code": "employer_tax_code", "insurance_scheme": "scheme",
        "insurance_status": "status"}),
    Copied(ENTERPRISE, "enterprise", lambda r: r["tax_code"], _same(
        "name", "name_en", "short_name", "legal_form", "state_owned", "status", "registration_date",
        "main_industry_code", "head_office_address", "legal_representative_cccd", "charter_capital", "phone",
        "email")),
)
CIVIL_ATTRIBUTES = ("marital_status", "spouse_cccd", "date_of_death")
DERIVED: dict[tuple[str, str], tuple[str, ...]] = {
    (CIVIL_STATUS, "citizen"): CIVIL_ATTRIBUTES,
    (LAND, "citizen"): ("land_holdings",),
    (LAND, "enterprise"): ("land_holdings",),
}
"""Attributes computed from many records of a dataset rather than copied from one."""


def attributes_by_authority() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every (dataset, entity) these rules merge, with the attributes taken from it."""
    known = {(c.dataset, c.entity): tuple(c.fields) for c in COPIED}
    known.update(DERIVED)
    return known


@cache
def attributes(entity: str) -> tuple[str, ...]:
    """The golden attributes of ``entity`` in record order: registers first, then the other authorities."""
    return tuple(a for (_, e), names in attributes_by_authority().items() if e == entity for a in names)


def check_catalogue(catalogue: Catalogue) -> None:
    """Raise :class:`RulesMismatch` unless the catalogue's ``authoritative`` lists are exactly these rules'."""
    declared = {(d.name, e): tuple(a) for d in catalogue for e, a in d.authoritative.items() if a}
    known = attributes_by_authority()
    for authority in sorted(set(declared) | set(known)):
        if declared.get(authority) != known.get(authority):
            raise RulesMismatch(dataset=authority[0], entity=authority[1],
                                catalogue=declared.get(authority, ()), rules=known.get(authority, ()))


def holder_of(parcel: Mapping[str, Any]) -> tuple[str, str] | None:
    """(entity, key) of the golden record a land parcel belongs to, or None (State, others, no holder)."""
    kind = parcel["owner_kind"]
    key = parcel["owner_cccd"] if kind == "CITIZEN" else parcel["owner_tax_code"] if kind == "ENTERPRISE" else None
    return None if key is None else ("citizen" if kind == "CITIZEN" else "enterprise", key)


def civil_order(record: Mapping[str, Any], version: Version) -> tuple[date, Version, str]:
    """The order in which civil-status events apply."""
    return record["event_date"], version, record["civil_event_id"]


def civil_parties(record: Mapping[str, Any]) -> tuple[str, ...]:
    """The people whose golden civil status an event can change (births change none)."""
    kind, subject, other = record["event_type"], record["subject_cccd"], record["second_party_cccd"]
    if kind in ("MARRIAGE", "DIVORCE") and other is not None:
        return (subject, other)
    return (subject,) if kind == "DEATH" else ()


Tag = TypeVar("Tag", bound=Hashable)


@dataclass(frozen=True)
class CivilHistory(Generic[Tag]):
    """The outcome of :func:`civil_history`; ``*_by`` name the tag of the event that decided each value."""

    status: dict[str, str] = field(default_factory=dict)
    spouse: dict[str, str | None] = field(default_factory=dict)
    status_by: dict[str, Tag] = field(default_factory=dict)
    died: dict[str, date] = field(default_factory=dict)
    died_by: dict[str, Tag] = field(default_factory=dict)
    spouse_at_death: dict[Tag, str | None] = field(default_factory=dict)
    """Death event's tag → the deceased's spouse when it was applied."""


def civil_history(events: Iterable[tuple[tuple[date, Version, str], Mapping[str, Any], Tag]]) -> CivilHistory[Tag]:
    """Apply civil-status events, given as (:func:`civil_order` key, record, tag), in order."""
    history: CivilHistory[Tag] = CivilHistory()
    status, spouse = history.status, history.spouse
    for _, event, tag in sorted(events, key=lambda e: e[0]):
        subject, other, kind = event["subject_cccd"], event["second_party_cccd"], event["event_type"]
        if kind in ("MARRIAGE", "DIVORCE") and other is not None:
            for a, b in ((subject, other), (other, subject)):
                status[a] = "MARRIED" if kind == "MARRIAGE" else "DIVORCED"
                spouse[a] = b if kind == "MARRIAGE" else None
                history.status_by[a] = tag
        elif kind == "DEATH":
            history.died[subject], history.died_by[subject] = event["event_date"], tag
            partner = history.spouse_at_death[tag] = spouse.get(subject)
            if partner is not None and spouse.get(partner) == subject:
                status[partner], spouse[partner], history.status_by[partner] = "WIDOWED", None, tag
    return history


def merge_state(catalogue: Catalogue, live: Mapping[str, Live]) -> dict[str, dict[str, dict[str, Any]]]:
    """The golden records of the final clean state of every dataset, entity → key → attributes (every
    authoritative attribute present, None if unknown)."""
    golden: dict[str, dict[str, dict[str, Any]]] = {}
    for entity in GOLDEN_ENTITIES:
        names = sorted({a for d in catalogue for a in d.authoritative[entity]})
        golden[entity] = {key: {KEY_ATTRIBUTES[entity]: key, **{a: None for a in names}, "land_holdings": []}
                          for key in live.get(REGISTERS[entity], {})}
    for copied in COPIED:
        winners: dict[str, tuple[Version, dict[str, Any]]] = {}
        for version, record in live.get(copied.dataset, {}).values():
            key = copied.key_of(record)
            if key is not None and (key not in winners or version > winners[key][0]):
                winners[key] = (version, record)
        for key, (_, record) in winners.items():
            if key in golden[copied.entity]:
                golden[copied.entity][key].update({a: record[f] for a, f in copied.fields.items()})
    _civil_status(golden["citizen"], live.get(CIVIL_STATUS, {}))
    _land(golden, live.get(LAND, {}))
    return golden


def _civil_status(citizens: dict[str, dict[str, Any]], events: Live) -> None:
    history: CivilHistory[None] = civil_history(
        (civil_order(record, version), record, None) for version, record in events.values())
    for cccd, record in citizens.items():
        if cccd in history.status:
            record["marital_status"], record["spouse_cccd"] = history.status[cccd], history.spouse.get(cccd)
        record["date_of_death"] = history.died.get(cccd)


def _land(golden: dict[str, dict[str, dict[str, Any]]], parcels: Live) -> None:
    for _, parcel in parcels.values():
        holder = holder_of(parcel)
        if holder is not None and holder[1] in golden[holder[0]]:
            golden[holder[0]][holder[1]]["land_holdings"].append(parcel["parcel_id"])
    for records in golden.values():
        for record in records.values():
            record["land_holdings"].sort()
